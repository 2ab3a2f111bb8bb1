"""How the dashboard shows things: local time (SITE_TIMEZONE) and ages, Chinese names, the build report, highlights."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from pathlib import Path

from flask import current_app, has_app_context
from markupsafe import Markup, escape

from bot.services import EXTENSION
from bot.store.people import DASHBOARD as WEB_CREATOR
from bot.texts import KIND_NAMES, ROLE_NAMES
from config import clock

log = logging.getLogger(__name__)

VISIBILITY_NAMES = {"public": "公开", "internal": "内部"}
MODE_NAMES = {"rebuild": "全量重建", "update": "增量更新"}


def _zone() -> dt.tzinfo:
    # Pages render inside a request: the app's SITE_TIMEZONE (the default zone elsewhere, e.g. tests).
    if has_app_context() and EXTENSION in current_app.extensions:
        return current_app.extensions[EXTENSION].settings.tz
    return clock.zone()


def fmt_time(value) -> str:
    """An epoch or ISO 8601 time in SITE_TIMEZONE, e.g. ``2026-03-01 14:05``; ``-`` when unknown."""
    return clock.fmt_time(value, _zone())


def ago(value) -> str:
    """How long ago, in words: 刚刚, 5 分钟前, 3 小时前, 2 天前."""
    moment = clock.moment(value, _zone())
    if moment is None:
        return ""
    seconds = max(0, time.time() - moment.timestamp())
    if seconds < 60:
        return "刚刚"
    for unit, name in ((86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds >= unit:
            return f"{int(seconds // unit)} {name}前"
    return ""


# Markdown a snippet may carry from the source: emphasis, code marks, headings, quotes, link syntax.
_MARKDOWN = re.compile(r"\*\*|__|`+|^#{1,6}\s+|^>\s?|\[(?=[^\]\n]*\]\()|\]\([^)\s]*\)", re.M)


def strip_markdown(text: str, spans=()) -> tuple[str, list[tuple[int, int]]]:
    """``text`` without Markdown marks, and ``spans`` (character offsets) moved to match."""
    drop = [False] * len(text)
    for match in _MARKDOWN.finditer(text):
        drop[match.start() : match.end()] = [True] * (match.end() - match.start())
    position, kept = [], []
    for char, dropped in zip(text, drop, strict=True):
        position.append(len(kept))
        if not dropped:
            kept.append(char)
    position.append(len(kept))
    moved = [(position[min(a, len(text))], position[min(b, len(text))]) for a, b in spans or ()]
    return "".join(kept), [(a, b) for a, b in moved if a < b]


def marked(text: str, spans) -> Markup:
    """``text`` escaped and free of Markdown, with ``<mark>`` around the highlight spans (character offsets)."""
    text, spans = strip_markdown(text or "", spans)
    parts: list[Markup] = []
    pos = 0
    for start, end in sorted(tuple(s) for s in spans or ()):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        parts.append(escape(text[pos:start]))
        parts.append(Markup("<mark>%s</mark>") % text[start:end])
        pos = end
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)


_ANCHOR = re.compile(r'<a href="(https?://[^"<>]*)">([^<>]*)</a>')


def wechat_text(text: str) -> Markup:
    """A text reply as WeChat shows it: escaped, with its ``<a href>`` links clickable."""
    parts: list[Markup] = []
    pos = 0
    for match in _ANCHOR.finditer(text):
        parts.append(escape(text[pos : match.start()]))
        parts.append(Markup('<a href="%s" rel="noopener noreferrer" target="_blank">%s</a>') % match.groups())
        pos = match.end()
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)


def short_openid(openid: str) -> str:
    """An openid short enough for a phone screen (the full one is in the title attribute)."""
    return openid if len(openid) <= 16 else f"{openid[:8]}…{openid[-6:]}"


def creator(by: str) -> str:
    """Who made an invite code: 管理后台, or the admin in WeChat (by name when their invite had one)."""
    if by == WEB_CREATOR or not has_app_context():
        return "管理后台" if by == WEB_CREATOR else short_openid(by or "?")
    from bot.names import who

    return "微信 " + who(current_app.extensions[EXTENSION], by)


def category_name(category: str) -> str:
    """The Chinese label of a build-problem category (``indexer.sources.CATEGORIES``)."""
    from indexer import CATEGORIES

    return CATEGORIES.get(category, category)


HELPERS = {
    "fmt_time": fmt_time,
    "ago": ago,
    "marked": marked,
    "wechat_text": wechat_text,
    "short_openid": short_openid,
    "creator": creator,
    "category_name": category_name,
    "kind_name": lambda kind: KIND_NAMES.get(kind, kind),
    "role_name": lambda role: ROLE_NAMES.get(role, role),
    "visibility_name": lambda v: VISIBILITY_NAMES.get(v, v),
    "mode_name": lambda mode: MODE_NAMES.get(mode, mode or "-"),
}


def stats_view(stats: dict) -> dict:
    """Searcher.stats() plus what the overview shows: size in MB."""
    return {**stats, "size_mb": stats.get("size_bytes", 0) / 1e6}


def report_view(index_dir: Path) -> dict | None:
    """The live generation's build report, problems sorted (skipped files first) and counted."""
    from indexer import last_report, report_lines

    try:
        report = last_report(index_dir)
    except (OSError, ValueError):
        log.exception("构建报告无法读取")
        return None
    if not report:
        return None
    problems = sorted(report.get("problems") or [], key=lambda p: (not p.get("skipped", True), p.get("path", "")))
    by_category = sorted((report.get("by_category") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        **report,
        "problems": problems,
        "by_category": [(category_name(c), n) for c, n in by_category],
        "skipped": sum(1 for p in problems if p.get("skipped", True)),
        "controls": report_lines(report),  # forwarded articles, group rules, per-document overrides
    }
