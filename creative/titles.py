"""Title ideas from a library of patterns with slots: {品牌} {产品} {行业} {人群} {数字}.

A pattern like ``{品牌}[做{产品}]的{数字}个细节`` renders as 「青藤互动做小程序的5个细节」, or without a
product as 「青藤互动的5个细节」: a bracketed part appears only when every slot in it has a word. A
slot outside brackets that has no word makes the pattern unusable this time, so an idea never shows
a raw brace. The patterns are ``config/titles.yaml`` merged with those admins add (kept by the bot).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from config import yaml_text
from config.errors import ConfigError

SLOTS = ("品牌", "产品", "行业", "人群", "数字")
PLATFORMS = ("公众号", "朋友圈", "微博", "小红书", "抖音", "视频号")
PLATFORM_WORDS = {"微信": "公众号", "公众号": "公众号", "服务号": "公众号", "朋友圈": "朋友圈", "微博": "微博"}
PLATFORM_WORDS |= {"小红书": "小红书", "红书": "小红书", "抖音": "抖音", "视频号": "视频号"}
STYLES = ("数字清单", "反常识", "提问", "对比", "故事", "避坑", "热点", "教程", "悬念", "人群", "成绩")
MAX_CHARS = 60  # a pattern longer than this is not a title
_SLOT = re.compile(r"\{([^{}]*)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


@dataclass(frozen=True)
class Pattern:
    """One title pattern: its text with slots, a style and the platforms it suits."""

    id: str
    text: str
    style: str
    platforms: tuple[str, ...] = PLATFORMS
    numbers: tuple[int, ...] = ()
    source: str = "yaml"  # "yaml" (config/titles.yaml) or "admin" (added in chat or on the dashboard)

    @property
    def required(self) -> set[str]:
        """Slots that must have a word (those outside brackets)."""
        return set(_SLOT.findall(_OPTIONAL.sub("", self.text)))

    @property
    def slots(self) -> set[str]:
        return set(_SLOT.findall(self.text))


@dataclass(frozen=True)
class Library:
    """The patterns plus the defaults for {数字}/{人群} and the word lists for proposing patterns."""

    patterns: tuple[Pattern, ...]
    numbers: tuple[int, ...] = (3, 5, 7)
    people: tuple[str, ...] = ()
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def merged(self, changes: Iterable[Pattern], removed: Iterable[str] = ()) -> Library:
        """These patterns with admin changes applied (same id replaces) and ``removed`` ids dropped."""
        by_id = {p.id: p for p in self.patterns}
        for p in changes:
            by_id[p.id] = p
        gone = set(removed)
        return replace(self, patterns=tuple(p for i, p in by_id.items() if i not in gone))


def check_pattern(text: str) -> str:
    """Why ``text`` is not a usable pattern ("" when it is): unknown slots, stray braces, length."""
    text = text.strip()
    if not text:
        return "模板是空的"
    if len(text) > MAX_CHARS:
        return f"模板超过 {MAX_CHARS} 个字"
    unknown = [s for s in _SLOT.findall(text) if s not in SLOTS]
    if unknown:
        return f"不认识的槽位 {{{unknown[0]}}}，只能用 " + " ".join("{" + s + "}" for s in SLOTS)
    if "{" in _SLOT.sub("", text) or "}" in _SLOT.sub("", text):
        return "大括号没有配对"
    if "[" in _OPTIONAL.sub("", text) or "]" in _OPTIONAL.sub("", text):
        return "方括号没有配对（方括号表示可选的部分）"
    return ""


def load_library(path: Path) -> Library:
    """Read ``config/titles.yaml``; raise ConfigError naming the entry that is wrong."""
    try:
        data = yaml_text.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} 无法读取：{exc}") from None
    patterns, seen = [], set()
    for n, entry in enumerate(data.get("patterns") or []):
        where = f"{Path(path).name} patterns[{n}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise ConfigError(f"{where}：需要 id、text、style、platforms")
        pattern = make_pattern(str(entry.get("id") or f"y{n:03d}"), entry, "yaml")
        problem = check_pattern(pattern.text) or _check_fields(pattern)
        if problem or pattern.id in seen:
            raise ConfigError(f"{where}（{pattern.text}）：{problem or 'id 重复'}")
        seen.add(pattern.id)
        patterns.append(pattern)
    defaults = data.get("defaults") or {}
    words = {k: tuple(str(w) for w in v or ()) for k, v in (data.get("words") or {}).items()}
    return Library(
        tuple(patterns),
        tuple(int(x) for x in defaults.get("数字") or (3, 5, 7)),
        tuple(str(x) for x in defaults.get("人群") or ()),
        words,
    )


def make_pattern(pattern_id: str, entry: dict, source: str) -> Pattern:
    """A Pattern from a dict with ``text``, ``style``, ``platforms`` (a list or 全部), ``numbers``."""
    platforms = entry.get("platforms") or ["全部"]
    if isinstance(platforms, str):
        platforms = [platforms]
    platforms = PLATFORMS if "全部" in platforms else tuple(p for p in PLATFORMS if p in platforms)
    return Pattern(
        id=pattern_id,
        text=str(entry["text"]).strip(),
        style=str(entry.get("style") or "热点"),
        platforms=platforms or PLATFORMS,
        numbers=tuple(int(x) for x in entry.get("numbers") or ()),
        source=source,
    )


def _check_fields(pattern: Pattern) -> str:
    if pattern.style not in STYLES:
        return f"style「{pattern.style}」不在 {'、'.join(STYLES)} 之中"
    return ""


def render(pattern: Pattern, words: dict[str, str], library: Library, turn: int = 0) -> str | None:
    """The pattern with its slots filled, or None when a required slot has no word."""
    words = dict(words)
    numbers = pattern.numbers or library.numbers
    words.setdefault("数字", "")
    if not words["数字"] and numbers:
        words["数字"] = str(numbers[_index(pattern.id, turn, len(numbers))])
    if not words.get("人群") and library.people:
        words["人群"] = library.people[_index(pattern.id + "人群", turn, len(library.people))]
    if any(not words.get(slot) for slot in pattern.required):
        return None

    def optional(match: re.Match) -> str:
        part = match.group(1)
        return _SLOT.sub(lambda m: words[m.group(1)], part) if all(words.get(s) for s in _SLOT.findall(part)) else ""

    text = _OPTIONAL.sub(optional, pattern.text)
    text = _SLOT.sub(lambda m: words[m.group(1)], text)
    return text if "{" not in text and "}" not in text else None


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _index(key: str, turn: int, size: int) -> int:
    return (int(digest(key)[:8], 16) + turn) % size
