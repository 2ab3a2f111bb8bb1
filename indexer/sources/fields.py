"""Normalise the loosely typed fields every source meets: tags, dates, kind, visibility, summaries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from indexer.document import KINDS

# Problem categories a source may report; the build report groups by these keys.
CATEGORIES = {
    "unreadable": "无法读取",
    "encoding": "编码不是 UTF-8",
    "yaml": "YAML 无法解析",
    "format": "格式不对",
    "empty": "没有正文",
    "duplicate": "id 重复",
    "fetch": "网页抓取失败",
    "unsafe": "地址不安全",
    "rules": "内容规则有误",
    "api": "微信接口出错",
    "missing-field": "缺少字段",
    "invalid-field": "字段值无效",
    "visibility": "可见范围无效",
    "no-url": "没有分享链接",
    "no-front-matter": "没有 front matter",
}

# Jekyll splits a tag string on whitespace; Chinese editors separate with commas of either width or 、.
_TAG_SEPARATORS = re.compile(r"[,，、;；]")
_DATE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_FILE_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-(.+)$")
_SENTENCE_END = re.compile(r"[。！？!?；;]")
PUBLIC_WORDS = {"public", "公开"}
INTERNAL_WORDS = {"internal", "内部"}
KIND_WORDS = {"article": "article", "文章": "article", "case": "case", "案例": "case"}


def split_tags(*values: object) -> tuple[str, ...]:
    """Merge tag values (lists or strings) into one ordered, de-duplicated tuple."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        if value is None:
            continue
        if isinstance(value, (list, tuple, set)):
            items = [_scalar(v) for v in value]
            parts = [p for item in items for p in _TAG_SEPARATORS.split(item)]
        else:
            text = _scalar(value)
            # Like Jekyll: a plain string without separators is a space-separated list.
            parts = _TAG_SEPARATORS.split(text) if _TAG_SEPARATORS.search(text) else text.split()
        for part in parts:
            tag = part.strip().strip("#").strip()
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                out.append(tag)
    return tuple(out)


def _scalar(value: object) -> str:
    if value is None or isinstance(value, (dict, list, tuple)):
        return ""
    return str(value)


def parse_when(value: object) -> dt.date | dt.datetime | None:
    """Read a date or datetime from YAML/CSV; None when absent, ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"不是日期：{value!r}")
    m = _DATE.match(str(value))
    if not m:
        raise ValueError(f"看不懂的日期“{value}”，请写成 2019-03-11 或 2019-03-11 08:00:00 +0800")
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        day_only = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"不存在的日期“{value}”") from None
    if hour is None:
        return day_only
    tzinfo = None
    if zone == "Z":
        tzinfo = dt.UTC
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        tzinfo = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return dt.datetime.combine(day_only, dt.time(int(hour), int(minute), int(second or 0)), tzinfo)


def as_date(when: dt.date | dt.datetime | None) -> dt.date | None:
    """The calendar date as the author wrote it (no time-zone conversion)."""
    return when.date() if isinstance(when, dt.datetime) else when


def split_file_date(stem: str) -> tuple[dt.date | None, str]:
    """Split a Jekyll post name `YYYY-M-D-slug` into its date and slug (date None when absent)."""
    m = _FILE_DATE.match(stem)
    if not m:
        return None, stem
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])), m[4]
    except ValueError:
        return None, stem


def read_visibility(value: object) -> tuple[str, bool]:
    """Return (visibility, ok); unknown values fail closed to `internal`."""
    if value is None or str(value).strip() == "":
        return "public", True
    word = str(value).strip().lower()
    if word in PUBLIC_WORDS:
        return "public", True
    if word in INTERNAL_WORDS:
        return "internal", True
    return "internal", False


def read_kind(value: object, default: str) -> tuple[str, bool]:
    """Return (kind, ok); unknown values fall back to ``default``."""
    if value is None or str(value).strip() == "":
        return default, True
    kind = KIND_WORDS.get(str(value).strip().lower())
    return (kind, True) if kind in KINDS else (default, False)


def first_text(meta: dict, keys: Iterable[str]) -> str:
    """The first non-empty string among ``meta[key]`` for ``keys``."""
    for key in keys:
        value = meta.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return ""


def summarize(text: str, limit: int = 120) -> str:
    """Cut plain text to about ``limit`` characters, at a sentence end when one is near."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit // 2:
        return head[: ends[-1]]
    return head.rstrip() + "…"
