"""Bring the account's old auto-replies over: ``get_current_autoreply_info`` → front desk rules.

Official doc 获取公众号的自动回复规则 (``GET cgi-bin/get_current_autoreply_info``): keyword rules
(``match_mode`` contain / equal; replies text, img, voice, video, news), the subscribe reply
(``add_friend_autoreply_info``) and the reply to any message (``message_default_autoreply_info``).
CaseLink can send text and one news card; images, voice and video are reported, not converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot.chat.frontdesk.rules import Rule, new_id

TYPE_NAMES = {"text": "文字", "img": "图片", "voice": "语音", "video": "视频", "news": "图文"}
SINGLE_QUOTED = re.compile(r"<a\s+href='([^']*)'\s*>")
WELCOME_HELP = "\n\n{帮助}"


@dataclass
class Conversion:
    """The rules made from the account's settings, and what could not be made, in Chinese."""

    rules: list[Rule] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _text(content: str) -> str:
    # The platform writes links as <a href='…'>; our rules use double quotes.
    return SINGLE_QUOTED.sub(lambda m: f'<a href="{m.group(1)}">', (content or "").strip())


def _reply(item: dict[str, Any], where: str, out: Conversion) -> dict[str, str] | None:
    """One reply of the platform as rule fields, or None (reported) when CaseLink cannot send it."""
    kind = item.get("type", "")
    if kind == "text" and (item.get("content") or "").strip():
        return {"kind": "text", "text": _text(item["content"])}
    if kind == "news":
        articles = (item.get("news_info") or {}).get("list") or []
        if not articles:
            out.skipped.append(f"{where}：图文是空的。")
            return None
        if len(articles) > 1:
            out.notes.append(f"{where}：多图文只能回复一篇，保留了第一篇「{articles[0].get('title', '')}」。")
        first = articles[0]
        return {
            "kind": "card",
            "title": first.get("title", "")[:64],
            "description": (first.get("digest") or "")[:120],
            "url": first.get("content_url") or first.get("source_url") or "",
            "image": first.get("cover_url") or "",
        }
    name = TYPE_NAMES.get(kind, kind or "未知类型")
    out.skipped.append(f"{where}：回复是{name}，案例通只能回复文字和图文，没有导入。")
    return None


def convert(info: dict[str, Any]) -> Conversion:
    """Rules from a ``get_current_autoreply_info`` answer (not yet checked against the stored ones)."""
    out = Conversion()
    welcome = info.get("add_friend_autoreply_info") or {}
    if info.get("is_add_friend_reply_open") and welcome:
        fields = _reply(welcome, "关注后自动回复", out)
        if fields:
            if fields["kind"] == "text":
                fields["text"] += WELCOME_HELP  # new followers also learn how to search
            out.rules.append(Rule(id=new_id(), name="欢迎语（从公众号导入）", match="subscribe", **fields))
    default = info.get("message_default_autoreply_info") or {}
    if info.get("is_autoreply_open") and default:
        fields = _reply(default, "收到消息回复", out)
        if fields and fields["kind"] != "text":
            out.skipped.append("收到消息回复：案例通在搜索没有结果时只能附加一段文字，图文没有导入。")
        elif fields:
            out.rules.append(Rule(id=new_id(), name="没有找到时（从公众号导入）", match="nothing_found", **fields))
            out.notes.append("收到消息回复：案例通会搜索每一条消息，这段话改为在搜索没有结果时附上。")
    for entry in (info.get("keyword_autoreply_info") or {}).get("list") or []:
        out.rules += _keyword_rules(entry, out)
    return out


def _keyword_rules(entry: dict[str, Any], out: Conversion) -> list[Rule]:
    name = str(entry.get("rule_name") or "未命名规则")[:30]
    where = f"关键词规则「{name}」"
    replies = [r for r in (_reply(item, where, out) for item in entry.get("reply_list_info") or []) if r]
    if not replies:
        return []
    texts = [r["text"] for r in replies if r["kind"] == "text"]
    if entry.get("reply_mode") == "reply_all" and len(texts) == len(replies) > 1:
        fields = {"kind": "text", "text": "\n\n".join(texts)}  # all of them, as one message
    else:
        fields = replies[0]
        if len(replies) > 1:
            mode = "随机回复一条" if entry.get("reply_mode") == "random_one" else "全部回复"
            out.notes.append(f"{where}：原来是「{mode}」，{len(replies)} 条回复里只导入了第一条。")
    modes = {"equal": "exact", "contain": "contains"}
    rules = []
    for platform_mode, match in modes.items():
        words = [
            (k.get("content") or "").strip()
            for k in entry.get("keyword_list_info") or []
            if k.get("match_mode") == platform_mode and (k.get("content") or "").strip()
        ]
        if words:
            suffix = "" if len(rules) == 0 else "（包含）"
            rules.append(Rule(id=new_id(), name=name + suffix, match=match, keywords=tuple(words), **fields))
    if not rules:
        out.skipped.append(f"{where}：没有文字关键词，没有导入。")
    return rules


def replacing(rule: Rule, stored: list[Rule]) -> Rule:
    """An imported welcome or nothing-found rule takes the place of the stored one of that kind."""
    if rule.match in ("subscribe", "nothing_found"):
        old = next((r for r in stored if r.match == rule.match and r.audience == "everyone"), None)
        if old is not None:
            return replace(rule, id=old.id)
    return rule
