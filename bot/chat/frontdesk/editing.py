"""Changing the front desk (dashboard, import): checked, atomic, applied by every worker on the next message."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from bot.chat import router
from bot.chat.frontdesk.answers import ACTIONS, expand, internal_documents, safe_for
from bot.chat.frontdesk.checks import check_contact, check_rule, overlap
from bot.chat.frontdesk.desk import Desk, current
from bot.chat.frontdesk.rules import MATCHES, Document, Rule, key_form, load_defaults
from bot.services import Services

UNAVAILABLE = "现在无法保存（Redis 不可用），请稍后再试。"
CHANGED_MEANWHILE = "这条规则刚被别人改过：下面是你填的内容，请对照最新的列表再保存一次。"


class Rejected(Exception):
    """A change that was not made; ``errors`` say why, in Chinese."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _update(services: Services, change) -> Document:
    seed = load_defaults(services.settings.config_dir).to_dict()
    stored = services.store.answers.update(lambda doc: change(Document.from_dict(doc)).to_dict(), seed)
    if stored is None:
        raise Rejected([UNAVAILABLE])
    return Document.from_dict(stored)


def save_rule(services: Services, rule: Rule, *, by: str, seen_at: int | None = None) -> Rule:
    """Add ``rule`` (a new id) or replace the rule with its id; raise Rejected with the problems."""
    commands = set(router.COMMANDS)
    internal = internal_documents(services)
    rule = dataclasses.replace(rule, updated_at=int(time.time()), updated_by=by)

    def change(document: Document) -> Document:
        existing = document.find(rule.id)
        if existing is not None and seen_at is not None and existing.updated_at != seen_at:
            raise Rejected([CHANGED_MEANWHILE])
        errors = check_rule(rule, document.rules, commands, internal)
        if errors:
            raise Rejected(errors)
        if existing is None:
            return dataclasses.replace(document, rules=(*document.rules, rule))
        return dataclasses.replace(document, rules=tuple(rule if r.id == rule.id else r for r in document.rules))

    _update(services, change)
    return rule


def delete_rule(services: Services, rule_id: str) -> Rule | None:
    """Remove a rule; return it, or None when it was already gone."""
    gone: list[Rule] = []

    def change(document: Document) -> Document:
        gone[:] = [r for r in document.rules if r.id == rule_id]
        return dataclasses.replace(document, rules=tuple(r for r in document.rules if r.id != rule_id))

    _update(services, change)
    return gone[0] if gone else None


def move_rule(services: Services, rule_id: str, step: int) -> None:
    """Move a rule ``step`` places up (negative) or down in the list."""

    def change(document: Document) -> Document:
        rules = list(document.rules)
        index = next((i for i, r in enumerate(rules) if r.id == rule_id), None)
        if index is None:
            return document
        target = min(max(index + step, 0), len(rules) - 1)
        rules.insert(target, rules.pop(index))
        return dataclasses.replace(document, rules=tuple(rules))

    _update(services, change)


def save_contact(services: Services, contact: dict[str, str], hours: dict[str, Any]) -> None:
    """Replace the contact card and working hours; raise Rejected with the problems."""
    errors = check_contact(contact, hours)
    if errors:
        raise Rejected(errors)
    _update(services, lambda document: dataclasses.replace(document, contact=contact, hours=hours))


def conflicts(document: Document) -> list[str]:
    """Rules that can never answer because an earlier one always catches their words first."""
    notes = []
    contains = [(key_form(w), w, r) for r in document.rules if r.match == "contains" for w in r.keywords]
    for i, (form, word, rule) in enumerate(contains):
        for earlier_form, earlier_word, earlier in contains[:i]:
            catches = earlier_form and earlier_form in form and overlap(earlier.audience, rule.audience)
            if earlier is not rule and catches:
                notes.append(
                    f"规则「{rule.name}」的关键词「{word}」不会触发：排在前面的「{earlier.name}」"
                    f"包含「{earlier_word}」，会先命中。把「{rule.name}」往上移可以解决。"
                )
                break
    exact = {key_form(w) for r in document.rules if r.match == "exact" for w in r.keywords}
    for form, word, rule in contains:
        if form in exact:
            notes.append(f"规则「{rule.name}」的「{word}」单独发送时，会由精确匹配的规则回答（精确匹配优先）。")
    return notes


def preview(services: Services, text: str, audience: str) -> dict[str, Any]:
    """What the bot would do with ``text`` for ``audience``: answer with a rule, add one above results, or search."""
    desk = current(services)
    rule = desk.answer_for(text, audience)
    if rule is not None:
        if not safe_for(services, audience, rule):
            return {"outcome": "blocked", "rule": rule}
        return {"outcome": "answer", "rule": rule, **describe(desk, rule)}
    above = desk.contains(text, audience, kinds=("text", "card"))
    if above is not None:
        return {"outcome": "above", "rule": above, **describe(desk, above)}
    return {"outcome": "search", "rule": None}


def describe(desk: Desk, rule: Rule) -> dict[str, Any]:
    """A rule's reply as the dashboard shows it: text, or a card's fields."""
    if rule.kind == "card":
        return {"card": {"title": rule.title, "description": rule.description, "url": rule.url, "image": rule.image}}
    if rule.kind == "action":
        return {"text": ACTIONS[rule.action].preview(desk, rule) if rule.action in ACTIONS else ""}
    return {"text": expand(rule.text, desk)}


__all__ = ["MATCHES", "Rejected", "conflicts", "delete_rule", "move_rule", "preview", "save_contact", "save_rule"]
