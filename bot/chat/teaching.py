"""Admins teach the bot in chat: ``同义 词A 词B``, ``置顶 N`` and ``取消置顶`` (rules: ``bot.teaching``)."""

from __future__ import annotations

from bot import teaching, texts
from bot.chat import router
from bot.chat.replies import Reply, Text, shorten
from bot.services import Context
from bot.teaching import TeachingError, plain
from config.errors import IndexNotReady

LISTED = 10  # rewrites shown by a bare 同义


@router.command("同义", admin=True)
def synonym(ctx: Context, arg: str) -> Reply:
    """``同义 词A 词B``: searching 词A also searches 词B; ``同义`` alone lists the rewrites."""
    parts = arg.split()
    if not parts:
        return Text(_listing(ctx))
    if len(parts) < 2:
        return Text(texts.TEACH_SYNONYM_USAGE)
    source, target = parts[0], " ".join(parts[1:])
    try:
        rule = teaching.add(ctx.store, teaching.new_rewrite(source, target, by=ctx.openid))
    except TeachingError as exc:
        return Text(str(exc))
    reply = texts.TEACH_SYNONYM_OK.format(source=plain(rule.query), target=plain(rule.target))
    try:
        if teaching.finds_nothing(ctx.services.index.searcher(), rule.target):
            reply += texts.TEACH_TARGET_EMPTY.format(target=plain(rule.target))
    except IndexNotReady:
        pass  # the rule is kept; there is just nothing to check it against yet
    return Text(reply)


@router.command("取消同义", admin=True)
def remove_synonym(ctx: Context, arg: str) -> Reply:
    """``取消同义 词A [词B]``: drop the rewrites of 词A (only the one to 词B when given)."""
    parts = arg.split()
    if not parts:
        return Text(texts.TEACH_SYNONYM_USAGE)
    source, target = parts[0], " ".join(parts[1:])
    rules = teaching.rules_for(ctx.store, source, [teaching.REWRITE])
    if target:
        goal = " ".join(teaching.query_words(target))
        rules = [r for r in rules if " ".join(teaching.query_words(r.target)) == goal]
    removed = ctx.store.rules.remove(r.id for r in rules)
    if not removed:
        return Text(texts.TEACH_SYNONYM_NONE.format(source=plain(source)))
    names = "、".join(f"{plain(r.query)} → {plain(r.target)}" for r in rules)
    return Text(texts.TEACH_SYNONYM_REMOVED.format(count=removed, names=names))


@router.command("置顶", admin=True)
def pin(ctx: Context, arg: str) -> Reply:
    """``置顶 N``: result N of the last search goes first for that query."""
    if not arg.isdigit():
        return Text(texts.TEACH_PIN_USAGE)
    session = ctx.store.sessions.get(ctx.openid)
    query = (session or {}).get("q")
    if not query:
        return Text(texts.TEACH_PIN_NO_SEARCH)
    number, ids = int(arg), session.get("ids") or []
    if not 1 <= number <= len(ids):
        return Text(texts.TEACH_PIN_BAD_NUMBER.format(query=plain(query), n=number))
    try:
        hit = ctx.services.index.searcher().get(ids[number - 1], audience="employee")
    except IndexNotReady:
        return Text(texts.INDEX_NOT_READY)
    if hit is None:
        return Text(texts.TEACH_PIN_GONE.format(n=number))
    try:
        rule = teaching.add(ctx.store, teaching.new_pin(query, hit.id, hit.title, by=ctx.openid))
    except TeachingError as exc:
        return Text(str(exc))
    reply = texts.TEACH_PIN_OK.format(query=plain(rule.query), title=plain(shorten(hit.title, 30)))
    if hit.visibility == "internal":
        reply += texts.TEACH_PIN_INTERNAL
    return Text(reply)


@router.command("取消置顶", admin=True)
def unpin(ctx: Context, arg: str) -> Reply:
    """``取消置顶``: drop the pins of the last search's query (or of ``取消置顶 搜索词``)."""
    query = arg or ((ctx.store.sessions.get(ctx.openid) or {}).get("q") or "")
    if not query:
        return Text(texts.TEACH_UNPIN_USAGE)
    removed = ctx.store.rules.remove(r.id for r in teaching.rules_for(ctx.store, query, [teaching.PIN]))
    if not removed:
        return Text(texts.TEACH_UNPIN_NONE.format(query=plain(query)))
    return Text(texts.TEACH_UNPIN_OK.format(query=plain(query), count=removed))


def _listing(ctx: Context) -> str:
    rewrites = [r for r in ctx.store.rules.all() if r.get("type") == teaching.REWRITE][:LISTED]
    if not rewrites:
        return texts.TEACH_SYNONYM_USAGE
    lines = [f"· {plain(r['query'])} → {plain(r['target'])}" for r in rewrites]
    return "\n".join([texts.TEACH_SYNONYM_LIST, *lines, "", texts.TEACH_SYNONYM_USAGE])
