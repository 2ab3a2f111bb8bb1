"""What makes a fixed answer unusable or unsafe, said in Chinese for the admin who wrote it.

Checked when a rule is saved (dashboard, import) and, for internal links, again when it answers:
content can be marked internal after the rule was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from bot.chat.frontdesk.rules import ACTIONS, AUDIENCES, MATCHES, TRIGGERS, Rule, key_form

TEXT_LIMIT = 2048  # bytes: WeChat's limit for a text reply
CONTAINS_TEXT_LIMIT = 600  # bytes: shown above search results, which need the rest
INTRO_LIMIT = 300  # bytes: said before an action's own message
MAX_KEYWORDS = 30
KEYWORD_CHARS = 30
NAME_CHARS = 30
TITLE_CHARS = 64
DESCRIPTION_CHARS = 120
URL_CHARS = 1024
CONTACT_CHARS = 100
ANCHOR = re.compile(r'<a href="([^"<>]*)">([^<>]*)</a>')


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c in url for c in ' "<>')


def overlap(a: str, b: str) -> bool:
    """Whether two audiences share anyone."""
    return a == b or "everyone" in (a, b)


def check_rule(rule: Rule, others: Iterable[Rule], commands: Iterable[str], internal: dict[str, str]) -> list[str]:
    """Every problem with ``rule`` among ``others``; ``internal`` maps internal URLs to titles."""
    errors: list[str] = []
    if len(rule.name) > NAME_CHARS:
        errors.append(f"名称最多 {NAME_CHARS} 个字。")
    if rule.match not in MATCHES:
        errors.append("请选择匹配方式。")
    if rule.audience not in AUDIENCES:
        errors.append("请选择谁会收到这条回复。")
    others = [o for o in others if o.id != rule.id]
    if rule.match in ("exact", "contains"):
        errors += _check_keywords(rule, others, set(commands))
    elif rule.match in TRIGGERS:
        for other in others:
            if other.match == rule.match and overlap(other.audience, rule.audience):
                errors.append(f"「{MATCHES[rule.match]}」已经有规则「{other.name}」了，同一类只能有一条。")
    errors += _check_reply(rule)
    if rule.audience != "employee":
        for url in rule.links():
            if url in internal:
                errors.append(
                    f"这条规则会把内部资料「{internal[url]}」发给客户：请把「谁会收到」改成「员工」，或换成公开的链接。"
                )
    return errors


def _check_keywords(rule: Rule, others: list[Rule], commands: set[str]) -> list[str]:
    errors: list[str] = []
    if not rule.keywords:
        return ["请至少填一个关键词。"]
    if len(rule.keywords) > MAX_KEYWORDS:
        errors.append(f"一条规则最多 {MAX_KEYWORDS} 个关键词，现在有 {len(rule.keywords)} 个。")
    seen: set[str] = set()
    for word in rule.keywords:
        form = key_form(word)
        if len(word) > KEYWORD_CHARS:
            errors.append(f"关键词「{word[:KEYWORD_CHARS]}…」太长了，最多 {KEYWORD_CHARS} 个字。")
        elif not form:
            errors.append(f"关键词「{word}」只有标点或表情：这类消息请用「只有表情或标点」规则回复。")
        elif form.isdigit():
            errors.append(f"关键词「{word}」是数字：回复数字是用来选搜索结果的，不能作为关键词。")
        elif form in commands or word.strip() in commands:
            errors.append(f"「{word}」是机器人的命令，不能作为关键词。")
        elif form in seen:
            errors.append(f"关键词「{word}」写了两遍。")
        seen.add(form)
        for other in others:
            same = other.match == rule.match and overlap(other.audience, rule.audience)
            if same and form and form in {key_form(k) for k in other.keywords}:
                errors.append(f"关键词「{word}」已经在规则「{other.name}」里了（同样的匹配方式和收件人）。")
    return errors


def _check_reply(rule: Rule) -> list[str]:
    if rule.kind == "text":
        short = rule.match in ("contains", "nothing_found")  # said together with search results
        return _check_text(rule.text, CONTAINS_TEXT_LIMIT if short else TEXT_LIMIT)
    if rule.kind == "card":
        if rule.match == "nothing_found":
            return ["「搜索没有结果时」只能回复文字。"]
        return _check_card(rule)
    if rule.kind == "action":
        if rule.match in TRIGGERS:
            return [f"「{MATCHES[rule.match]}」只能回复文字或图文卡片。"]
        if rule.action not in ACTIONS:
            return ["请选择一个动作：联系方式、留资表单或转人工。"]
        return _check_text(rule.text, INTRO_LIMIT, required=False) if rule.text else []
    return ["请选择回复的类型：文字、图文卡片或动作。"]


def _check_text(text: str, limit: int, required: bool = True) -> list[str]:
    if not text.strip():
        return ["回复的文字不能为空。"] if required else []
    errors = []
    if _bytes(text) > limit:
        errors.append(f"回复的文字太长：最多 {limit} 字节（约 {limit // 3} 个汉字），现在是 {_bytes(text)} 字节。")
    for url, _ in ANCHOR.findall(text):
        if not _is_http(url):
            errors.append(f"链接「{url[:60]}」不是 http(s) 地址。")
    if "<" in ANCHOR.sub("", text) or ">" in ANCHOR.sub("", text):
        errors.append('文字里只能用 <a href="https://…">文字</a> 这样的链接；其他尖括号请改成全角的＜＞。')
    return errors


def _check_card(rule: Rule) -> list[str]:
    errors = []
    if not rule.title.strip():
        errors.append("图文卡片需要标题。")
    elif len(rule.title) > TITLE_CHARS:
        errors.append(f"卡片标题最多 {TITLE_CHARS} 个字。")
    if len(rule.description) > DESCRIPTION_CHARS:
        errors.append(f"卡片描述最多 {DESCRIPTION_CHARS} 个字。")
    if not _is_http(rule.url) or len(rule.url) > URL_CHARS:
        errors.append("卡片链接需要一个完整的 http(s) 地址。")
    if rule.image and (not _is_http(rule.image) or len(rule.image) > URL_CHARS):
        errors.append("卡片图片需要一个 http(s) 图片地址（也可以不填）。")
    return errors


def check_contact(contact: dict[str, str], hours: dict) -> list[str]:
    """Problems with the contact card and working hours."""
    errors = [f"「{key}」最多 {CONTACT_CHARS} 个字。" for key, value in contact.items() if len(value) > CONTACT_CHARS]
    if contact.get("map") and not _is_http(contact["map"]):
        errors.append("地图链接需要一个 http(s) 地址（也可以不填）。")
    if not any(contact.get(k) for k in ("phone", "email", "wechat", "address")):
        errors.append("联系方式至少要有电话、邮箱、微信或地址中的一项。")
    from bot.chat.frontdesk.hours import HoursError, parse_hours

    try:
        parse_hours(hours)
    except HoursError as exc:
        errors.append(str(exc))
    return errors
