"""A person when needed: ``转人工``, ``人工``, ``客服`` (the handoff rule), and an offer after three misses.

With ``HANDOFF=kf`` the message goes to the account's customer-service agents (the
``transfer_customer_service`` reply); otherwise the contact card and working hours. Outside working
hours (``SITE_TIMEZONE``) the reply says when someone will answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.chat import router
from bot.chat.frontdesk.answers import action, contact_text, expand
from bot.chat.frontdesk.desk import Desk, current
from bot.chat.frontdesk.hours import hours_or_default, when
from bot.chat.frontdesk.rules import Rule
from bot.chat.replies import Reply, Text, Transfer
from bot.services import Context

log = logging.getLogger(__name__)

MISSES = 3  # weak or empty searches in a row before a person is offered
OFFER = "好像一直没找到你要的？回复「{word}」找同事聊。"
IN_HOURS = "好的，请直接联系我们的同事：\n{contact}"
OUT_OF_HOURS = "现在是非工作时间（{hours}），同事会在{when}后回复你。可以先留言，或直接联系：\n{contact}"
KF_OUT_OF_HOURS = "已转给客服。现在是非工作时间（{hours}），同事会在{when}后回复你。"


def local_now(ctx_settings) -> dt.datetime:
    """Now in the site's time zone."""
    return dt.datetime.now(ctx_settings.tz)


def card_text(desk: Desk, rule: Rule, now: dt.datetime) -> str:
    """The hand-off as text: who to contact, and when someone answers if nobody is there now."""
    hours = hours_or_default(desk.hours)
    if hours.is_open(now):
        body = IN_HOURS.format(contact=contact_text(desk))
    else:
        later = when(hours.next_opening(now), now)
        body = OUT_OF_HOURS.format(hours=hours.describe(), when=later, contact=contact_text(desk))
    return f"{expand(rule.text, desk)}\n{body}" if rule.text else body


def _preview(desk: Desk, rule: Rule) -> str:
    from bot.services import services

    settings = services().settings
    now = local_now(settings)
    if settings.handoff == "kf":
        return "（把这条消息转给公众号的客服系统）"
    return card_text(desk, rule, now)


@action("handoff", preview=_preview)
def hand_off(ctx: Context, rule: Rule, desk: Desk) -> Reply:
    """Pass the conversation to a person, or say how to reach one."""
    ctx.store.misses.clear(ctx.openid)
    now = local_now(ctx.settings)
    if ctx.settings.handoff != "kf":
        return Text(card_text(desk, rule, now))
    hours = hours_or_default(desk.hours)
    if not hours.is_open(now):
        notice = KF_OUT_OF_HOURS.format(hours=hours.describe(), when=when(hours.next_opening(now), now))
        ctx.services.jobs.submit(ctx.services.delivery.push, ctx.openid, Text(notice))
    log.info("转人工 user=%s", ctx.services.user_hash(ctx.openid))
    return Transfer()


def handoff_word(desk: Desk, audience: str) -> str | None:
    """The first keyword that reaches a person for ``audience``, if any rule does."""
    rule = next(
        (r for r in desk.document.rules if r.kind == "action" and r.action == "handoff" and r.for_audience(audience)),
        None,
    )
    return rule.keywords[0] if rule and rule.keywords else None


@router.around_search
def offer_a_person(ctx: Context, text: str, search: Callable[[], Reply]) -> Reply:
    """After three weak or empty searches in a row, say how to reach a person."""
    reply = search()
    if ctx.outcome is None or not isinstance(reply, Text):
        return reply  # a page of an earlier search, not a new one
    if ctx.outcome == "found":
        ctx.store.misses.clear(ctx.openid)
        return reply
    if ctx.store.misses.add(ctx.openid) < MISSES:
        return reply
    ctx.store.misses.clear(ctx.openid)
    word = handoff_word(current(ctx.services), ctx.audience)
    if word is None or f"「{word}」" in reply.content:
        return reply
    return Text(reply.content + "\n\n" + OFFER.format(word=word))
