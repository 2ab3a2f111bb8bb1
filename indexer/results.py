"""What a search returns: `Hit` and `SearchResult`, in the JSON contract of DESIGN.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Hit:
    """One result as callers see it."""

    id: str
    kind: str
    title: str
    url: str
    tags: tuple[str, ...] = ()
    date: str = ""
    score: float = 0.0
    snippet: str = ""
    summary: str = ""
    cover: str = ""
    visibility: str = "public"
    taught: str = ""  # why a taught rule put it here: pinned / rewrite / lifted (indexer.teaching)
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict:
        """The hit in the JSON contract of DESIGN.md (plus highlight spans in the snippet)."""
        data = asdict(self)
        data["tags"] = list(self.tags)
        data["score"] = round(self.score, 4)
        data["highlights"] = [list(span) for span in self.highlights]
        for key in ("summary", "cover", "visibility", "taught"):
            data.pop(key)
        return data


@dataclass
class SearchResult:
    """Hits of one page plus what the bot needs to be honest about them."""

    query: str
    total: int = 0
    weak: bool = False
    hits: list[Hit] = field(default_factory=list)
    corrected: str | None = None
    related_tags: list[str] = field(default_factory=list)
    # The first `strong` hits are about the query; the rest of `total` are "可能相关" (maybe related).
    strong: int = 0

    def to_json(self) -> dict:
        """`{"query", "total", "strong", "weak", "hits", "corrected", "related_tags"}`."""
        return {
            "query": self.query,
            "total": self.total,
            "strong": self.strong,
            "weak": self.weak,
            "hits": [h.to_json() for h in self.hits],
            "corrected": self.corrected,
            "related_tags": self.related_tags,
        }


def hit_from_fields(fields: dict, score: float = 0.0) -> Hit:
    """A hit built from a document's stored fields."""
    summary = fields.get("summary") or ""
    return Hit(
        id=fields["id"],
        kind=fields.get("kind", "article"),
        title=fields.get("title", ""),
        url=fields.get("url", ""),
        tags=tuple(fields.get("tags") or ()),
        date=fields.get("date") or "",
        score=score,
        snippet=summary[:90],
        summary=summary,
        cover=fields.get("cover") or "",
        visibility=fields.get("visibility", "public"),
    )
