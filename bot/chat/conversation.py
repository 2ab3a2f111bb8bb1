"""Searches, pages and picks, and the plain commands around them (DESIGN.md "Conversation").

What answers which text is decided in ``bot.chat.router``; this module registers its part there.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import teaching, texts
from bot.chat import router, search_log
from bot.chat.frontdesk.desk import contact_line
from bot.chat.help import help_for
from bot.chat.replies import Reply, Text, escape, fit_list, shorten
from bot.links import results_url
from bot.services import Context
from config.errors import IndexNotReady

PAGE_SIZE = 5
MAX_REMEMBERED = 200  # numbers a user can pick from in one conversation (kept from 1, never shifted)
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
    session = _paged_session(ctx)
    if isinstance(session, Text):
        return session
    pages, page = _pages(session)
    seen = pages[page + 1] if page + 1 < len(pages) else None  # forward again after 上一页
    if session["mode"] != "latest" and seen is None and session["next"] >= session.get("total", 0):
        return Text(texts.NO_MORE.format(query=escape(shorten(session["q"], 20))))
    return _show_page(ctx, session, seen)


def previous(ctx: Context, _arg: str = "") -> Reply:
    """Show the page before the one shown last (``上一页``)."""
    session = _paged_session(ctx)
    if isinstance(session, Text):
        return session
    pages, page = _pages(session)
    if page <= 0:
        return Text(texts.FIRST_PAGE)
    return _show_page(ctx, session, pages[page - 1])


def _paged_session(ctx: Context) -> dict | Text:
    # The last search or listing to page through, or the reply saying why there is none.
    if not ctx.store.available:
        return Text(texts.PAGING_UNAVAILABLE)
    session = ctx.store.sessions.get(ctx.openid)
    return Text(texts.NO_SESSION) if session is None else session


def _show_page(ctx: Context, session: dict, offset: int | None) -> Reply:
    if session["mode"] == "latest":
        return _latest_page(ctx, session, offset)
    return _search_page(ctx, session, offset)


def _pages(session: dict) -> tuple[list[int], int]:
    pages = session.get("pages") or [0]
    return pages, min(session.get("page", len(pages) - 1), len(pages) - 1)


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


def _search_page(ctx: Context, session: dict, offset: int | None = None) -> Reply:
    """A page of the search: the next unseen one, or the one starting at ``offset`` (seen before)."""
    fresh = not session.get("pages")  # the first page of a new search: counted and logged once
    offset = session["next"] if offset is None else offset
    try:
        searcher = ctx.services.index.searcher()
        # Rewrites, pins, lifts (bot.teaching) as of the first page: later pages continue that order
        # (and need no Redis read of their own).
        taught = None if fresh else session.get("taught")
        if taught is None:
            taught = session["taught"] = teaching.search_options(ctx.store, session["q"])
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
    if fresh and not result.hits and session["kind"] == "case":
        return _articles_instead(ctx, session, result)
    if fresh and not session.get("instead"):
        search_log.record(ctx, session["q"], session["kind"], session["tag"], result.total, result.weak)
        ctx.services.metrics.count_search(result.total, result.weak)
        ctx.outcome = "none" if result.total == 0 else "weak" if result.weak else "found"
    if not result.hits:
        if offset:
            return Text(texts.NO_MORE.format(query=label))
        return _nothing_found(ctx, searcher, label, result)
    if result.weak and fresh:
        head = texts.WEAK.format(query=label)
    else:
        head = texts.FOUND.format(total=result.total, query=label)
        if offset == 0 and 0 < result.strong < result.total:
            head = texts.FOUND_STRONG.format(strong=result.strong, rest=result.total - result.strong, query=label)
        if result.corrected:
            head += texts.CORRECTED.format(corrected=escape(shorten(result.corrected, 20)))
    note = ""
    if session.get("instead") and fresh:
        head = texts.NO_CASES_FOUND.format(query=label) + "\n" + head
        note = _ask_us_for_cases(ctx)
    text, shown = _fit_search_page(ctx, session, offset, head, result, note)
    _remember(session, offset, [h.id for h in result.hits[:shown]], total=result.total)
    ctx.store.sessions.save(ctx.openid, session)
    ctx.hits = shown
    return Text(text)


def _fit_search_page(ctx: Context, session: dict, offset: int, head: str, result, note: str = "") -> tuple[str, int]:
    """The page's text within 2048 bytes (``note`` after the list); when hits remain unseen, end with a
    link to all of them.

    The link line is part of the tail that ``fit_list`` keeps room for, so results are trimmed
    to make space for it, never the link cut.
    """
    first = offset + 1
    tail = "\n".join(part for part in (note, _hint(ctx, offset + len(result.hits) < result.total)) if part)
    text, shown = fit_list(head, result.hits, first, tail)
    if offset + shown < result.total:
        url = results_url(ctx.services, ctx.openid, ctx.audience, session["q"], session["kind"], session["tag"])
        link = texts.RESULTS_LINK.format(url=url, total=result.total) if url else ""
        tail = "\n".join(part for part in (note, _hint(ctx, True), link) if part)
        text, shown = fit_list(head, result.hits, first, tail)
    return text, shown


def _latest_page(ctx: Context, session: dict, offset: int | None = None) -> Reply:
    offset = session["next"] if offset is None else offset
    try:
        searcher = ctx.services.index.searcher()
        hits = searcher.latest(audience=ctx.audience, kind=session["kind"], limit=offset + PAGE_SIZE + 1)
    except IndexNotReady:
        return Text(texts.INDEX_NOT_READY)
    page = hits[offset : offset + PAGE_SIZE]
    if not page and offset == 0 and session["kind"] == "case":
        # No case this reader may see (a blog that only tags some posts 案例): say so, show the newest instead.
        return _latest_page(ctx, {**session, "kind": None, "instead": "case"})
    if not page:
        return Text(texts.NO_CONTENT if offset == 0 else texts.NO_MORE.format(query="最新"))
    head = texts.LATEST.format(kind=texts.KIND_NAMES.get(session["kind"], "内容"))
    tail = _hint(ctx, len(hits) > offset + PAGE_SIZE)
    if session.get("instead") and offset == 0:
        head = texts.NO_CASES
        tail = "\n".join(part for part in (_ask_us_for_cases(ctx), tail) if part)
    text, shown = fit_list(head, page, offset + 1, tail)
    _remember(session, offset, [h.id for h in page[:shown]])
    ctx.store.sessions.save(ctx.openid, session)
    ctx.hits = shown
    return Text(text)


def _articles_instead(ctx: Context, session: dict, result) -> Reply:
    """A 案例 search that found no case: log it as asked, then say so and show the matching articles."""
    search_log.record(ctx, session["q"], session["kind"], session["tag"], result.total, result.weak)
    ctx.services.metrics.count_search(result.total, result.weak)
    ctx.outcome = "none"
    return _search_page(ctx, {**session, "kind": None, "instead": "case", "next": 0, "ids": []})


def _ask_us_for_cases(ctx: Context) -> str:
    """After the articles shown instead of cases: how to ask the company for cases, when it says how."""
    contact = contact_line(ctx.services)
    return texts.NO_CASES_CONTACT.format(contact=escape(contact)) if contact else ""


def _remember(session: dict, offset: int, ids: list[str], **extra) -> None:
    """Note a shown page: its ids under their numbers (from 1, never shifted), where it starts."""
    known = session["ids"]
    session["ids"] = (known[:offset] + ids + known[offset + len(ids) :])[:MAX_REMEMBERED]
    pages = sorted({*session.get("pages", []), offset})
    session.update(pages=pages, page=pages.index(offset), next=max(session.get("next", 0), offset + len(ids)))
    session.update(extra)


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
    session = {"mode": "latest", "kind": None, "next": 0, "ids": [], "q": result.query}
    _remember(session, 0, [h.id for h in newest[:shown]])
    ctx.store.sessions.save(ctx.openid, session)
    return Text(text)


def _hint(ctx: Context, has_more: bool) -> str:
    if not ctx.store.available:
        return ""  # without Redis there is no conversation to pick from or page through
    return texts.LIST_HINT + (texts.MORE_HINT if has_more else "") + "。"


router.command("更多", "下一页")(more)
router.command("上一页", "上页", "前一页")(previous)
router.command("最新")(latest)
router.command("最新案例")(lambda ctx, _arg="": latest(ctx, "案例"))  # the menu button's name, typed
router.command("最新文章")(lambda ctx, _arg="": latest(ctx, "文章"))
router.command("案例")(kind_search("案例"))
router.command("文章")(kind_search("文章"))
