"""Picks: a number from the last list as a card, typed the way people type it (``2``, ``第二个``,
``第2条``, ``二``, ``2和3``); a number past the list or after the list expired is told so."""

from __future__ import annotations

from bot import teaching, texts
from bot.chat import router
from bot.chat.conversation import MAX_REMEMBERED, PAGE_SIZE, search
from bot.chat.picking import is_plain_number, parse_picks
from bot.chat.replies import Reply, Text, hit_line
from bot.chat.sharing import card_for
from bot.services import Context
from config.errors import IndexNotReady

RANGE_SLACK = 10  # a number this far past the list is a mistaken pick; further on, it is a search


@router.interpreter(10)
def number(ctx: Context, text: str) -> Reply | None:
    """A pick typed the way people type it: ``2``, ``第二个``, ``第2条``, ``二``, ``2和3``."""
    numbers = parse_picks(text)
    if numbers is None:
        return None
    plain = is_plain_number(text)
    session = ctx.store.sessions.get(ctx.openid)
    if session is None:
        had_list = ctx.store.sessions.had_list(ctx.openid)
        # 2023, 618: a search; but 1–5 with no list at all is a pick from a page the user expected to see
        if plain and (numbers[0] > MAX_REMEMBERED or (not had_list and numbers[0] > PAGE_SIZE)):
            return None
        return Text(texts.PICK_EXPIRED if had_list else texts.PICK_NO_LIST)
    known = max(len(session["ids"]), session.get("total", 0) if session.get("mode") == "search" else 0)
    beyond = [n for n in numbers if n > known]
    if beyond:
        if plain and beyond[0] > known + RANGE_SLACK:
            return None  # not a number from the list: search it
        if known > MAX_REMEMBERED and beyond[0] <= known:
            return Text(texts.PICK_TOO_FAR.format(count=MAX_REMEMBERED))
        return Text(texts.PICK_ONLY_ONE if known == 1 else texts.PICK_RANGE.format(count=known))
    return pick_many(ctx, session, numbers)


def pick(ctx: Context, number: int, fallback: str = "") -> Reply:
    """Show result ``number`` of the conversation as a card; numbers it never showed are searched."""
    session = ctx.store.sessions.get(ctx.openid)
    if session is None or not 1 <= number <= len(session["ids"]):
        return search(ctx, fallback or str(number))
    return pick_many(ctx, session, [number])


def pick_many(ctx: Context, session: dict, numbers: list[int]) -> Reply:
    """The first pick as a card; the others, as links, pushed right after (one card per reply)."""
    try:
        found = [(n, _hit(ctx, session, n)) for n in numbers]
    except IndexNotReady:
        return Text(texts.INDEX_NOT_READY)
    hits = [(n, hit) for n, hit in found if hit is not None]
    if not hits:
        return Text(texts.PICK_GONE.format(n=numbers[0]))
    user = ctx.services.user_hash(ctx.openid)
    for _, hit in hits:
        ctx.store.rules.record_doc_pick(hit.id, user)  # the 选中 column of /admin/content
        if session.get("mode") == "search" and not session.get("tag"):  # picks teach the search (bot.teaching)
            teaching.record_pick(ctx.store, session["q"], hit.id, user)
    if len(hits) > 1:
        lines = [texts.PICK_OTHERS, *(hit_line(n, hit) for n, hit in hits[1:]), texts.LIST_HINT + "。"]
        ctx.services.jobs.submit(ctx.services.delivery.push, ctx.openid, Text("\n".join(lines)))
    ctx.hits = len(hits)
    return card_for(ctx, hits[0][1])  # an employee's card links through /s/ (bot.chat.sharing)


def _hit(ctx: Context, session: dict, number: int):
    """Result ``number`` for this user now (the list may predate a role change or a reindex), or None."""
    searcher = ctx.services.index.searcher()
    ids = session["ids"]
    if number <= len(ids):
        return searcher.get(ids[number - 1], audience=ctx.audience)
    # Listed on the results page or past the remembered numbers: the search gives it again.
    taught = teaching.search_options(ctx.store, session["q"])
    result = searcher.search(
        session["q"],
        audience=ctx.audience,
        kind=session["kind"],
        tag=session["tag"],
        limit=1,
        offset=number - 1,
        **taught,
    )
    return result.hits[0] if result.hits else None
