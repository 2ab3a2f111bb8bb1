"""The best documents of an OR query, scored a posting list at a time instead of a posting at a time.

Whoosh scores an OR query one matching document at a time in Python (~3 µs a posting, plus a check
of every term of the query at every posting when the matched terms are wanted), so a query cost as
much as its commonest word's postings: a body word in a quarter of the documents touched thousands
of documents to keep 100. Here the same query is evaluated over whole posting lists with numpy.

Results are Whoosh's, float for float, not an approximation of them:
- the matcher tree is shaped as Whoosh's own (``query.matcher`` per segment, in the context the
  terms collector uses; ``indexer.querytree`` lays it out from each term's record, read once), so
  every sum is done in the same order as Whoosh's ``UnionMatcher``;
- a term's score is BM25F's formula with the same operations in the same order on the same inputs
  (the stored weights, the byte-coded field lengths, the scorer's own idf and average length), which
  IEEE arithmetic makes bit-identical elementwise;
- any node this module does not know (a phrase's span matcher, say) is run by Whoosh itself, node
  by node, so nothing unknown is approximated;
- the top ``limit`` are chosen like Whoosh's top collector: highest score, then lowest document number.
``tests/test_topk.py`` compares ids, scores and matched terms with Whoosh's own search.

Matched terms are those whose whole clause matched; Whoosh's terms collector may also report a term
of an AND whose other terms are missing (its matcher stands on the document), which ranking ignores
(a bigram member counts only when all its bigrams matched). Posting lists are read whole (and the
recent ones kept, ``indexer.termstats``), so no term is skipped by upper bounds.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import IntersectionMatcher, ListMatcher, NullMatcherClass, UnionMatcher
from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher as WhooshSearcher
from whoosh.util.numeric import byte_to_length

from indexer.querytree import Scoring, evaluate

_BYTE_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


@dataclass(slots=True)
class Match:
    """One document of the top: what ranking reads from a Whoosh hit."""

    docnum: int
    score: float
    terms: list[tuple[str, bytes]]

    def matched_terms(self) -> list[tuple[str, bytes]]:
        return self.terms


class _Segment:
    """One segment's evaluation state: its size, deleted documents and the term records of the tree."""

    def __init__(self, sub: WhooshSearcher):
        self.sub = sub
        self.size = sub.reader().doc_count_all()
        self.deleted = deleted_mask(sub.reader(), self.size)
        # (term, boolean array: the documents where Whoosh's terms collector finds that term matcher on them)
        self.terms: list[tuple[tuple[str, bytes], np.ndarray]] = []


def top_matches(
    searcher: WhooshSearcher,
    query,
    limit: int,
    hidden: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> list[Match]:
    """The ``limit`` best documents of ``query`` with their scores and matched terms, in Whoosh's order.

    ``hidden`` / ``allowed`` are boolean arrays over the searcher's document numbers (the audience's
    mask and a filter's documents); a document must be allowed and not hidden.
    """
    scoring = Scoring(searcher)
    docnums, scores, owners, places = [], [], [], []
    segments = []
    for sub, offset in searcher.leaf_searchers():
        seg = _Segment(sub)
        found = evaluate(query, scoring, seg, _evaluate, _postings)
        if found is None:
            continue
        docs, score, has = found  # has may be a term's own presence array: not changed in place
        if hidden is not None:
            has = has & ~hidden[docs + offset]
        if allowed is not None:
            has = has & allowed[docs + offset]
        place = np.flatnonzero(has)
        docnums.append(docs[place] + offset)
        scores.append(score[place])
        places.append(place)
        owners.append(np.full(len(place), len(segments), dtype=np.int64))
        segments.append((seg, offset))
    if not docnums:
        return []
    docnum = np.concatenate(docnums)
    score = np.concatenate(scores)
    owner = np.concatenate(owners)
    place = np.concatenate(places)
    if len(score) > limit:
        # Everything scoring at least the limit-th best (ties included), then Whoosh's order
        kth = np.partition(score, len(score) - limit)[len(score) - limit]
        keep = score >= kth
        docnum, score, owner, place = docnum[keep], score[keep], owner[keep], place[keep]
    order = np.lexsort((docnum, -score))[:limit]
    # Each chosen document's terms, in the tree's order: one column of the segment's term table
    found: dict[int, list] = {}
    for number, (seg, _) in enumerate(segments):
        mine = order[owner[order] == number]
        if len(mine) and seg.terms:
            table = np.stack([where for _, where in seg.terms])[:, place[mine]]
            chosen = mine.tolist()
            for i in chosen:
                found[i] = []
            rows, columns = np.nonzero(table)  # by term, then document: each list keeps the tree's order
            for t, column in zip(rows.tolist(), columns.tolist(), strict=True):
                found[chosen[column]].append(seg.terms[t][0])
    return [Match(int(docnum[i]), float(score[i]), found.get(i, [])) for i in order.tolist()]


def _evaluate(m, seg: _Segment) -> tuple[np.ndarray, np.ndarray]:
    """Scores (0 where absent) and presence of matcher ``m``'s documents, as Whoosh would compute them."""
    kind = type(m)
    if kind is UnionMatcher:
        sa, ha = _evaluate(m.a, seg)
        sb, hb = _evaluate(m.b, seg)
        # Whoosh adds a.score() + b.score() where both match, else takes the one; x + 0.0 == x
        return sa + sb, ha | hb
    if kind is IntersectionMatcher:
        first = len(seg.terms)
        sa, ha = _evaluate(m.a, seg)
        sb, hb = _evaluate(m.b, seg)
        has = ha & hb
        _restrict(seg, first, has)
        return np.where(has, sa + sb, 0.0), has
    if kind is WrappingMatcher:
        s, h = _evaluate(m.child, seg)
        return s * m.boost, h
    if kind is FilterMatcher:
        first = len(seg.terms)
        s, h = _evaluate(m.child, seg)
        chosen = np.zeros(seg.size, dtype=bool)
        chosen[[i for i in m._ids if i < seg.size]] = True
        h = h & (~chosen if m._exclude else chosen)
        _restrict(seg, first, h)
        return np.where(h, s * m.boost, 0.0), h
    if isinstance(m, NullMatcherClass):
        return np.zeros(seg.size), np.zeros(seg.size, dtype=bool)
    if kind is W3LeafMatcher or kind is ListMatcher:
        scorer = m.scorer if kind is W3LeafMatcher else m._scorer
        if type(scorer) is BM25FScorer and m.is_active():
            return _leaf(m, scorer, seg)
    return _by_whoosh(m, seg)


def _restrict(seg: _Segment, first: int, has: np.ndarray) -> None:
    # Inside an AND, Whoosh's term matchers sit on a document only where the whole AND does.
    for i in range(first, len(seg.terms)):
        term, where = seg.terms[i]
        seg.terms[i] = (term, where & has)


def _leaf(m, scorer: BM25FScorer, seg: _Segment) -> tuple[np.ndarray, np.ndarray]:
    ids, weights = _postings(m)
    fieldname = m.term()[0]
    lengths = field_lengths(seg.sub, fieldname)[ids]
    idf, avgfl, B, K1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
    # whoosh.scoring.bm25, operation for operation (the same float results)
    values = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / avgfl)))
    score = np.zeros(seg.size)
    has = np.zeros(seg.size, dtype=bool)
    score[ids] = values
    has[ids] = True
    seg.terms.append((m.term(), has.copy()))
    return score, has


def _postings(m) -> tuple[np.ndarray, np.ndarray]:
    """All document numbers and weights of a term's posting list (the matcher is used up)."""
    if type(m) is ListMatcher:
        m.reset()
        ids, weights = [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
    m.reset()  # an AND's constructor may have moved it past earlier postings
    id_parts, weight_parts = [], []
    while True:
        if m._data is None:
            m._read_data()
        raw_ids, raw_weights = m._data[0], m._data[1]
        ids = np.array(raw_ids, dtype=np.int64)
        if not m._byteids:
            ids = np.cumsum(ids)
        n = m._blocklength
        if raw_weights is None:
            weights = np.ones(n)
        elif isinstance(raw_weights, float):
            # Whoosh widens a block's single weight into array("f"): a float32 value
            weights = np.full(n, float(np.float32(raw_weights)))
        else:
            weights = np.array(raw_weights, dtype=np.float64)
        id_parts.append(ids)
        weight_parts.append(weights)
        if m._lastblock:
            break
        m._goto(m._nextoffset)
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _by_whoosh(m, seg: _Segment) -> tuple[np.ndarray, np.ndarray]:
    """A node this module does not model: let Whoosh step through it, recording its term matchers
    the way the terms collector does."""
    score = np.zeros(seg.size)
    has = np.zeros(seg.size, dtype=bool)
    tms = list(m.term_matchers())
    where = [np.zeros(seg.size, dtype=bool) for _ in tms]
    while m.is_active():
        d = m.id()
        score[d] = m.score()
        has[d] = True
        for tm, w in zip(tms, where, strict=True):
            if tm.is_active() and tm.id() == d:
                w[d] = True
        m.next()
    seg.terms.extend((tm.term(), w) for tm, w in zip(tms, where, strict=True))
    return score, has


_lengths_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def field_lengths(sub: WhooshSearcher, fieldname: str) -> np.ndarray:
    """Every document's length of ``fieldname`` in a segment, as BM25F sees it (decoded from its byte)."""
    reader = sub.reader()
    per_reader = _lengths_cache.setdefault(reader, {})
    found = per_reader.get(fieldname)
    if found is None:
        size = reader.doc_count_all()
        codes = np.zeros(size, dtype=np.uint8)
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is not None:
            count = min(column._count, size)
            codes[:count] = np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
        found = per_reader[fieldname] = _BYTE_LENGTH[codes]
    return found


_deleted_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def deleted_mask(reader, size: int) -> np.ndarray | None:
    """A segment's deleted documents as a boolean array (None: it has none)."""
    found = _deleted_cache.get(reader)
    if found is None:
        deleted = getattr(reader, "deleted_docs_set", None)  # what SegmentReader.postings filters out
        found = _deleted_cache[reader] = (docnum_mask(deleted, size) if deleted else False,)
    return found[0] if found[0] is not False else None


def docnum_mask(docnums, size: int) -> np.ndarray:
    """A set of document numbers as a boolean array over ``size`` documents."""
    out = np.zeros(size, dtype=bool)
    if docnums:
        out[np.fromiter(docnums, dtype=np.int64, count=len(docnums))] = True
    return out
