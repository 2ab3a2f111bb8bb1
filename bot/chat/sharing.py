"""``分享 N``: the share kit of result N — 朋友圈 and 微博 copy in the reply, every form on the kit page.

Internal documents get no kit (the reply says why); a client can only name results of their own
list, which holds nothing internal, and the document is looked up again with their current role.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from bot import shares, texts
from bot.chat import router
from bot.chat.replies import TEXT_LIMIT, Card, Reply, Text, card, escape, marked_title, shorten, size
from bot.services import Context
from config.errors import IndexNotReady
from creative import Kit, weibo_length

log = logging.getLogger(__name__)

_URL = re.compile(r"(https?://[\x21-\x7e]+)")
_GLUED = re.compile(r"分享\s*第?\s*(\d{1,3})\s*(?:条|个|篇)?")


@router.command("分享")
def share(ctx: Context, arg: str) -> Reply:
    """``分享 N``; ``分享`` alone explains; other words after 分享 are searched as typed."""
    number = _GLUED.fullmatch("分享" + arg.replace(" ", ""))
    if number:
        return share_result(ctx, int(number.group(1)))
    if not arg:
        return Text(texts.SHARE_USAGE)
    from bot.chat.conversation import search

    return search(ctx, f"分享 {arg}")


@router.interpreter(5)
def share_glued(ctx: Context, text: str) -> Reply | None:
    """``分享2``, ``分享第2条`` (no space: not a command word)."""
    number = _GLUED.fullmatch(text)
    return share_result(ctx, int(number.group(1))) if number else None


def share_result(ctx: Context, number: int) -> Reply:
    """The kit of result ``number`` of the conversation, or why there is none."""
    session = ctx.store.sessions.get(ctx.openid)
    ids = session["ids"] if session else []
    if not ids:
        return Text(texts.SHARE_NO_LIST if ctx.store.available else texts.SHARE_UNAVAILABLE)
    if not 1 <= number <= len(ids):
        return Text(texts.SHARE_OUT_OF_RANGE.format(n=number, count=len(ids)))
    try:
        searcher = ctx.services.index.searcher()
        # The user's current role: the list may predate a revocation or a reindex.
        hit = searcher.get(ids[number - 1], audience=ctx.audience)
        body = searcher.body(hit.id, audience=ctx.audience) if hit else None
    except IndexNotReady:
        return Text(texts.INDEX_NOT_READY)
    if hit is None or body is None:
        return Text(texts.PICK_GONE.format(n=number))
    title = _plain(shorten(marked_title(hit), 40))
    if hit.visibility != "public":
        return Text(texts.SHARE_INTERNAL.format(title=title))
    if not shares.is_web_url(hit.url):
        return Text(texts.SHARE_NO_URL.format(title=title))
    sharer = shares.sharer_of(ctx.services, ctx.openid, ctx.audience)
    kit = shares.kit_for(ctx.services, hit, body, sharer)
    if sharer:
        ctx.store.shares.record_share(hit.id, sharer, ctx.openid, hit.title)
    ctx.hits = 1
    return Text(kit_reply(title, kit, shares.kit_url(ctx.services, hit.id, sharer)))


def card_for(ctx: Context, hit) -> Card:
    """A result as a card; an employee's card of public content links through ``/s/`` and counts a share."""
    shown = card(hit)
    sharer = shares.sharer_of(ctx.services, ctx.openid, ctx.audience)
    if not sharer or hit.visibility != "public" or not shares.is_web_url(hit.url):
        return shown
    url = shares.shared_url(ctx.services, hit, sharer)
    if url == hit.url:  # no PUBLIC_BASE_URL: nothing to count through
        return shown
    ctx.store.shares.record_share(hit.id, sharer, ctx.openid, hit.title)
    return replace(shown, url=url)


def kit_reply(title: str, kit: Kit, page: str) -> str:
    """朋友圈 and 微博 copy plus the kit page's link, within WeChat's 2048 bytes (links never cut)."""
    head = texts.SHARE_HEAD.format(title=title)
    moments = f"{texts.SHARE_MOMENTS}\n{_plain(kit.moments)}"
    weibo = f"{texts.SHARE_WEIBO.format(length=weibo_length(kit.weibo))}\n{_plain(kit.weibo)}"
    tail = texts.SHARE_PAGE.format(url=page) if page else ""
    for parts in ([head, moments, weibo, tail], [head, moments, weibo], [head, moments, tail], [head, moments]):
        text = "\n\n".join(p for p in parts if p)
        if size(text) <= TEXT_LIMIT:
            return text
    return head  # unreachable for copy within its limits; never a cut link


def _plain(text: str) -> str:
    # WeChat renders <a> in text replies: words from a document are made inert, links kept as they are.
    parts = _URL.split(text)
    return "".join(part if _URL.fullmatch(part) else escape(part) for part in parts)
