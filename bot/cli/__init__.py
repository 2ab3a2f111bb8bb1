"""The bot's command line: ``python -m bot serve``, ``chat``, ``menu …``, ``rules export|import``, and
``backup`` / ``restore`` of the Redis state (``bot.cli.state``)."""

from __future__ import annotations

from pathlib import Path

import click

from config.errors import ConfigError


def _settings():
    from config.settings import load_dotenv_file, load_settings

    load_dotenv_file()
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def cli() -> None:
    """案例通 CaseLink 公众号机器人。"""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8000, show_default=True, type=int, help="监听端口")
def serve(host: str, port: int) -> None:
    """开发用服务器（正式部署用 gunicorn -c gunicorn.conf.py）。"""
    from bot.app import create_app

    try:
        app = create_app(_settings())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"公众号服务器地址：http://{host}:{port}/wechat")
    click.echo(f"在另一个终端打开模拟器：python -m bot chat --url http://{host}:{port}/wechat")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@cli.command()
@click.option("--url", default=None, help="正在运行的机器人地址，如 http://127.0.0.1:8000/wechat；不填则在本进程内启动")
@click.option("--user", default="o-simulator-user", show_default=True, help="扮演的用户 openid")
@click.option("--encrypt", is_flag=True, help="用安全模式（AES 加密）发送（WECHAT_MESSAGE_MODE 不是 plain 时总是加密）")
def chat(url: str | None, user: str, encrypt: bool) -> None:
    """模拟微信服务器：每行文字作为一条消息发给机器人，显示它的回复。"""
    from bot.wechat.simulator import Simulator, app_transport, http_transport, repl

    settings = _settings()
    encrypt = encrypt or settings.wechat_message_mode != "plain"  # compat/safe bots refuse plaintext
    if encrypt and not settings.wechat_aes_key:
        raise click.ClickException("--encrypt 需要 WECHAT_AES_KEY（本机试用可设 CASELINK_DEV=1）")
    if url:
        transport = http_transport(url)
    else:
        from bot.app import create_app

        try:  # the REPL is the interface here: keep the per-message log lines out of it
            transport = app_transport(create_app(settings.with_overrides(log_level="WARNING")))
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
    sim = Simulator(
        transport, settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid, encrypt=encrypt, user=user
    )
    repl(sim)


@cli.group()
def menu() -> None:
    """公众号自定义菜单：检查、发布 config/menu.yaml，查看线上菜单。"""


def _menu_file(path: str | None, settings) -> Path:
    return Path(path) if path else settings.config_dir / "menu.yaml"


def _checked_layout(path: Path) -> tuple[dict, dict]:
    from bot.wechat.menu import load_layout, load_menu, validate_layout
    from config.settings import PROJECT_ROOT

    try:
        commands, layout = load_menu(path), load_layout(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    errors = validate_layout(layout, commands)
    if errors:
        shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        click.echo(f"{shown} 有 {len(errors)} 个问题，什么都没有发布（序号从 0 开始）：", err=True)
        for line in errors:
            click.echo(f"  {line}", err=True)
        raise SystemExit(2)
    return layout, commands


def _wechat_client(settings):
    from bot.app import make_wechat_client
    from bot.store import Store

    if not (settings.wechat_appid and settings.wechat_secret):
        click.echo("需要 WECHAT_APPID 和 WECHAT_SECRET 才能调用菜单接口", err=True)
        raise SystemExit(2)
    return make_wechat_client(settings, Store.for_settings(settings))


@menu.command("check")
@click.option("--file", "path", default=None, help="菜单文件（默认 config/menu.yaml）")
def menu_check(path: str | None) -> None:
    """只检查菜单文件，不发布。"""
    file = _menu_file(path, _settings())
    layout, _ = _checked_layout(file)
    click.echo(f"{file.name} 没有问题：{len(layout['button'])} 个一级菜单")


@menu.command("push")
@click.option("--file", "path", default=None, help="菜单文件（默认 config/menu.yaml）")
def menu_push(path: str | None) -> None:
    """检查后通过 menu/create 发布菜单；有问题时列出位置并退出（退出码 2），不发布。"""
    from wechatpy.exceptions import WeChatClientException

    settings = _settings()
    layout, _ = _checked_layout(_menu_file(path, settings))
    client = _wechat_client(settings)
    try:
        client.menu.create(layout)
    except WeChatClientException as exc:
        raise click.ClickException(f"微信拒绝了菜单（errcode={exc.errcode}）：{exc.errmsg}") from None
    finally:
        client.close()
    click.echo("菜单已发布。微信客户端在用户下次进入公众号时（最多约 5 分钟）刷新。")


@menu.command("show")
def menu_show() -> None:
    """通过 menu/get 显示公众号当前的菜单。"""
    from wechatpy.exceptions import WeChatClientException

    from bot.wechat.menu import describe, load_menu

    settings = _settings()
    try:
        commands = load_menu(settings.config_dir / "menu.yaml")
    except ConfigError:
        commands = {}
    client = _wechat_client(settings)
    try:
        live = client.menu.get()
    except WeChatClientException as exc:
        raise click.ClickException(f"读取菜单失败（errcode={exc.errcode}）：{exc.errmsg}") from None
    finally:
        client.close()
    click.echo(describe(live, commands))


@cli.group()
def rules() -> None:
    """「教它」的规则（同义、置顶）：导出到文件、从文件导入（默认 config/rules.yaml）。"""


def _rules_file(path: str | None, settings) -> Path:
    return Path(path) if path else settings.config_dir / "rules.yaml"


def _rules_store(settings):
    from bot.store import Store
    from indexer.segment import configure

    if not settings.redis_configured:
        raise click.ClickException("规则保存在 Redis 里：请先设置 REDIS_URL（或 REDIS_SENTINELS）")
    store = Store.for_settings(settings)
    if not store.ping():
        raise click.ClickException("连不上 Redis，请检查 REDIS_URL 和 Redis 是否在运行")
    configure(settings.config_dir)  # rules are keyed with the deployment's own dictionary
    return store


def _counted(rules) -> str:
    from bot.teaching import PIN, REWRITE

    rewrites = sum(1 for r in rules if r.type == REWRITE)
    pins = sum(1 for r in rules if r.type == PIN)
    return f"{len(rules)} 条规则（同义 {rewrites} 条，置顶 {pins} 条）"


@rules.command("export")
@click.option("--file", "path", default=None, help="写到哪个文件（默认 config/rules.yaml）")
def rules_export(path: str | None) -> None:
    """把 Redis 里的全部规则写到文件。"""
    from bot.cli.rules_file import dump
    from bot.teaching import Rule

    settings = _settings()
    store = _rules_store(settings)
    found = [Rule.from_dict(r) for r in store.rules.all()]
    if not store.available:
        raise click.ClickException("读取规则时 Redis 出错了，文件没有写")
    file = _rules_file(path, settings)
    file.write_text(dump(found, settings.tz), encoding="utf-8")
    click.echo(f"已导出 {_counted(found)}到 {file}")


@rules.command("import")
@click.option("--file", "path", default=None, help="从哪个文件导入（默认 config/rules.yaml）")
@click.option("--replace", is_flag=True, help="先删除现有的全部规则，只留下文件里的")
def rules_import(path: str | None, replace: bool) -> None:
    """检查文件里的规则，全部没问题才导入（同一条规则会被更新，不会重复）。"""
    from bot.cli.rules_file import RulesFileError, load

    settings = _settings()
    file = _rules_file(path, settings)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"读不了规则文件 {file}（{type(exc).__name__}）") from None
    store = _rules_store(settings)
    try:
        found = load(text, tz=settings.tz)
    except RulesFileError as exc:
        click.echo(f"{file} 有 {len(exc.problems)} 个问题，什么都没有导入：", err=True)
        for line in exc.problems:
            click.echo(f"  {line}", err=True)
        raise SystemExit(2) from None
    if not store.rules.put([r.to_dict() for r in found], replace=replace):
        raise click.ClickException("写入 Redis 失败，什么都没有导入")
    note = "，原有的其他规则已删除" if replace else ""
    click.echo(f"已导入 {_counted(found)}{note}。各进程从下一条消息起生效。")
    _warn_missing_pins(settings, found)


def _warn_missing_pins(settings, found) -> None:
    from bot.teaching import PIN
    from config.errors import IndexNotReady
    from indexer.search import open_searcher

    pins = [r for r in found if r.type == PIN]
    if not pins:
        return
    try:
        searcher = open_searcher(settings.index_dir, settings.config_dir)
    except IndexNotReady:
        click.echo("提示：还没有索引，无法检查置顶的文档是否存在。")
        return
    missing = [r for r in pins if searcher.get(r.doc, audience="employee") is None]
    if missing:
        click.echo(f"提示：{len(missing)} 条置顶的文档不在当前索引里（内容加回并重建索引后才会出现）：")
        for r in missing:
            click.echo(f"  {r.query} → {r.doc}")


def _add_state_commands() -> None:
    from bot.cli.frontdesk import replies
    from bot.cli.state import backup, restore

    cli.add_command(backup)
    cli.add_command(restore)
    cli.add_command(replies)


_add_state_commands()
