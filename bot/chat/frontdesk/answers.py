"""Fixed answers and small talk in the conversation (DESIGN.md "Conversation": the front desk).

- an exact keyword (``联系方式``, ``你好``), or a message of only emoji or punctuation, gets the
  rule's answer instead of a search: not searched, not logged, never a content list;
- a contains keyword with a text or card answer is shown above the search results; one with an
  action (lead form, hand-off, contact) runs the action;
- the subscribe welcome and the words added when a search finds nothing come from the rules too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot import texts
from bot.chat import router
from bot.chat.frontdesk.desk import Desk, current
from bot.chat.frontdesk.hours import hours_or_default
from bot.chat.frontdesk.rules import Rule
from bot.chat.replies import TEXT_LIMIT, Card, Reply, Text, size
from bot.services import Context, Services
from config.errors import IndexNotReady

log = logging.getLogger(__name__)

INTERNAL_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Action:
    """A built-in action: what it does in a conversation, and what the dashboard preview says."""

    run: Callable[[Context, Rule, Desk], Reply]
    preview: Callable[[Desk, Rule], str]


ACTIONS: dict[str, Action] = {}


def action(name: str, preview: Callable[[Desk, Rule], str]) -> Callable:
    """Register the built-in action ``name`` (``contact``, ``lead``, ``handoff``)."""

    def register(run: Callable[[Context, Rule, Desk], Reply]) -> Callable[[Context, Rule, Desk], Reply]:
        ACTIONS[name] = Action(run, preview)
        return run

    return register


def contact_text(desk: Desk) -> str:
    """The contact card as text: company, phone, email, WeChat ID, address, working hours."""
    c = desk.contact
    lines = [c.get("company", "")] if c.get("company") else []
    for key, label in (("phone", "电话"), ("email", "邮箱"), ("wechat", "微信"), ("address", "地址")):
        if c.get(key):
            lines.append(f"{label}：{c[key]}")
    lines.append(f"工作时间：{hours_or_default(desk.hours).describe()}")
    if c.get("map"):
        lines.append(f'<a href="{c["map"]}">查看地图</a>')
    return "\n".join(lines)


def expand(text: str, desk: Desk) -> str:
    """Fill in ``{帮助}``, ``{联系方式}`` and ``{工作时间}``."""
    return (
        text.replace("{帮助}", texts.HELP)
        .replace("{联系方式}", contact_text(desk))
        .replace("{工作时间}", hours_or_default(desk.hours).describe())
    )


def _with_intro(rule: Rule, desk: Desk, body: str) -> str:
    return f"{expand(rule.text, desk)}\n{body}" if rule.text else body


@action("contact", preview=lambda desk, rule: _with_intro(rule, desk, contact_text(desk)))
def contact(ctx: Context, rule: Rule, desk: Desk) -> Reply:
    """The contact card."""
    return Text(_with_intro(rule, desk, contact_text(desk)))


def render(desk: Desk, rule: Rule) -> Reply:
    """A text or card rule's reply (actions are run, see :func:`answer`)."""
    if rule.kind == "card":
        return Card(title=rule.title, description=rule.description, url=rule.url, image=rule.image)
    return Text(expand(rule.text, desk))


def answer(ctx: Context, desk: Desk, rule: Rule) -> Reply | None:
    """The rule's reply for this user, or None when it must not be sent to them (then: search)."""
    if not safe_for(ctx.services, ctx.audience, rule):
        log.warning("固定回复「%s」链接到内部资料，没有发给客户", rule.name)
        return None
    if rule.kind == "action":
        handler = ACTIONS.get(rule.action, ACTIONS["contact"])
        return handler.run(ctx, rule, desk)
    return render(desk, rule)


@router.interpreter(30)
def fixed_answer(ctx: Context, text: str) -> Reply | None:
    """An exact keyword, small talk, or an action's contains keyword: the rule answers."""
    desk = current(ctx.services)
    rule = desk.answer_for(text, ctx.audience)
    return None if rule is None else answer(ctx, desk, rule)


@router.around_search
def around_results(ctx: Context, text: str, search: Callable[[], Reply]) -> Reply:
    """A contains keyword's text or card above the results; the nothing-found rule below none."""
    reply = search()
    desk = current(ctx.services)
    if ctx.outcome == "none":
        extra = desk.trigger("nothing_found", ctx.audience)
        if extra is not None and isinstance(reply, Text) and safe_for(ctx.services, ctx.audience, extra):
            added = reply.content + "\n\n" + expand(extra.text, desk)
            reply = Text(added) if size(added) <= TEXT_LIMIT else reply
    rule = desk.contains(text, ctx.audience, kinds=("text", "card"))
    if rule is None or not isinstance(reply, Text) or not safe_for(ctx.services, ctx.audience, rule):
        return reply
    top = f'<a href="{rule.url}">{rule.title}</a>' if rule.kind == "card" else expand(rule.text, desk)
    return stack(top, reply)


def stack(top: str, reply: Text) -> Text:
    """``top`` above a result list, dropping the list's last items (never its hint or link) to fit."""
    lines = reply.content.split("\n")
    while size(top + "\n\n" + "\n".join(lines)) > TEXT_LIMIT:
        numbered = [i for i, line in enumerate(lines) if line[:1].isdigit() and ". <a " in line[:8]]
        if not numbered:
            return Text(top)
        del lines[numbered[-1]]
    return Text(top + "\n\n" + "\n".join(lines))


def welcome(ctx: Context) -> Reply:
    """What a new follower gets: the subscribe rule, else the built-in welcome."""
    desk = current(ctx.services)
    rule = desk.trigger("subscribe", ctx.audience)
    reply = answer(ctx, desk, rule) if rule is not None else None
    return reply or Text(texts.WELCOME)


_internal: dict[str, tuple[float, dict[str, str]]] = {}


def internal_documents(services: Services) -> dict[str, str]:
    """URL → title of every internal document (refreshed every 30 s; empty without an index)."""
    slot = str(services.settings.index_dir)
    cached = _internal.get(slot)
    if cached and time.monotonic() - cached[0] < INTERNAL_CACHE_SECONDS:
        return cached[1]
    try:
        hits = services.index.searcher().latest(audience="employee", limit=1_000_000)
    except IndexNotReady:
        return {}
    found = {h.url: h.title for h in hits if h.visibility == "internal" and h.url}
    _internal[slot] = (time.monotonic(), found)
    return found


def safe_for(services: Services, audience: str, rule: Rule) -> bool:
    """Whether sending ``rule`` to someone of ``audience`` reveals no internal document."""
    links = rule.links()
    if audience == "employee" or not links:
        return True
    internal = internal_documents(services)
    return not any(url in internal for url in links)
