"""The bot's command line: ``serve``, ``chat``, ``menu``, and ``backup`` / ``restore`` of the Redis state."""

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
@click.option("--encrypt", is_flag=True, help="用安全模式（AES 加密）发送")
def chat(url: str | None, user: str, encrypt: bool) -> None:
    """模拟微信服务器：每行文字作为一条消息发给机器人，显示它的回复。"""
    from bot.wechat.simulator import Simulator, app_transport, http_transport, repl

    settings = _settings()
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
    from bot.app import connect_redis, make_wechat_client
    from bot.store import Store

    if not (settings.wechat_appid and settings.wechat_secret):
        click.echo("需要 WECHAT_APPID 和 WECHAT_SECRET 才能调用菜单接口", err=True)
        raise SystemExit(2)
    return make_wechat_client(settings, Store(connect_redis(settings)))


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


class Refused(click.ClickException):
    """A command that could not do its job: one Chinese line on stderr, exit code 1."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def _state_store(settings):
    """The Store on the configured Redis; stop with a clear message when there is none or it does not answer."""
    from bot.store import Store
    from bot.store.client import connect_redis

    if not settings.redis_url:
        raise Refused("没有设置 REDIS_URL：进程内的 Redis 替身没有可以备份或恢复的状态")
    store = Store(connect_redis(settings))
    if not store.ping():
        raise Refused("连不上 Redis，请检查 REDIS_URL 和 Redis 是否在运行")
    return store


def _counts_line(counts) -> str:
    from bot.store.namespaces import DURABLE

    return "、".join(f"{DURABLE.get(ns, ns)} {n}" for ns, n in sorted(counts.items())) or "没有内容"


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """把 Redis 里需要长期保存的状态（角色、邀请码、搜索统计……）备份到一个 JSON 文件。"""
    import datetime as dt

    from bot.store.backup import BackupError, collect, write_file

    store = _state_store(_settings())
    created = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        document, unknown = collect(store.db, created)
        write_file(file, document)
    except BackupError as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise Refused(f"无法写入 {file}：{exc.strerror or exc}") from None
    click.echo(f"已备份 {len(document['keys'])} 个键到 {file}：{_counts_line(document['counts'])}")
    if unknown:
        names = "、".join(f"{ns}（{n} 个）" for ns, n in sorted(unknown.items()))
        click.echo(f"注意：这些键的命名空间没有登记，没有备份：{names}。请在 bot/store/namespaces.py 登记。", err=True)
        raise SystemExit(1)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="同时删除备份里没有的长期状态，恢复成与备份完全一致")
@click.option("--yes", is_flag=True, help="不再确认，直接恢复")
def restore(file: Path, replace: bool, yes: bool) -> None:
    """从备份文件恢复：先检查整个文件，再一次性写入；有任何问题就什么都不写。"""
    from bot.store.backup import BackupError, read_file, validate
    from bot.store.backup import restore as restore_entries

    store = _state_store(_settings())
    try:
        data = read_file(file)
        entries = validate(data, store.db.prefix)
    except BackupError as exc:
        raise Refused(f"{exc}。什么都没有恢复。") from None
    if not yes:
        extra = "，并删除备份里没有的长期状态" if replace else ""
        when = data.get("created", "?")
        question = f"将把 {len(entries)} 个键（备份于 {when}）写入 Redis，覆盖同名的键{extra}。继续吗？"
        if not click.confirm(question):
            click.echo("已取消，什么都没有恢复。")
            raise SystemExit(1)
    try:
        counts, expired = restore_entries(store.db, entries, replace=replace)
    except BackupError as exc:
        raise Refused(str(exc)) from None
    line = f"已恢复 {sum(counts.values())} 个键：{_counts_line(counts)}"
    click.echo(line + (f"；{expired} 个已过期（如过期的邀请码），没有恢复" if expired else ""))
