"""Fixed answers (关键词回复): what a rule is, how typed text is compared with keywords, the defaults.

A rule has a match mode (exact, contains, or a trigger: subscribe, symbols, nothing_found), an
audience (everyone / client / employee) and one reply: text, a news card, or a built-in action.
The whole set — rules, contact card, working hours — is one document (``config/replies.yaml``
seeds it; ``bot.store.answers`` keeps it in Redis).
"""

from __future__ import annotations

import functools
import re
import secrets
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.chat.normalize import normalize
from config import yaml_text

MATCHES = {
    "exact": "精确",
    "contains": "包含",
    "subscribe": "关注时",
    "symbols": "只有表情或标点",
    "nothing_found": "搜索没有结果时",
}
TRIGGERS = ("subscribe", "symbols", "nothing_found")  # matched by what happened, not by words
AUDIENCES = {"everyone": "所有人", "client": "客户", "employee": "员工"}
ACTIONS = {"contact": "联系方式", "lead": "留资表单", "handoff": "转人工"}
KINDS = {"text": "文字", "card": "图文卡片", "action": "动作"}

# Said before the question and dropped before matching: 「请问怎么收费」 is 「怎么收费」.
LEADING_FILLERS = ("你好", "您好", "请问一下", "请问", "想问一下", "想问下", "问一下", "问下", "麻烦问一下", "打扰一下")
TRAILING_PARTICLES = "呀啊哈呢哦嘛吧啦喔噢哇咧"
_SPACE_BETWEEN = re.compile(r"(?<![a-z]) | (?![a-z])")


@dataclass(frozen=True)
class Rule:
    """One fixed answer."""

    id: str
    name: str
    match: str = "exact"
    keywords: tuple[str, ...] = ()
    audience: str = "everyone"
    kind: str = "text"
    text: str = ""
    title: str = ""
    description: str = ""
    url: str = ""
    image: str = ""
    action: str = ""
    updated_at: int = 0
    updated_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The rule as stored (JSON)."""
        data = asdict(self)
        data["keywords"] = list(self.keywords)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        """A stored rule; unknown fields are ignored so older and newer bots can share Redis."""
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["keywords"] = tuple(str(k) for k in values.get("keywords") or ())
        return cls(**values)

    def for_audience(self, audience: str) -> bool:
        """Whether someone of ``audience`` ("client" / "employee") gets this rule."""
        return self.audience == "everyone" or self.audience == audience

    def links(self) -> list[str]:
        """Every URL the reply would send (card link and links in the text)."""
        found = re.findall(r'href="([^"]*)"', self.text)
        return [self.url, *found] if self.url else found


@dataclass(frozen=True)
class Document:
    """The whole front desk: rules in order, the contact card and working hours."""

    rules: tuple[Rule, ...] = ()
    contact: dict[str, str] = field(default_factory=dict)
    hours: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rules": [r.to_dict() for r in self.rules],
            "contact": dict(self.contact),
            "hours": dict(self.hours),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            rules=tuple(Rule.from_dict(r) for r in data.get("rules") or ()),
            contact={str(k): str(v) for k, v in (data.get("contact") or {}).items()},
            hours=dict(data.get("hours") or {}),
            version=int(data.get("version") or 0),
        )

    def find(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def new_id() -> str:
    """A short id for a new rule."""
    return "r" + secrets.token_hex(4)


@functools.lru_cache(maxsize=4096)  # each message is compared several times; popular ones repeat
def key_form(text: str) -> str:
    """What is compared with keywords: normalised, lower case, no punctuation, emoji, fillers or particles."""
    text = normalize(text).lower()
    kept = "".join(c if unicodedata.category(c)[0] in "LN" else " " for c in text)
    # A space only separates Latin words ("thank you"); "618 档期" is "618档期".
    text = _SPACE_BETWEEN.sub("", " ".join(kept.split()))
    while len(text) > 1 and text[-1] in TRAILING_PARTICLES:
        text = text[:-1].rstrip()
    changed = True
    while changed:
        changed = False
        for filler in LEADING_FILLERS:
            rest = text.removeprefix(filler).lstrip()
            if rest != text and rest:
                text, changed = rest, True
    return text


def is_symbols(text: str) -> bool:
    """Only emoji, punctuation and spaces (``👍``, ``？？？``): nothing to search for."""
    text = normalize(text)
    return bool(text) and not any(unicodedata.category(c)[0] in "LN" for c in text)


def rule_from_config(data: dict[str, Any], by: str = "config") -> Rule:
    """A rule as written in ``config/replies.yaml`` (or converted by the importer)."""
    reply = data.get("reply") or {}
    card = reply.get("card") or {}
    if reply.get("action"):
        kind = "action"
    elif card:
        kind = "card"
    else:
        kind = "text"
    return Rule(
        id=str(data.get("id") or new_id()),
        name=str(data.get("name") or ""),
        match=str(data.get("match") or "exact"),
        keywords=tuple(str(k) for k in data.get("keywords") or ()),
        audience=str(data.get("audience") or "everyone"),
        kind=kind,
        text=str(reply.get("text") or "").strip(),
        title=str(card.get("title") or ""),
        description=str(card.get("description") or ""),
        url=str(card.get("url") or ""),
        image=str(card.get("image") or ""),
        action=str(reply.get("action") or ""),
        updated_at=int(time.time()),
        updated_by=by,
    )


@functools.cache
def _defaults(path: Path, mtime: float) -> Document:
    data = yaml_text.safe_load(path.read_text(encoding="utf-8")) or {}
    # Ids stable across processes: without Redis every worker answers from these same defaults.
    rules = tuple(rule_from_config({"id": f"cfg{n:02d}", **r}) for n, r in enumerate(data.get("rules") or (), 1))
    return Document(rules=rules, contact=data.get("contact") or {}, hours=data.get("hours") or {})


def load_defaults(config_dir: Path) -> Document:
    """The shipped front desk of ``config/replies.yaml`` (empty when the file is missing)."""
    path = config_dir / "replies.yaml"
    if not path.exists():
        return Document()
    return _defaults(path, path.stat().st_mtime)
