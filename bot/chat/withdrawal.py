"""``撤回``: take a forwarded article back. Alone: the admin's own last one. With words: the forwarded
articles whose title holds them, numbered, and the admin picks one (flow ``withdraw``).

A withdrawn article is hidden from every search on every node at once (``indexer.SharedContent``)
and removed from this node's index now.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import indexer  # the build behind a withdrawal loads on first use
from bot import texts
from bot.chat import router
from bot.chat.replies import Reply, Text, escape, shorten
from bot.services import Context
from config.errors import CaseLinkError
from indexer import Forwarded, SharedUnavailable, fold

log = logging.getLogger(__name__)

FLOW = "withdraw"
MAX_LISTED = 9


@router.command("撤回", admin=True)
def withdraw(ctx: Context, arg: str = "") -> Reply:
    """``撤回``: the admin's last forwarded article; ``撤回 关键词``: choose among matching ones."""
    try:
        items = ctx.store.content.forwarded()
    except SharedUnavailable:
        return Text(texts.ADMIN_UNAVAILABLE)
    if not arg:
        mine = [item for item in items if item.by == ctx.openid]
        if not mine:
            return Text(texts.WITHDRAW_NONE)
        return _take_back(ctx, mine[0])
    words = fold(arg)
    matching = [item for item in items if words in fold(item.doc.title)][:MAX_LISTED]
    if not matching:
        return Text(texts.WITHDRAW_NOTHING.format(words=escape(shorten(arg, 20))))
    if not ctx.store.flows.start(ctx.openid, FLOW, {"ids": [item.doc.id for item in matching]}):
        return Text(texts.ADMIN_UNAVAILABLE)
    lines = [texts.WITHDRAW_LIST.format(words=escape(shorten(arg, 20)))]
    lines += [f"{i}. {_describe(ctx, item)}" for i, item in enumerate(matching, 1)]
    lines.append(texts.WITHDRAW_PICK)
    return Text("\n".join(lines))


@router.flow(FLOW)
def pick(ctx: Context, text: str, data: dict[str, Any]) -> Reply | None:
    """A number from the list takes that article back; 0 cancels; anything else ends the list."""
    ids = data.get("ids") or []
    if ctx.is_admin and text.isdigit() and text != "0" and not 1 <= int(text) <= len(ids):
        return Text(texts.WITHDRAW_OUT_OF_RANGE.format(n=len(ids)))  # the list stays open
    ctx.store.flows.end(ctx.openid)
    if not ctx.is_admin:
        return None
    if text in ("0", "取消"):
        return Text(texts.WITHDRAW_CANCELLED)
    if not text.isdigit():
        return None  # the admin moved on; the text is answered as usual
    try:
        found = next((item for item in ctx.store.content.forwarded() if item.doc.id == ids[int(text) - 1]), None)
    except SharedUnavailable:
        return Text(texts.ADMIN_UNAVAILABLE)
    if found is None:
        return Text(texts.WITHDRAW_GONE)
    return _take_back(ctx, found)


def _take_back(ctx: Context, item: Forwarded) -> Reply:
    try:
        indexer.withdraw_forwarded(ctx.settings, item.doc.id, by=ctx.openid, shared=ctx.store.content)
    except SharedUnavailable:
        return Text(texts.ADMIN_UNAVAILABLE)
    except (CaseLinkError, OSError):
        # Hidden from every search already; this node's index drops it at the next build.
        log.exception("撤回后更新索引失败")
    return Text(texts.WITHDRAW_DONE.format(title=escape(shorten(item.doc.title, 60))))


def _describe(ctx: Context, item: Forwarded) -> str:
    when = dt.datetime.fromtimestamp(item.at, ctx.settings.tz).strftime("%m-%d") if item.at else ""
    kind = ("内部" if item.doc.visibility == "internal" else "公开") + texts.KIND_NAMES.get(item.doc.kind, "")
    return f"《{escape(shorten(item.doc.title, 40))}》（{kind}" + (f" · {when}转发）" if when else "）")
