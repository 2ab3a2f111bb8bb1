"""Admin-only commands: 重建索引 and 状态 (热词: ``bot.chat.hot_words``; forwarding: ``bot.chat.forwarding``)."""

from __future__ import annotations

import logging

from bot import buildjob, texts
from bot.chat import router
from bot.chat.replies import Reply, Text, escape
from bot.services import Context
from config import clock
from config.errors import CaseLinkError

log = logging.getLogger(__name__)


@router.command("重建索引", admin=True)
def reindex(ctx: Context, _arg: str = "") -> Reply:
    """Rebuild the index in the background (one build at a time, see bot.buildjob); push the result."""
    services, openid = ctx.services, ctx.openid

    def notify(record: buildjob.Record) -> None:
        if record["state"] == buildjob.DONE:
            message = texts.REINDEX_DONE.format(
                documents=record["documents"], problems=record["problems"], generation=record["generation"]
            )
        elif record["state"] == buildjob.BUSY:
            message = texts.REINDEX_RUNNING
        else:
            message = texts.REINDEX_FAILED.format(error=escape(record.get("error", "")))
        services.delivery.push(openid, Text(message))

    started = buildjob.start(services, by=openid, notify=notify)
    if started == buildjob.UNAVAILABLE:
        return Text(texts.ADMIN_UNAVAILABLE)
    return Text(texts.REINDEX_STARTED if started == buildjob.STARTED else texts.REINDEX_RUNNING)


@router.command("状态", admin=True)
def status(ctx: Context, _arg: str = "") -> Reply:
    """Index size, generation and age, and whether Redis is reachable."""
    lines = []
    try:
        stats = ctx.services.index.searcher().stats()
    except CaseLinkError as exc:
        lines.append(f"索引：不可用（{escape(exc)}）")
    else:
        kinds = "，".join(f"{texts.KIND_NAMES.get(k, k)} {n}" for k, n in sorted(stats.get("by_kind", {}).items()))
        lines.append(f"索引：{stats.get('documents', 0)} 篇" + (f"（{kinds}）" if kinds else ""))
        built = clock.fmt_time(stats.get("built_at"), ctx.settings.tz)
        lines.append(f"版本：{stats.get('generation', '-')}，构建于 {built}")
        lines.append(f"大小：{stats.get('size_bytes', 0) / 1e6:.1f} MB")
        if stats.get("rebuild_needed"):
            lines.append("词典已更改，需要发送「重建索引」")
    lines.append("Redis：" + ("正常" if ctx.store.ping() else "不可用（翻页、去重、角色暂停）"))
    build = buildjob.status(ctx.services)
    if build and build["state"] == buildjob.RUNNING:
        lines.append("重建索引：进行中")
    return Text("\n".join(lines))
