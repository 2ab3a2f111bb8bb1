"""The unit of content (`Document`) and what a source reports when it cannot read one (`Problem`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields

KINDS = ("article", "case")
VISIBILITIES = ("public", "internal")


@dataclass(frozen=True)
class Document:
    """One shareable article or case, as every source produces it."""

    id: str
    kind: str
    title: str
    url: str
    summary: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    date: dt.date | None = None
    visibility: str = "public"
    cover: str = ""
    source: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {VISIBILITIES}, not {self.visibility!r}")

    def to_dict(self) -> dict:
        """The document as JSON-ready data (``from_dict`` reads it back)."""
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["date"] = self.date.isoformat() if self.date else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        """A document from ``to_dict`` data; raise ValueError (or TypeError) when it is not one."""
        data = dict(data)
        data["tags"] = tuple(data.get("tags") or ())
        data["date"] = dt.date.fromisoformat(data["date"]) if data.get("date") else None
        return cls(**data)

    def content_hash(self) -> str:
        """Hash everything that is indexed, so `update` re-indexes exactly the changed documents."""
        known = self.__dict__.get("_content_hash")
        if known is not None:
            return known
        # The fields as they are (asdict's deep copy was most of the cost; the JSON is the same).
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["date"] = self.date.isoformat() if self.date else None
        blob = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        known = hashlib.sha1(blob).hexdigest()
        self.__dict__["_content_hash"] = known  # frozen fields never change: hashed once (an update asks twice)
        return known


@dataclass(frozen=True)
class Problem:
    """Why one file, row or URL was skipped (or indexed with a caveat)."""

    path: str
    reason: str
    category: str = "error"  # short key for the summary: encoding, yaml, empty, duplicate, fetch, ...
    skipped: bool = True


@dataclass
class SourceResult:
    """What reading the content produced: documents and the problems met on the way."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def extend(self, other: SourceResult) -> None:
        self.documents.extend(other.documents)
        self.problems.extend(other.problems)
