"""Searches, pages and picks, and the plain commands around them (DESIGN.md "Conversation").

What answers which text is decided in ``bot.chat.router``; this module registers its part there.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import teaching, texts
from bot.chat import router, search_log
from bot.chat.help import help_for
from bot.chat.replies import Reply, Text, card, escape, fit_list, shorten
from bot.links import results_url
from bot.services import Context
from config.errors import IndexNotReady

PAGE_SIZE = 5
MAX_REMEMBERED = 50  # numbers a user can pick from in one conversation
ZERO_RESULT_LATEST = 3
KIND_WORDS = {"案例": "case", "文章": "article"}
HELP_WORDS = ("?", "help", "HELP", "Help")


@router.interpreter(0)
def help_words(ctx: Context, text: str) -> Reply | None:
    """``?`` / ``help`` alone (``帮助`` is a command)."""
    return Text(help_for(ctx.role)) if text in HELP_WORDS else None


@router.command("帮助")
def show_help(ctx: Context, arg: str = "") -> Reply:
    """The help text for the user's role (``bot.chat.help``)."""
    return Text(help_for(ctx.role, arg))


@router.interpreter(10)
def number(ctx: Context, text: str) -> Reply | None:
    """A bare number picks that result of the conversation."""
    return pick(ctx, int(text), fallback=text) if text.isdigit() else None


@router.interpreter(20)
def hashtag(ctx: Context, text: str) -> Reply | None:
    """``#标签 [词]``: search within a tag."""
    if not (text.startswith("#") and len(text) > 1):
        return None
    tag, _, query = text[1:].partition(" ")
    return search(ctx, query.strip() or tag, tag=tag)


@router.fallback
def search_text(ctx: Context, text: str) -> Reply:
    """Anything else is a search."""
    return search(ctx, text)


def search(ctx: Context, query: str, *, kind: str | None = None, tag: str | None = None) -> Reply:
    """Run a new search and show its first page."""
    return _search_page(ctx, {"mode": "search", "q": query, "kind": kind, "tag": tag, "next": 0, "ids": []})


def more(ctx: Context, _arg: str = "") -> Reply:
    """Show the next page of the user's last search (``更多`` / ``下一页``)."""
    if not ctx.store.available:
        return Text(texts.PAGING_UNAVAILABLE)
    session = ctx.store.sessions.get(ctx.openid)
    if session is None:
        return Text(texts.NO_SESSION)
    if session["mode"] == "latest":
        return _latest_page(ctx, session)
    if session["next"] >= session.get("total", 0):
        return Text(texts.NO_MORE.format(query=escape(shorten(session["q"], 20))))
    return _search_page(ctx, session)


def pick(ctx: Context, number: int, fallback: str = "") -> Reply:
    """Show result ``number`` of the conversation as a card; numbers it never showed are searched."""
    session = ctx.store.sessions.get(ctx.openid)
    ids = session["ids"] if session else []
    if not 1 <= number <= len(ids):
        return search(ctx, fallback or str(number))
    try:
        # Re-check with the user's current role: the list may predate a role change or a reindex.
        hit = ctx.services.index.searcher().get(ids[number - 1], audience=ctx.audience)
    except IndexNotReady:
        return Text(texts.INDEX_NOT_READY)
    if hit is None:
        return Text(texts.PICK_GONE.format(n=number))
    if session.get("mode") == "search" and not session.get("tag"):  # picks teach the search (bot.teaching)
        teaching.record_pick(ctx.store, session["q"], hit.id, ctx.services.user_hash(ctx.openid))
    ctx.hits = 1
    return card(hit)


def latest(ctx: Context, arg: str = "") -> Reply:
    """Show the newest content (``最新``, ``最新 案例``)."""
    return _latest_page(ctx, {"mode": "latest", "kind": KIND_WORDS.get(arg), "next": 0, "ids": []})


def kind_search(word: str) -> Callable[[Context, str], Reply]:
    """``案例 …`` / ``文章 …``: search within one kind (alone: the newest of that kind)."""

    def handler(ctx: Context, arg: str) -> Reply:
        if not arg:
            return latest(ctx, word)
        return search(ctx, arg, kind=KIND_WORDS[word])

    return handler


def _search_page(ctx: Context, session: dict) -> Reply:
    try:
        searcher = ctx.services.index.searcher()
        offset = session["next"]
        taught = teaching.search_options(ctx.store, session["q"])  # rewrites, pins, lifts (bot.teaching)
        with ctx.services.metrics.time_search("wechat"):
            result = searcher.search(
                session["q"],
                audience=ctx.audience,
                kind=session["kind"],
                tag=session["tag"],
                limit=PAGE_SIZE,
                offset=offset,
                **taught,
            )
    except IndexNotReady:
        return Text(texts.INDEX_NOT_READY)
    label = escape(shorten(session["q"], 20))
    if offset == 0:
        search_log.record(ctx, session["q"], session["kind"], session["tag"], result.total, result.weak)
        ctx.services.metrics.count_search(result.total, result.weak)
        ctx.outcome = "none" if result.total == 0 else "weak" if result.weak else "found"
    if not result.hits:
        if offset:
            return Text(texts.NO_MORE.format(query=label))
        return _nothing_found(ctx, searcher, label, result)
    if result.weak and offset == 0:
        head = texts.WEAK.format(query=label)
    else:
        head = texts.FOUND.format(total=result.total, query=label)
        if result.corrected:
            head += texts.CORRECTED.format(corrected=escape(shorten(result.corrected, 20)))
    text, shown = _fit_search_page(ctx, session, head, result)
    session.update(
        next=offset + shown,
        total=result.total,
        ids=(session["ids"] + [h.id for h in result.hits[:shown]])[-MAX_REMEMBERED:],
    )
    ctx.store.sessions.save(ctx.openid, session)
    ctx.hits = shown
    return Text(text)


def _fit_search_page(ctx: Context, session: dict, head: str, result) -> tuple[str, int]:
    """The page's text within 2048 bytes; when hits remain unseen, end with a link to all of them.

    The link line is part of the tail that ``fit_list`` keeps room for, so results are trimmed
    to make space for it, never the link cut.
    """
    offset, first = session["next"], len(session["ids"]) + 1
    text, shown = fit_list(head, result.hits, first, _hint(ctx, offset + len(result.hits) < result.total))
    if offset + shown < result.total:
        url = results_url(ctx.services, ctx.openid, ctx.audience, session["q"], session["kind"], session["tag"])
        link = texts.RESULTS_LINK.format(url=url, total=result.total) if url else ""
        tail = "\n".join(part for part in (_hint(ctx, True), link) if part)
        text, shown = fit_list(head, result.hits, first, tail)
    return text, shown


def _latest_page(ctx: Context, session: dict) -> Reply:
    try:
        searcher = ctx.services.index.searcher()
        offset = session["next"]
        hits = searcher.latest(audience=ctx.audience, kind=session["kind"], limit=offset + PAGE_SIZE + 1)
    except IndexNotReady:
        return Text(texts.INDEX_NOT_READY)
    page = hits[offset : offset + PAGE_SIZE]
    if not page:
        return Text(texts.NO_CONTENT if offset == 0 else texts.NO_MORE.format(query="最新"))
    head = texts.LATEST.format(kind=texts.KIND_NAMES.get(session["kind"], "内容"))
    text, shown = fit_list(head, page, len(session["ids"]) + 1, _hint(ctx, len(hits) > offset + PAGE_SIZE))
    session.update(next=offset + shown, ids=(session["ids"] + [h.id for h in page[:shown]])[-MAX_REMEMBERED:])
    ctx.store.sessions.save(ctx.openid, session)
    ctx.hits = shown
    return Text(text)


def _nothing_found(ctx: Context, searcher, label: str, result) -> Reply:
    head = [texts.NOTHING.format(query=label)]
    if result.corrected:
        head.append(texts.CORRECTED.format(corrected=escape(shorten(result.corrected, 20))))
    if result.related_tags:
        head.append(texts.TRY_TAGS.format(tags=escape(" ".join("#" + t for t in result.related_tags[:5]))))
    newest = searcher.latest(audience=ctx.audience, limit=ZERO_RESULT_LATEST)
    ctx.hits = 0
    if not newest:
        return Text("\n".join(head))
    head.append(texts.LATEST_FOR_YOU)
    text, shown = fit_list("\n".join(head), newest, 1, _hint(ctx, False))
    # "q": an admin may pin one of these for the query that found nothing (置顶 N)
    session = {"mode": "latest", "kind": None, "next": shown, "ids": [h.id for h in newest[:shown]], "q": result.query}
    ctx.store.sessions.save(ctx.openid, session)
    return Text(text)


def _hint(ctx: Context, has_more: bool) -> str:
    if not ctx.store.available:
        return ""  # without Redis there is no conversation to pick from or page through
    return texts.LIST_HINT + (texts.MORE_HINT if has_more else "") + "。"


router.command("更多", "下一页")(more)
router.command("最新")(latest)
router.command("案例")(kind_search("案例"))
router.command("文章")(kind_search("文章"))
