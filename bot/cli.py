"""The bot's command line: ``python -m bot serve`` and ``python -m bot chat``."""

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
