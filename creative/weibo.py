"""How long a 微博 post is, the way 微博 counts it.

微博's limit is 140 字 where one 字 is two half-width units: a Chinese character (any non-ASCII
character) is 2 units, an ASCII character 1 unit, and the total is rounded up. A link does not
count by its length: 微博 replaces it with a t.cn short link and counts that as a fixed 20 units
(10 字), as long as the original link is at most 140 units (longer ones cost the excess on top).
Source: Sina's own web publisher, as reimplemented "bug-for-bug compatible with Sina's" counter by
the WeCase client (github.com/WeCase/WeCase, src/TweetUtils.py, ``tweetLength``: TWEET_URL_LEN = 20,
TWEET_MAX = 140, result ``ceil(units / 2)``). We count every http(s) link that way; links on
weibo.com itself (counted by their length when short) never occur in a share kit.
"""

from __future__ import annotations

import math
import re

LIMIT = 140  # 字
URL_UNITS = 20  # a link, once shortened to t.cn: 10 字
URL_MAX_UNITS = 140
_URL = re.compile(r"https?://[\x21-\x7e]+")


def _units(text: str) -> int:
    return sum(1 if ord(ch) < 128 else 2 for ch in text)


def weibo_length(text: str) -> int:
    """The length of ``text`` in 字 as 微博 counts it (a link is 10 字)."""
    total = 0
    for url in _URL.findall(text):
        units = _units(url)
        total += URL_UNITS if units <= URL_MAX_UNITS else units - URL_MAX_UNITS + URL_UNITS
    return math.ceil((total + _units(_URL.sub("", text))) / 2)


def fits(text: str, limit: int = LIMIT) -> bool:
    """Whether ``text`` can be posted as one 微博."""
    return weibo_length(text) <= limit
