"""``python -m bot replies import``: the account's old auto-replies become front desk rules.

Run it before the server URL is enabled: from then on WeChat no longer runs the account's own
auto-replies, and this is the way to keep them.
"""

from __future__ import annotations

import click
import requests
from wechatpy.exceptions import WeChatClientException

from config.errors import ConfigError


@click.group()
def replies() -> None:
    """前台的固定回复（关键词回复）。"""


@replies.command("import")
@click.option("--dry-run", is_flag=True, help="只列出会导入什么，不保存")
def replies_import(dry_run: bool) -> None:
    """读取公众号后台现有的自动回复（关键词回复、关注后回复、收到消息回复），转成固定回复。

    请在公众号后台启用服务器地址之前运行：启用之后微信不再执行这些自动回复。
    """
    from bot.app import create_app
    from bot.chat import router
    from bot.chat.frontdesk.answers import internal_documents
    from bot.chat.frontdesk.checks import check_rule
    from bot.chat.frontdesk.desk import current
    from bot.chat.frontdesk.editing import Rejected, save_rule
    from bot.chat.frontdesk.importer import convert, replacing
    from bot.chat.frontdesk.rules import MATCHES
    from bot.cli import _settings

    settings = _settings()
    if not (settings.wechat_appid and settings.wechat_secret):
        click.echo("需要 WECHAT_APPID 和 WECHAT_SECRET 才能读取公众号的自动回复", err=True)
        raise SystemExit(2)
    try:
        app = create_app(settings.with_overrides(log_level="WARNING"))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    svc = app.extensions["caselink"]
    try:
        if not dry_run and not svc.store.ping():
            raise click.ClickException("Redis 不可用：固定回复保存在 Redis 里，请检查 REDIS_URL")
        try:
            info = svc.wechat.message.get_autoreply_info()
        except WeChatClientException as exc:
            raise click.ClickException(f"读取自动回复失败（errcode={exc.errcode}）：{exc.errmsg}") from None
        except requests.RequestException as exc:
            raise click.ClickException(f"微信接口不可达（{type(exc).__name__}）") from None
        conversion = convert(info)
        stored = list(current(svc).document.rules)
        created, refused = [], []
        for rule in conversion.rules:
            rule = replacing(rule, stored)
            replaced = any(r.id == rule.id for r in stored)
            if dry_run:
                problems = check_rule(rule, stored, router.COMMANDS, internal_documents(svc))
            else:
                try:
                    save_rule(svc, rule, by="import")
                    problems = []
                except Rejected as exc:
                    problems = exc.errors
            if problems:
                refused.append(f"规则「{rule.name}」：{'；'.join(problems)}")
                continue
            stored = [r for r in stored if r.id != rule.id] + [rule]
            created.append((rule, replaced))
        keywords = len((info.get("keyword_autoreply_info") or {}).get("list") or [])
        click.echo(
            f"从公众号读到关键词规则 {keywords} 条"
            + ("、关注后回复" if info.get("add_friend_autoreply_info") else "")
            + ("、收到消息回复" if info.get("message_default_autoreply_info") else "")
            + "。"
        )
        verb = "会导入" if dry_run else "已导入"
        click.echo(f"{verb} {len(created)} 条规则：")
        for rule, replaced in created:
            what = "、".join(rule.keywords) if rule.keywords else ""
            target = f"图文「{rule.title}」" if rule.kind == "card" else "文字"
            note = "（替换原来的）" if replaced else ""
            click.echo(f"  + {rule.name}{note}　{MATCHES[rule.match]}{('：' + what) if what else ''} → {target}")
        skipped = conversion.skipped + refused
        if skipped:
            click.echo(f"没有导入 {len(skipped)} 项：")
            for line in skipped:
                click.echo(f"  - {line}")
        for line in conversion.notes:
            click.echo(f"  注意：{line}")
        if not dry_run:
            click.echo("在管理后台「固定回复」页（/admin/replies）检查和调整。")
    finally:
        svc.close()
