"""Who may see which document: the one place where every read of the index is restricted.

Every search path (words, a tag or kind alone, filler-only questions, 最新, a picked number, the
results page, zero-result suggestions) reads documents through a `View`, and a `View` is only made
here. A client's view hides `internal` documents; an employee's hides nothing built as hidden.
On top, the overrides admins made since the build (``indexer.overrides``: hidden from everyone, or
made internal) join every view through its ``overlay``, so every path follows them at once.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from indexer.topk import Match, docnum_mask, top_matches

if TYPE_CHECKING:
    from indexer.overrides import OverlayState

AUDIENCES = ("client", "employee")
INTERNAL = wq.Term("visibility", "internal")
# A view's mask as a boolean array, made once per view (views live as long as their generation).
_MASKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_audience(audience: str) -> str:
    """Refuse an audience we do not know rather than guess what it may see."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    return audience


def hidden_query(audience: str) -> wq.Query | None:
    """The documents ``audience`` must not see, as a Whoosh query (None: nothing is hidden)."""
    return INTERNAL if check_audience(audience) == "client" else None


def allows(fields: dict, audience: str) -> bool:
    """Whether ``audience`` may see a document with these stored fields."""
    return check_audience(audience) != "client" or fields.get("visibility") != "internal"


@dataclass(frozen=True, eq=False)
class View:
    """The index as one audience sees it: searches are masked and stored documents checked."""

    audience: str
    hidden: set[int] | None  # document numbers this audience must not see (Whoosh wants a set)
    overlay: OverlayState | None = None  # admins' overrides made since the build

    @property
    def key(self) -> tuple[str, int]:
        """What results cached for this view depend on: the audience and the overrides' version."""
        return self.audience, self.overlay.version if self.overlay else -1

    def search(self, searcher: WhooshSearcher, query: wq.Query, **kwargs):
        """``searcher.search`` with this audience's mask; the only way our code runs a Whoosh query."""
        if "mask" in kwargs:
            raise TypeError("the mask comes from the view")
        return searcher.search(query, mask=self.hidden or None, **kwargs)

    def top(self, searcher: WhooshSearcher, query: wq.Query, limit: int, filter=None) -> list[Match]:
        """The ``limit`` best matches of ``query`` this audience may see, scored a posting list at a
        time (``indexer.topk``: Whoosh's scores and order, the exact top ``limit`` of them)."""
        size = searcher.doc_count_all()
        allowed = None if filter is None else docnum_mask(set(searcher.docs_for_query(filter)), size)
        return top_matches(searcher, query, limit, hidden=self._hidden_mask(size), allowed=allowed)

    def _hidden_mask(self, size: int) -> np.ndarray | None:
        if not self.hidden:
            return None
        found = _MASKS.get(self)
        if found is None or len(found) != size:
            found = _MASKS[self] = docnum_mask(self.hidden, size)
        return found

    def admits(self, docnum: int) -> bool:
        """Whether this audience may see document number ``docnum`` of the searcher's generation."""
        return not (self.hidden and docnum in self.hidden)

    def document(self, searcher: WhooshSearcher, **terms) -> dict | None:
        """Stored fields of one document, or None when it is absent or not for this audience."""
        fields = searcher.document(**terms)
        if not fields or not allows(fields, self.audience):
            return None
        return None if self.overlay and self.overlay.hides(fields.get("id", ""), self.audience) else fields


def make_view(searcher: WhooshSearcher, audience: str, overlay: OverlayState | None = None) -> View:
    """The view of ``audience`` on the generation ``searcher`` reads (see Generation.view for the cached one)."""
    rule = hidden_query(audience)
    hidden = set(searcher.docs_for_query(rule)) if rule is not None else set()
    if overlay is not None:
        hidden |= overlay.docnums(searcher, audience)
    return View(audience, hidden or None, overlay)
