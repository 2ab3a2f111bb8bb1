"""Teaching the bot without a rebuild: make, list and remove rules, and apply them to a search.

Two kinds of rules, made in chat or on the dashboard and kept in Redis (``bot.store.rules``):
- a rewrite: searching Q also searches T (an expansion, not a replacement; not transitive);
- a pin: document D first for Q (best bets); the newest pin of a query goes first.
And one thing the bot learns by itself: results people pick for a query (a number → card) are
counted, and once LIFT_THRESHOLD picks (each fading with a half-life of two weeks) agree, that
document ranks higher for that query.

Rules are matched on the query's key (``indexer.teaching.query_key``): ``抖音运营？`` meets the rule
made for ``抖音运营``. Who may see what is never decided here: the searcher drops a pinned or
rewritten hit the reader may not see.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.store import Store
from config.errors import CaseLinkError
from indexer.teaching import query_words, rewrite

REWRITE, PIN = "rewrite", "pin"
FILE_CREATOR = "file"  # the maker of a rule imported from a file that names none
MAX_RULE_CHARS = 30
MAX_RULES = 2000
MAX_PINS_PER_QUERY = 5
# Decayed picks before a document is lifted for a query: three picks within about three days (a pick
# counts half after two weeks), or more spread over a longer time.
LIFT_THRESHOLD = 2.5
LIFT_PER_PICK, MAX_LIFT = 0.2, 1.5  # 3 fresh picks: ×1.6; 8 or more: ×2.5


class TeachingError(CaseLinkError):
    """A rule that cannot be made or stored; the message is for the admin (Chinese)."""


@dataclass(frozen=True)
class Rule:
    """One taught rule as stored: ``target`` for a rewrite, ``doc`` and ``title`` for a pin."""

    type: str
    query: str
    target: str = ""
    doc: str = ""
    title: str = ""
    by: str = ""
    at: int = 0
    id: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Ruleset:
    """Rules compiled for matching in one worker (keys computed with this worker's dictionary)."""

    rewrites: dict[str, list[tuple[tuple[str, ...], Rule]]] = field(default_factory=dict)  # by first word
    pins: dict[str, list[Rule]] = field(default_factory=dict)

    def _rewrites(self, words: tuple[str, ...]) -> list[tuple[tuple[str, ...], Rule]]:
        return [item for word in dict.fromkeys(words) for item in self.rewrites.get(word, ())]

    def expansions(self, words: tuple[str, ...]) -> list[str]:
        """The other queries a query of ``words`` also searches."""
        found = (rewrite(words, source, rule.target) for source, rule in self._rewrites(words))
        return list(dict.fromkeys(q for q in found if q))

    def matching(self, words: tuple[str, ...]) -> list[Rule]:
        """Every rule that applies to a query of ``words`` (pins first)."""
        pins = self.pins.get(" ".join(words), [])
        rewrites = [rule for source, rule in self._rewrites(words) if rewrite(words, source, rule.target)]
        return [*pins, *sorted(rewrites, key=lambda r: -r.at)]


def compile_rules(records: list[dict[str, Any]]) -> Ruleset:
    """Compile stored rules: keys are computed again, so a dictionary change cannot orphan a rule."""
    ruleset = Ruleset()
    for rule in sorted((Rule.from_dict(r) for r in records), key=lambda r: -r.at):
        words = query_words(rule.query)
        if not words:
            continue
        if rule.type == REWRITE and rule.target:
            ruleset.rewrites.setdefault(words[0], []).append((words, rule))
        elif rule.type == PIN and rule.doc:
            ruleset.pins.setdefault(" ".join(words), []).append(rule)
    return ruleset


def key_of(text: str, what: str = "搜索词") -> str:
    """The key of ``text``; raise TeachingError when it is too long or has no searchable word."""
    text = " ".join((text or "").split())
    if len(text) > MAX_RULE_CHARS:
        raise TeachingError(f"{what}太长了（最多 {MAX_RULE_CHARS} 个字）。")
    words = query_words(text)
    if not words:
        raise TeachingError(f"「{plain(text)}」里没有可以搜索的词（只有语气词或符号），换个说法试试。")
    return " ".join(words)


def new_rewrite(query: str, target: str, by: str, now: float | None = None) -> Rule:
    """A checked rewrite rule: searching ``query`` also searches ``target``."""
    source, goal = key_of(query), key_of(target, "要同时搜索的词")
    if source == goal:
        raise TeachingError(f"「{plain(query)}」和「{plain(target)}」在搜索看来是同一个词，不需要规则。")
    return Rule(REWRITE, tidy(query), tidy(target), by=by, at=_now(now), id=f"{REWRITE}:{source}→{goal}")


def new_pin(query: str, doc: str, title: str, by: str, now: float | None = None) -> Rule:
    """A checked pin: document ``doc`` first for ``query``."""
    if not doc or len(doc) > 300:
        raise TeachingError("没有指明要置顶的内容。")
    key = key_of(query)
    return Rule(PIN, tidy(query), doc=doc, title=title, by=by, at=_now(now), id=f"{PIN}:{key}→{doc}")


def add(store: Store, rule: Rule) -> Rule:
    """Store ``rule`` (replacing an identical one); raise TeachingError when it cannot be kept."""
    existing = store.rules.all()
    if not store.available:
        raise TeachingError("现在无法保存规则（Redis 不可用），请稍后再试。")
    ids = {r["id"] for r in existing}
    if rule.id not in ids and len(ids) >= MAX_RULES:
        raise TeachingError(f"已经有 {MAX_RULES} 条规则了，请先在管理后台删掉一些不再需要的。")
    if rule.type == PIN and rule.id not in ids:
        key = " ".join(query_words(rule.query))
        pins = [r for r in existing if r["type"] == PIN and " ".join(query_words(r["query"])) == key]
        if len(pins) >= MAX_PINS_PER_QUERY:
            raise TeachingError(f"「{plain(rule.query)}」已经置顶了 {len(pins)} 条，请先取消一些。")
    if not store.rules.put([rule.to_dict()]):
        raise TeachingError("现在无法保存规则（Redis 不可用），请稍后再试。")
    return rule


def rules_for(store: Store, query: str, types: Iterable[str] = (REWRITE, PIN)) -> list[Rule]:
    """Stored rules made for exactly this query (same key), newest first."""
    key, wanted = " ".join(query_words(query)), set(types)
    rules = (Rule.from_dict(r) for r in store.rules.all())
    return [r for r in rules if r.type in wanted and " ".join(query_words(r.query)) == key]


def applying(store: Store, query: str) -> list[Rule]:
    """The rules that change what ``query`` finds (pins first), as the bot would apply them now."""
    words = query_words(query)
    ruleset, _ = store.rules.load(compile_rules)
    return ruleset.matching(words) if words else []


def search_options(store: Store, query: str, now: float | None = None) -> dict[str, Any]:
    """Keyword arguments for ``Searcher.search`` that apply what was taught about ``query``."""
    words = query_words(query)
    if not words:
        return {}
    key = " ".join(words)
    ruleset, picks = store.rules.load(compile_rules, picks_for=key, now=now)
    options: dict[str, Any] = {}
    if expansions := ruleset.expansions(words):
        options["expansions"] = expansions
    if pins := ruleset.pins.get(key):
        options["pinned"] = [rule.doc for rule in pins]
    if lifted := {doc: lift(score) for doc, score in picks.items() if score >= LIFT_THRESHOLD}:
        options["lifted"] = lifted
    return options


def finds_nothing(searcher, text: str) -> bool:
    """Whether ``text`` finds nothing even for employees (a rewrite to it would add nothing yet)."""
    return searcher.search(text, audience="employee", limit=1).total == 0


def lift(picks: float) -> float:
    """The score factor for a document picked ``picks`` times (decayed) for a query.

    Rounded to hundredths: decay changes it by that much in about a day, and an unchanged factor
    lets the search reuse the query's composed ranking instead of composing it on every message."""
    return round(1.0 + min(MAX_LIFT, LIFT_PER_PICK * picks), 2)


def record_pick(store: Store, query: str, doc: str, user: str, now: float | None = None) -> bool:
    """Count that ``user`` picked ``doc`` from the results of ``query``."""
    words = query_words(query)
    return bool(words) and store.rules.record_pick(" ".join(words), doc, user, now)


def tidy(text: str) -> str:
    """A query as rules show it: one space between words, no trailing punctuation."""
    from bot.chat.normalize import normalize, strip_trailing

    return strip_trailing(normalize(text))


def plain(text: str) -> str:
    """User text safe to echo in a WeChat reply (which renders ``<a>``) and short."""
    from bot.chat.replies import escape  # the one escaping helper for replies

    text = escape(text)
    return text if len(text) <= MAX_RULE_CHARS else text[: MAX_RULE_CHARS - 1] + "…"


def _now(now: float | None) -> int:
    return int(time.time() if now is None else now)
