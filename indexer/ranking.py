"""Ranking for colloquial queries: BM25F recall, then coverage of the query's important words.

Whoosh's BM25F finds candidates with an OR over every word, synonym and field (a strict AND returns
nothing for "有没有讲个人品牌的文章"). Candidates are then re-ranked by *coverage*: the share of the
query's IDF weight that a document matches, counted higher for title and tags than for the body.
The same coverage says when a result is `weak`: no hit covers the query's important words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from indexer.audience import View
from indexer.query import ParsedQuery, TermGroup
from indexer.schema import FIELD_BOOSTS
from indexer.text import fold

POOL = 100  # candidates re-ranked per query; deeper pages are not useful in a chat
SYNONYM_FACTOR = 0.8
# How strongly a match in each field shows that a document is about the word.
FIELD_STRENGTH = {"title": 1.0, "tags_text": 1.0, "summary": 0.8, "body": 0.5}
KIND_BOOST = 1.3
SCORE_EXP, COV_EXP = 0.5, 1.5  # coverage matters more than raw BM25 among the candidates
WEAK_BELOW = 0.45  # best strong coverage under this: nothing matched the query directly
KEEP_RATIO = 0.4  # hits whose coverage falls under this share of the best one are noise
WEAK_DEPTH = 5  # the hits a user sees first decide whether the answer is weak
BODY_STRENGTH = (0.0, 0.45, 0.7, 0.85)  # a word said once, twice, three or more times in the body
LEAD_CHARS, LEAD_STRENGTH = 200, 0.8  # the opening lines say what a post is about
MISSING_WORD_FACTOR, GUESSED_WORD_FACTOR = 0.8, 0.3


@dataclass(slots=True)
class Scored:
    """A candidate: its final score, the words to highlight, and stored fields once loaded.

    Stored fields (with the body) are read only for the hits a user sees, not all candidates.
    The searcher caches ranked candidates; once a hit's snippet is made, it keeps the snippet
    and drops the body (``snippet``), so a cached query stays small.
    """

    docnum: int
    score: float
    coverage: float
    words: list[str] = field(default_factory=list)
    ts: int = 0
    fields: dict = field(default_factory=dict)
    snippet: tuple[str, list[tuple[int, int]]] | None = None

    def load(self, searcher: WhooshSearcher) -> dict:
        if not self.fields:
            self.fields = searcher.stored_fields(self.docnum)
        return self.fields


@dataclass
class Ranked:
    hits: list[Scored]
    weak: bool


def tag_key(tag: str) -> str:
    """The form a tag is filtered by: folded and trimmed, so "#ＡＩ" finds "AI"."""
    return fold(tag).strip().lstrip("#")


def _terms(member: str) -> list[str]:
    return [p for p in member.split() if p]


def _term_query(fieldname: str, member: str, boost: float) -> wq.Query:
    parts = _terms(member)
    if len(parts) == 1:
        return wq.Term(fieldname, parts[0], boost=boost)
    return wq.And([wq.Term(fieldname, p) for p in parts], boost=boost)


def attach_frequencies(searcher: WhooshSearcher, parsed: ParsedQuery) -> None:
    """Record in each group how many documents contain its word or a synonym (max over fields)."""
    for group in parsed.groups:
        group.df = max(
            (searcher.doc_frequency(f, t) for f in FIELD_BOOSTS for m in group.members for t in _terms(m)[:1]),
            default=0,
        )


def build_query(parsed: ParsedQuery) -> wq.Query:
    """OR of every group: word and synonyms in every field, weighted by field and by synonymy."""
    clauses = []
    for group in parsed.groups:
        terms = [
            _term_query(f, member, fb * group.weight * (1.0 if i == 0 else SYNONYM_FACTOR))
            for i, member in enumerate(group.members)
            for f, fb in FIELD_BOOSTS.items()
        ]
        clauses.append(wq.Or(terms))
    return wq.Or(clauses)


def _idf(group: TermGroup, n_docs: int) -> float:
    idf = math.log(1.0 + (n_docs - group.df + 0.5) / (group.df + 0.5))
    if group.df:
        return idf
    # A word no document contains: a real word (跨境, 退税) is a topic the corpus lacks and must
    # count; a string jieba only guessed at (太忙, 人一多, 融不进) is colloquial decoration.
    return idf * (MISSING_WORD_FACTOR if group.known else GUESSED_WORD_FACTOR)


def rank(searcher: WhooshSearcher, view: View, parsed: ParsedQuery, filt, kind_hint: str | None) -> Ranked:
    """Search, re-rank by coverage, drop noise and decide whether the result is weak."""
    results = view.search(searcher, build_query(parsed), limit=POOL, filter=filt, terms=True)
    if not results.scored_length():
        return Ranked([], weak=False)
    groups = parsed.content_groups or parsed.groups
    n_docs = max(searcher.doc_count_all(), 1)
    weights = [_idf(g, n_docs) for g in groups]
    total = sum(weights) or 1.0
    owner: dict[str, tuple[int, float]] = {}
    for gi, group in enumerate(groups):
        for i, member in enumerate(group.members):
            for term in _terms(member):
                owner.setdefault(term, (gi, 1.0 if i == 0 else SYNONYM_FACTOR))
    top = results[0].score or 1.0
    dates = searcher.reader().column_reader("ts")
    scored: list[Scored] = []
    decoded: dict[bytes, str] = {}  # one str per term, shared by the hits (and the cached candidates)
    for hit in results:
        strength = [0.0] * len(groups)
        words: set[str] = set()
        for fieldname, raw in hit.matched_terms():
            word = decoded.get(raw)
            if word is None:
                word = decoded[raw] = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            words.add(word)
            if word in owner:
                gi, factor = owner[word]
                strength[gi] = max(strength[gi], FIELD_STRENGTH.get(fieldname, 0.5) * factor)
        coverage = sum(w * s for w, s in zip(weights, strength, strict=True)) / total
        final = (hit.score / top) ** SCORE_EXP * coverage**COV_EXP
        if kind_hint and hit.get("kind") == kind_hint:
            final *= KIND_BOOST
        scored.append(Scored(hit.docnum, final, coverage, sorted(words, key=len, reverse=True), dates[hit.docnum]))
    best = max(s.coverage for s in scored)
    kept = [s for s in scored if s.coverage >= best * KEEP_RATIO]
    kept.sort(key=lambda s: (round(s.score, 3), s.ts), reverse=True)
    for s in kept[:WEAK_DEPTH]:
        s.load(searcher)
    strong = max(_strong_coverage(s, groups, weights) for s in kept[:WEAK_DEPTH]) / total
    return Ranked(kept, weak=strong < WEAK_BELOW)


def _strong_coverage(scored: Scored, groups: list[TermGroup], weights: list[float]) -> float:
    """IDF-weighted share of the query a top hit is *about*: in its title, tags or summary, or
    repeated in its body (a word said once in passing does not make a document about it)."""
    head = " ".join(
        (
            scored.fields.get("title") or "",
            " ".join(scored.fields.get("tags") or ()),
            scored.fields.get("summary") or "",
        )
    ).lower()
    body = (scored.fields.get("body") or "").lower()
    total = 0.0
    for group, weight in zip(groups, weights, strict=True):
        best = 0.0
        for i, member in enumerate(group.members):
            factor = 1.0 if i == 0 else SYNONYM_FACTOR
            if member in head:
                best = max(best, factor)
            elif member in body[:LEAD_CHARS]:
                best = max(best, factor * LEAD_STRENGTH)
            elif member in body:
                best = max(best, factor * BODY_STRENGTH[min(body.count(member), 3)])
        total += weight * best
    return total
