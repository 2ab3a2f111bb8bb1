"""Title ideas: ``标题 [平台] 品牌 [产品]`` → 5 ideas of different styles; ``换一批`` → 5 more, none
repeated in the conversation. Admins add a title they saw with ``收藏标题 …``: the bot proposes the
pattern and keeps it when they answer ``确认`` (the flow ``title-save``).
"""

from __future__ import annotations

from dataclasses import asdict

from bot import texts, title_ideas
from bot.chat import router
from bot.chat.replies import Reply, Text, escape
from bot.services import Context
from creative.ideas import Request, choose, fill, parse_request
from creative.propose import finish_question, propose
from creative.titles import check_pattern

COUNT = 5
FLOW = "title-save"
CONFIRM = ("确认", "确定", "保存", "好", "好的", "是", "1")
CANCEL = ("取消", "不要", "算了", "不用了", "0")


@router.command("标题")
def titles(ctx: Context, arg: str) -> Reply:
    """Five title ideas for what was asked (empty slots: COMPANY_NAME, COMPANY_INDUSTRY)."""
    library = title_ideas.library(ctx.services)
    request = parse_request(arg.split(), library)
    return _ideas(ctx, request, [])


@router.command("换一批")
def more_titles(ctx: Context, _arg: str = "") -> Reply:
    """Five more ideas for the last request, none shown before in this conversation."""
    if not ctx.store.available:
        return Text(texts.TITLES_UNAVAILABLE)
    seen = ctx.store.titles.seen(ctx.openid)
    if not seen:
        return Text(texts.TITLES_NO_REQUEST)
    return _ideas(ctx, Request(**seen["request"]), list(seen["shown"]))


def _ideas(ctx: Context, request: Request, shown: list[str]) -> Reply:
    library = title_ideas.library(ctx.services)
    settings = ctx.settings
    words = fill(library, request, company=settings.company_name, industry=settings.company_industry)
    ideas = choose(library, request, words, exclude=shown, count=COUNT)
    brand = words["品牌"]
    if not ideas:
        return Text(texts.TITLES_ALL_SEEN.format(brand=escape(brand)) if shown else texts.TITLES_NONE)
    ids = [i.pattern_id for i in ideas]
    ctx.store.titles.remember(ctx.openid, asdict(request), shown + ids)
    ctx.store.titles.count_used(ids)
    platform = texts.TITLES_PLATFORM.format(platform=request.platform) if request.platform else ""
    if brand:
        head = texts.TITLES_HEAD.format(brand=escape(brand), count=len(ideas), platform=platform)
    else:
        head = texts.TITLES_HEAD_PLAIN.format(count=len(ideas), platform=platform)
    lines = [f"{n}. {escape(idea.text)}（{idea.style}）" for n, idea in enumerate(ideas, 1)]
    return Text("\n".join([head, *lines, texts.TITLES_HINT]))


@router.command("收藏标题", admin=True)
def save_title(ctx: Context, arg: str) -> Reply:
    """Admin: propose a pattern from a title someone saw and ask for 确认."""
    if not arg.strip():
        return Text(texts.TITLE_SAVE_USAGE)
    proposal = propose(arg, title_ideas.library(ctx.services))
    if proposal.problem:
        return Text(texts.TITLE_BAD.format(problem=proposal.problem))
    data = {"text": proposal.text, "style": proposal.style, "numbers": list(proposal.numbers)}
    if not ctx.store.flows.start(ctx.openid, FLOW, data):
        return Text(texts.TITLE_SAVE_FAILED)
    words = "、".join(f"{escape(word)}→{{{slot}}}" for word, slot in proposal.marked)
    marked = texts.TITLE_MARKED.format(words=words) if words else texts.TITLE_NOTHING_MARKED
    return Text(texts.TITLE_PROPOSED.format(pattern=escape(proposal.text), style=proposal.style, marked=marked))


@router.flow(FLOW)
def confirm_title(ctx: Context, text: str, data: dict) -> Reply | None:
    """``确认`` keeps the proposed pattern, ``取消`` drops it, a pattern with slots replaces it."""
    if text in CANCEL:
        ctx.store.flows.end(ctx.openid)
        return Text(texts.TITLE_CANCELLED)
    if text in CONFIRM:
        ctx.store.flows.end(ctx.openid)
        return _keep(ctx, data)
    if "{" in text or "}" in text:  # a corrected pattern: check it and ask again
        problem = check_pattern(text)
        if problem:
            return Text(texts.TITLE_BAD.format(problem=problem))
        data = {**data, "text": finish_question(text.strip()), "numbers": data.get("numbers") or []}
        ctx.store.flows.start(ctx.openid, FLOW, data)
        return Text(texts.TITLE_PROPOSED.format(pattern=escape(data["text"]), style=data["style"], marked=""))
    ctx.store.flows.end(ctx.openid)  # anything else: the admin moved on; answer it as usual
    return None


def _keep(ctx: Context, data: dict) -> Reply:
    library = title_ideas.library(ctx.services)
    existing = next((p for p in library.patterns if p.text == data["text"]), None)
    if existing:
        return Text(texts.TITLE_EXISTS.format(id=existing.id))
    pattern_id = ctx.store.titles.new_id()
    entry = {"text": data["text"], "style": data["style"], "numbers": data.get("numbers") or [], "platforms": ["全部"]}
    if not pattern_id or not ctx.store.titles.save(pattern_id, entry, by=ctx.openid):
        return Text(texts.TITLE_SAVE_FAILED)
    return Text(texts.TITLE_SAVED.format(id=pattern_id))
