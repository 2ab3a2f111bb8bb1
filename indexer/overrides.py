"""Per-document overrides admins set on ``/admin/content``: hide / show, internal / public, case / article.

They are shared state (``indexer.shared``, hash ``caselink:content:overrides``), so every node and
every build sees the same ones. They act twice:

- at build time (``apply``): a hidden document is left out of the index, the others are indexed
  with the kind and visibility the admin chose, and the build report counts what was applied;
- at search time (``Overlay``): what an admin hid or made internal disappears from searches on
  the very next request, on every node, without waiting for a build. (Loosening changes — show
  again, make public, case/article — need the document re-indexed: the dashboard starts an update.)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, replace

from indexer.document import KINDS, VISIBILITIES, Document
from indexer.shared import SharedContent, SharedUnavailable

log = logging.getLogger(__name__)

FIELDS = ("hidden", "visibility", "kind")


@dataclass(frozen=True)
class Override:
    """What an admin changed about one document (None: not changed) and who did it when."""

    hidden: bool | None = None
    visibility: str | None = None
    kind: str | None = None
    by: str = ""
    at: float = 0.0
    title: str = ""  # the document's title when it was set, to name it even if it is gone

    @property
    def empty(self) -> bool:
        return self.hidden is None and self.visibility is None and self.kind is None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, "")}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Override | None:
        try:
            data = json.loads(raw)
            found = cls(
                hidden=bool(data["hidden"]) if data.get("hidden") is not None else None,
                visibility=data.get("visibility") if data.get("visibility") in VISIBILITIES else None,
                kind=data.get("kind") if data.get("kind") in KINDS else None,
                by=str(data.get("by", "")),
                at=float(data.get("at", 0)),
                title=str(data.get("title", "")),
            )
        except (ValueError, TypeError, AttributeError):
            return None
        return found

    def describe(self) -> list[str]:
        """The changes in words (Chinese), e.g. ["隐藏", "内部", "案例"]."""
        words = []
        if self.hidden:
            words.append("隐藏")
        if self.visibility:
            words.append({"internal": "内部", "public": "公开"}[self.visibility])
        if self.kind:
            words.append({"case": "案例", "article": "文章"}[self.kind])
        return words


def read_overrides(shared: SharedContent) -> dict[str, Override]:
    """Every override, by document id (damaged entries are skipped)."""
    raw = shared._call(lambda r: r.hgetall(shared.key("overrides")))
    found = {}
    for key, value in raw.items():
        override = Override.from_json(value)
        if override is not None and not override.empty:
            found[key.decode("utf-8")] = override
    return found


def set_override(shared: SharedContent, doc_id: str, *, by: str, title: str = "", **changes) -> Override:
    """Change some fields of a document's override (a value of None clears that field); atomic."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown override fields: {sorted(unknown)}")
    key = shared.key("overrides")
    result: list[Override] = []

    def change(pipe) -> None:
        current = Override.from_json(pipe.hget(key, doc_id) or b"{}") or Override()
        updated = replace(current, **changes, by=by, at=time.time(), title=title or current.title)
        pipe.multi()
        if updated.empty:
            pipe.hdel(key, doc_id)
        else:
            pipe.hset(key, doc_id, updated.to_json())
        shared.bump(pipe)
        result[:] = [updated]

    shared._call(lambda r: r.transaction(change, key))
    return result[0]


def apply(docs: list[Document], overrides: dict[str, Override]) -> tuple[list[Document], set[str], dict[str, int]]:
    """The documents to index (overrides applied, hidden ones left out), the hidden ids, and counts by change."""
    kept, hidden = [], set()
    counts = {"hidden": 0, "visibility": 0, "kind": 0, "missing": 0}
    seen = set()
    for doc in docs:
        override = overrides.get(doc.id)
        if override is None:
            kept.append(doc)
            continue
        seen.add(doc.id)
        if override.hidden:
            hidden.add(doc.id)
            counts["hidden"] += 1
            continue
        if override.visibility and override.visibility != doc.visibility:
            doc = replace(doc, visibility=override.visibility)
            counts["visibility"] += 1
        if override.kind and override.kind != doc.kind:
            doc = replace(doc, kind=override.kind)
            counts["kind"] += 1
        kept.append(doc)
    counts["missing"] = len(set(overrides) - seen)
    return kept, hidden, counts


@dataclass(frozen=True)
class OverlayState:
    """What the overlay hides right now: from everyone (hidden, withdrawn) and from clients (internal)."""

    version: int = -1
    hidden: frozenset[str] = frozenset()
    internal: frozenset[str] = frozenset()

    def hides(self, doc_id: str, audience: str) -> bool:
        """Whether ``audience`` must not see ``doc_id`` because of an override made since the build."""
        return doc_id in self.hidden or (audience == "client" and doc_id in self.internal)

    def docnums(self, searcher, audience: str) -> set[int]:
        """The document numbers, in ``searcher``'s generation, of what ``audience`` must not see."""
        ids = self.hidden | (self.internal if audience == "client" else frozenset())
        found = (searcher.document_number(id=doc_id) for doc_id in ids)
        return {n for n in found if n is not None}


class Overlay:
    """The current overrides for searchers, re-read only when their version changes.

    One cheap GET per search; when Redis does not answer, the last state read stays in force (and a
    fresh process relies on what the last build baked in), so an outage never shows a hidden document
    that this process knew was hidden.
    """

    RETRY_AFTER = 1.0

    def __init__(self, shared: SharedContent):
        self.shared = shared
        self._state = OverlayState()
        self._lock = threading.Lock()
        self._down_until = 0.0

    def current(self) -> OverlayState:
        """The overlay state to search with now."""
        if time.monotonic() < self._down_until:
            return self._state
        try:
            version = self.shared.version()
            if version != self._state.version:
                with self._lock:
                    if version != self._state.version:
                        self._state = self._load(version)
        except SharedUnavailable as exc:
            if self._down_until == 0.0:  # the outage itself is logged where the bot's Redis calls fail
                log.warning("内容设置暂时读不到，沿用上次读到的（%s）", type(exc.__cause__).__name__)
            self._down_until = time.monotonic() + self.RETRY_AFTER
            return self._state
        self._down_until = 0.0
        return self._state

    def _load(self, version: int) -> OverlayState:
        overrides = read_overrides(self.shared)
        hidden = {i for i, o in overrides.items() if o.hidden} | self.shared.withdrawn()
        internal = {i for i, o in overrides.items() if o.visibility == "internal"}
        return OverlayState(version, frozenset(hidden), frozenset(internal))


def report_lines(report: dict) -> list[str]:
    """What the group rules, the overrides and forwarding did in a build, in words (CLI and dashboard)."""
    lines = []
    if report.get("forwarded"):
        lines.append(f"管理员转发的文章：{report['forwarded']} 篇")
    for rule in report.get("rules") or []:
        lines.append(f"内容规则「{rule['name']}」（{rule['rule']}）：{rule['matched']} 篇")
    counts = report.get("overrides") or {}
    if counts:
        parts = [f"隐藏 {counts.get('hidden', 0)} 篇", f"改可见范围 {counts.get('visibility', 0)} 篇"]
        parts.append(f"改类型 {counts.get('kind', 0)} 篇")
        if counts.get("missing"):
            parts.append(f"{counts['missing']} 条设置对应的内容已不在")
        lines.append("单篇设置（管理后台「内容」页）：" + "，".join(parts))
    return lines
