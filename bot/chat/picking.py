"""Numbers the way people type them when they pick from a list: ``2``, ``第二个``, ``第2条``, ``二``,
``2和3``, ``2 3``, ``第二、第三篇``.
"""

from __future__ import annotations

import re

MAX_PICKS = 5  # more than this at once is not a pick but a search (a phone number, a date …)
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ONE = re.compile(r"^第?\s*(\d{1,3}|[零〇一二两三四五六七八九十百]{1,4})\s*(?:个|条|篇|项|则|号|个结果|条结果)?$")
_INNER_SPACE = re.compile(r"(?<=第)\s+|\s+(?=[个条篇项则号])")
_SEPARATORS = re.compile(r"\s*(?:和|跟|与|及|还有|以及|,|，|、|;|；|/|&|\+)\s*|\s+")


def chinese_number(text: str) -> int | None:
    """一 … 九十九 and 一百 as an int; None for anything else (一二三, 十十)."""
    if text == "一百" or text == "百":
        return 100
    if "百" in text:
        return None
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return DIGITS.get(text) if len(text) == 1 else None
    if len(tens) > 1 or len(ones) > 1:
        return None
    high = DIGITS.get(tens, -1) if tens else 1
    low = DIGITS.get(ones, -1) if ones else 0
    return None if high < 1 or low < 0 else high * 10 + low


def ordinal(text: str) -> int | None:
    """One pick (``第二个``, ``2``, ``二``) as a number, or None."""
    match = _ONE.match(text.strip())
    if not match:
        return None
    word = match.group(1)
    return int(word) if word.isdigit() else chinese_number(word)


def parse_picks(text: str) -> list[int] | None:
    """The numbers picked in ``text`` (in order, without repeats), or None when it is not a pick."""
    text = _INNER_SPACE.sub("", text.strip())  # 「第 3 个」 is one pick, not three words
    parts = [p for p in _SEPARATORS.split(text) if p]
    if not parts or len(parts) > MAX_PICKS:
        return None
    numbers = [ordinal(p) for p in parts]
    if any(n is None or n < 1 for n in numbers):
        return None
    return list(dict.fromkeys(numbers))  # type: ignore[arg-type]


def is_plain_number(text: str) -> bool:
    """Digits only: such a message without a list is a search (``2023``, ``618``)."""
    return text.strip().isdigit()
