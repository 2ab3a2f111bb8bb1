"""Helpers shared by the teaching tests: unique words, rule clean-up, reading replies."""

from __future__ import annotations

import re
import uuid

import pytest
import redis

RULES = "caselink:rules:all"
VERSION = "caselink:rules:version"
PICKS = "caselink:rules:picks:"
LINK = re.compile(r'^(\d+)\. <a href="([^"]*)">([^<]*)</a>', re.M)
SHUANGWEI_ID = "_posts/2019-5-21-shuangwei-yidou-roles"
SHUANGWEI_TITLE = "双微一抖怎么运营：三个平台，三种角色"


def unique_word() -> str:
    """A word no document contains (rules are global: each test teaches its own words)."""
    return "zq" + uuid.uuid4().hex[:8]


def listed(text: str) -> list[tuple[int, str, str]]:
    """The numbered results of a reply: (number, url, title)."""
    return [(int(n), url, title) for n, url, title in LINK.findall(text)]


@pytest.fixture
def forget_rules(redis_url):
    """Rules and picks a test made on the shared Redis are removed after it."""
    raw = redis.Redis.from_url(redis_url)
    rules, picks = set(raw.hkeys(RULES)), set(raw.scan_iter(PICKS + "*"))
    yield raw
    made = set(raw.hkeys(RULES)) - rules
    if made:
        raw.hdel(RULES, *made)
        raw.incr(VERSION)
    for key in set(raw.scan_iter(PICKS + "*")) - picks:
        raw.delete(key)
