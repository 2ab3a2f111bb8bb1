"""The front desk as the bot consults it: the stored document, parsed once per change, and matching.

Order (explained on /admin/replies): exact matches first, in the order of the list; then the
"only emoji or punctuation" rule; then contains matches, in the order of the list.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.chat.frontdesk.rules import Document, Rule, is_symbols, key_form, load_defaults

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


@dataclass
class Desk:
    """A front desk document with its keyword tables."""

    document: Document
    _exact: dict[str, list[Rule]] = field(default_factory=dict)
    _contains: list[tuple[str, Rule]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for rule in self.document.rules:
            for word in rule.keywords:
                form = key_form(word)
                if not form:
                    continue
                if rule.match == "exact":
                    self._exact.setdefault(form, []).append(rule)
                elif rule.match == "contains":
                    self._contains.append((form, rule))

    @property
    def contact(self) -> dict[str, str]:
        return self.document.contact

    @property
    def hours(self) -> dict:
        return self.document.hours

    def exact(self, text: str, audience: str) -> Rule | None:
        """The first exact rule for ``text`` that ``audience`` gets."""
        return next((r for r in self._exact.get(key_form(text), ()) if r.for_audience(audience)), None)

    def contains(self, text: str, audience: str, kinds: tuple[str, ...] = ("text", "card", "action")) -> Rule | None:
        """The first contains rule (of ``kinds``) whose keyword occurs in ``text``."""
        form = key_form(text)
        for word, rule in self._contains:
            if word in form and rule.kind in kinds and rule.for_audience(audience):
                return rule
        return None

    def trigger(self, match: str, audience: str) -> Rule | None:
        """The rule for an occasion: ``subscribe``, ``symbols`` or ``nothing_found``."""
        return next((r for r in self.document.rules if r.match == match and r.for_audience(audience)), None)

    def answer_for(self, text: str, audience: str) -> Rule | None:
        """The rule that answers ``text`` instead of a search, if any."""
        rule = self.exact(text, audience)
        if rule is None and is_symbols(text):
            rule = self.trigger("symbols", audience)
        return rule or self.contains(text, audience, kinds=("action",))


_cache: dict[str, tuple[bytes, Desk]] = {}
_lock = threading.Lock()


def current(services: Services) -> Desk:
    """The front desk now: from Redis (seeded from config/replies.yaml once), else the shipped defaults."""
    store = services.store
    raw = store.answers.raw()
    if raw is None:
        defaults = load_defaults(services.settings.config_dir)
        if store.available and store.answers.seed(defaults.to_dict()):
            log.info("固定回复已从 config/replies.yaml 写入 Redis（%d 条规则）", len(defaults.rules))
        raw = store.answers.raw()
        if raw is None:  # Redis is down: answer from the shipped file
            return _parsed("defaults", json.dumps(defaults.to_dict()).encode("utf-8"))
    return _parsed("stored", raw)


def _parsed(slot: str, raw: bytes) -> Desk:
    cached = _cache.get(slot)
    if cached and cached[0] == raw:
        return cached[1]
    desk = Desk(Document.from_dict(json.loads(raw)))
    with _lock:
        _cache[slot] = (raw, desk)
    return desk


def contact_line(services: Services) -> str:
    """One line on how to reach the company: CONTACT_LINE, else the front desk's phone and email ("" if none)."""
    if services.settings.contact_line:
        return services.settings.contact_line
    try:  # a page or a reply must go out even when the front desk cannot be read
        contact = current(services).contact
    except Exception:
        log.exception("读不到固定回复里的联系方式")
        return ""
    parts = [f"电话 {contact['phone']}" if contact.get("phone") else "", contact.get("email", "")]
    return " · ".join(p for p in parts if p)
