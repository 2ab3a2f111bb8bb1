"""Who may see which document: the one place where every read of the index is restricted.

Every search path (words, a tag or kind alone, filler-only questions, 最新, a picked number, the
results page, zero-result suggestions) reads documents through a `View`, and a `View` is only made
here. A client's view hides `internal` documents; an employee's hides nothing. A later overlay
(documents an admin hid, or made internal, without a rebuild) joins by adding its rule to
`hidden_query` and `allows`, and every path follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

AUDIENCES = ("client", "employee")
INTERNAL = wq.Term("visibility", "internal")


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

    def search(self, searcher: WhooshSearcher, query: wq.Query, **kwargs):
        """``searcher.search`` with this audience's mask; the only way our code runs a Whoosh query."""
        if "mask" in kwargs:
            raise TypeError("the mask comes from the view")
        return searcher.search(query, mask=self.hidden or None, **kwargs)

    def admits(self, docnum: int) -> bool:
        """Whether this audience may see document number ``docnum`` of the searcher's generation."""
        return not (self.hidden and docnum in self.hidden)

    def document(self, searcher: WhooshSearcher, **terms) -> dict | None:
        """Stored fields of one document, or None when it is absent or not for this audience."""
        fields = searcher.document(**terms)
        return fields if fields and allows(fields, self.audience) else None


def make_view(searcher: WhooshSearcher, audience: str) -> View:
    """The view of ``audience`` on the generation ``searcher`` reads (see Generation.view for the cached one)."""
    rule = hidden_query(audience)
    return View(audience, None if rule is None else set(searcher.docs_for_query(rule)))
