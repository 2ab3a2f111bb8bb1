"""The lead form in the chat: name, company, phone or WeChat ID, need — one question at a time.

``取消`` leaves; 30 minutes of silence closes it (``bot.store.flows``); an answer that cannot be
used is asked again and the answers so far are kept. A finished lead is stored durably and pushed
to every admin (``bot.chat.frontdesk.notify``). A phone number never reaches the log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.chat import router
from bot.chat.frontdesk import notify
from bot.chat.frontdesk.answers import action, contact_text
from bot.chat.frontdesk.desk import Desk
from bot.chat.frontdesk.desk import current as current_desk
from bot.chat.frontdesk.hours import hours_or_default
from bot.chat.frontdesk.rules import Rule, is_symbols
from bot.chat.replies import Reply, Text
from bot.services import Context

log = logging.getLogger(__name__)

FLOW = "lead"
STEPS = ("name", "company", "contact", "need")
QUESTIONS = {
    "name": "1/4 怎么称呼你？",
    "company": "2/4 你的公司或品牌叫什么？（个人请回复「个人」）",
    "contact": "3/4 方便联系你的手机号或微信号？",
    "need": "4/4 想做什么？简单说说需求，例如：小红书种草、年度代运营、预算大概多少。",
}
LIMITS = {"name": 30, "company": 60, "need": 500}
CONSENT = "我们只保存你填的称呼、公司、联系方式和需求，只用于联系你沟通这次合作，不做他用。随时回复「取消」退出。"
START = "好的，留下几项信息，同事会尽快联系你。"
CANCEL_WORDS = {"取消", "退出", "算了", "不用了", "不填了", "cancel"}
CANCELLED = "好的，已取消，刚才填的都没有保存。需要时再回复「合作」。"
MAX_PER_DAY = 3
TOO_MANY = "你今天已经提交过 {n} 次需求了，同事会尽快联系你。着急的话可以直接联系我们：\n{contact}"
DUPLICATE = "这份需求我们已经收到了，不用重复提交，同事会尽快联系你。"
UNAVAILABLE = "现在暂时无法在这里留下需求，请直接联系我们：\n{contact}"
THANKS = "谢谢，{name}！需求已收到（编号 {number}）。同事会在工作时间（{hours}）内尽快联系你。"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
WECHAT_ID = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{5,19}$")
BAD_CONTACT = (
    "没看懂这个联系方式。请发 11 位手机号（如 13812345678），或微信号（6–20 位，字母开头，可以有数字、下划线、减号）。"
)
# What people write before the number or ID (「微信号：qt_hello」, 「手机 138…」); a Latin label needs a
# separator after it, so an ID like wxid_… keeps its first letters.
CONTACT_LABEL = re.compile(
    r"^(?:我的)?(?:(?:手机号码|手机号|手机|电话号码|联系电话|电话|微信号|微信)\s*(?:是|[:：])?|(?:vx|wx|tel)\s*[:：\s])\s*",
    re.IGNORECASE,
)
BAD_MOBILE = "手机号应该是 11 位、以 1 开头的数字，请再发一次（也可以发微信号）。"


def escape(text: str) -> str:
    """User-typed text echoed back: WeChat would read angle brackets as markup."""
    return text.replace("<", "＜").replace(">", "＞")


def _start_text(rule: Rule, desk: Desk) -> str:
    intro = f"{rule.text}\n" if rule.text else ""
    return f"{intro}{START}\n{CONSENT}\n\n{QUESTIONS['name']}"


@action("lead", preview=lambda desk, rule: _start_text(rule, desk))
def start(ctx: Context, rule: Rule, desk: Desk) -> Reply:
    """Open the form (unless this user already sent too many today)."""
    sent = ctx.store.leads.submissions(ctx.openid)
    if sent >= MAX_PER_DAY:
        return Text(TOO_MANY.format(n=sent, contact=contact_text(desk)))
    if not ctx.store.flows.start(ctx.openid, FLOW, {"step": "name", "answers": {}}):
        return Text(UNAVAILABLE.format(contact=contact_text(desk)))
    return Text(_start_text(rule, desk))


def check(step: str, text: str) -> tuple[str, str | None]:
    """The answer to keep, or a problem to say (then the question is asked again)."""
    text = text.strip()
    if step == "contact":
        return check_contact(text)
    if is_symbols(text) or not text:
        return "", "请用文字回答哦。"
    limit = LIMITS[step]
    if len(text) > limit:
        more = "，详细的可以等同事联系你时再聊" if step == "need" else ""
        return "", f"有点长（{len(text)} 个字），请控制在 {limit} 个字以内{more}。"
    return text, None


def check_contact(text: str) -> tuple[str, str | None]:
    """A mainland mobile number (spaces, dashes and +86 allowed) or a WeChat ID, with or without a label."""
    text = CONTACT_LABEL.sub("", text, count=1).strip()
    digits = re.sub(r"[\s\-()（）]", "", text)
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    if MOBILE.match(digits):
        return digits, None
    if WECHAT_ID.match(text):
        return text, None
    if digits.isdigit():
        return "", BAD_MOBILE
    return "", BAD_CONTACT


@router.flow(FLOW)
def step(ctx: Context, text: str, data: dict[str, Any]) -> Reply | None:
    """One answer of the form."""
    if text.lower() in CANCEL_WORDS:
        ctx.store.flows.end(ctx.openid)
        return Text(CANCELLED)
    command = router.COMMANDS.get(text.partition(" ")[0])
    if command is not None and (ctx.is_admin or not command.admin):
        return None  # 帮助, 更多 … answered as usual; the form waits for its answer
    rule = current_desk(ctx.services).exact(text, ctx.audience)
    if rule is not None and rule.kind == "action" and rule.action == "handoff":
        ctx.store.flows.end(ctx.openid)
        return None  # 转人工 is not a name: the person asked for someone, the hand-off answers
    current = data.get("step") if data.get("step") in STEPS else "name"
    # Names and needs are kept as written (張三 stays 張三, a full-width comma stays); the phone number
    # is read from the normalised text (full-width digits).
    written = " ".join(ctx.typed.split()) if current != "contact" and ctx.typed.strip() else text
    answer, problem = check(current, written)
    if problem:
        ctx.store.flows.start(ctx.openid, FLOW, data)  # the 30 minutes start again
        return Text(f"{problem}\n{QUESTIONS[current]}")
    answers = {**data.get("answers", {}), current: answer}
    following = STEPS.index(current) + 1
    if following < len(STEPS):
        ctx.store.flows.start(ctx.openid, FLOW, {"step": STEPS[following], "answers": answers})
        return Text(QUESTIONS[STEPS[following]])
    ctx.store.flows.end(ctx.openid)
    return submit(ctx, answers)


def submit(ctx: Context, answers: dict[str, str]) -> Reply:
    """Store a finished form and push it to the admins."""
    desk = current_desk(ctx.services)
    leads = ctx.store.leads
    if not leads.first_time(ctx.openid, answers["contact"], answers["need"]):
        return Text(DUPLICATE)
    kind = "phone" if MOBILE.match(answers["contact"]) else "wechat"
    lead = leads.add({**answers, "contact_kind": kind, "openid": ctx.openid, "handler": "", "notes": ""})
    if lead is None:
        return Text(UNAVAILABLE.format(contact=contact_text(desk)))
    leads.count_submission(ctx.openid)
    log.info("新线索 #%s user=%s", lead["id"], ctx.services.user_hash(ctx.openid))
    ctx.services.jobs.submit(notify.admins, ctx.services, lead)
    hours = hours_or_default(desk.hours).describe()
    return Text(THANKS.format(name=escape(answers["name"]), number=lead["id"], hours=hours))
