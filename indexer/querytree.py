"""Whoosh's matcher tree for a query, built from each term's record read once, then evaluated with numpy.

``indexer.topk`` evaluated the tree Whoosh's ``query.matcher`` builds, and building it was ~40% of a
search at 10,000 documents: per term and segment Whoosh probes its hashed term table for
membership, for the postings, for the idf and once more for every size estimate of an enclosing
clause (the tree's shape), and makes a matcher and a scorer object for each. Here the same tree is
laid out from the term records of ``indexer.termstats`` (one lookup per term and segment, kept
while the reader lives), with no matcher objects:

- ``Or`` and ``And`` are shaped as Whoosh's ``_tree_matcher`` shapes them: the huffman-like tree of
  ``make_weighted_tree`` over the clauses' size estimates (Whoosh's tie order: a stable sort, then
  ``insort`` after equal weights, since its matchers compare neither smaller nor larger), so every
  sum is added in Whoosh's order and the floats are the same;
- a term scores by BM25F exactly as ``indexer.topk`` does, deleted documents are dropped like
  Whoosh's ``FilterMatcher`` drops them, a boost multiplies like ``WrappingMatcher``;
- anything else (a phrase, an unusual clause) is handed to Whoosh's own matcher and evaluated by
  ``indexer.topk`` as before.
A clause that cannot match (a term the segment lacks) adds nothing: ``x + 0.0 == x``.
"""

from __future__ import annotations

import math
from bisect import insort

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F

from indexer.termstats import kept_postings, segment_doc_frequency, term_info

_UNION, _INTER, _WRAP, _LEAF, _WHOOSH = range(5)


def _weight(pair):
    return pair[0]


class Scoring:
    """What a search's terms share across segments: idf and average field lengths (global figures)."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.weighting = searcher.weighting
        self.plain = type(self.weighting) is BM25F  # otherwise every term is left to Whoosh
        self.schema = searcher.schema
        self.readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
        self._idf = getattr(searcher, "_idf_cache", {})  # Whoosh's own cache: both paths share it
        self._avgfl: dict[str, float] = {}
        self._scorable: dict[str, bool] = {}
        self.btexts: dict[int, bytes | None] = {}  # id(Term) → its bytes (None: not searchable)
        self._context = None

    @property
    def context(self):
        if self._context is None:  # what terms=True gives Whoosh's collector
            self._context = self.searcher.context(needs_current=True)
        return self._context

    def btext(self, q: wq.Term) -> bytes | None:
        key = id(q)
        if key not in self.btexts:
            try:
                self.btexts[key] = self.schema[q.fieldname].to_bytes(q.text) if q.fieldname in self.schema else None
            except ValueError:  # Whoosh's Term.matcher: then nothing matches
                self.btexts[key] = None
        return self.btexts[key]

    def scores(self, fieldname: str) -> bool:
        """Whether BM25F scores the field (else its terms are left to Whoosh, like any other node)."""
        found = self._scorable.get(fieldname)
        if found is None:
            found = self._scorable[fieldname] = self.plain and bool(self.schema[fieldname].scorable)
        return found

    def bm25(self, fieldname: str, btext: bytes) -> tuple[float, float, float, float]:
        """``BM25FScorer``'s idf, average length, B and K1 for a term (``whoosh.scoring``)."""
        key = (fieldname, btext)
        idf = self._idf.get(key)
        if idf is None:
            n = sum(segment_doc_frequency(r, fieldname, btext) for r in self.readers)
            idf = self._idf[key] = math.log(self.searcher.doc_count_all() / (n + 1)) + 1
        avgfl = self._avgfl.get(fieldname)
        if avgfl is None:
            avgfl = self._avgfl[fieldname] = self.searcher.avg_field_length(fieldname) or 1
        w = self.weighting
        return idf, avgfl, w._field_B.get(fieldname, w.B), w.K1


class _Builder:
    """One segment's tree, as ``query.matcher(segment_searcher, context)`` would shape it."""

    def __init__(self, scoring: Scoring, sub):
        self.scoring = scoring
        self.reader = sub.reader()
        self._doc_count: int | None = None

    def shape(self, q) -> tuple:
        """``(q.estimate_size(segment_reader), the node q.matcher makes)``, from the kept term records
        (both in one walk: Whoosh asks every clause for its size once per enclosing clause)."""
        kind = type(q)
        if kind is wq.Term:
            return self._term(q)
        if (kind is wq.Or or kind is wq.And) and q.subqueries:
            subs = q.subqueries
            if kind is wq.Or and (
                q.scale or len(subs) >= wq.Or.TOO_MANY_CLAUSES or q.matcher_type != wq.Or.AUTO_MATCHER
            ):
                return q.estimate_size(self.reader), (_WHOOSH, q)
            shaped = [self.shape(s) for s in subs]
            if kind is wq.Or:
                if self._doc_count is None:
                    self._doc_count = self.reader.doc_count()
                estimate = min(sum(e for e, _ in shaped), self._doc_count)
            else:
                estimate = min(e for e, _ in shaped)
            if len(subs) == 1:  # Whoosh matches the clause itself, the compound's boost unused
                return estimate, shaped[0][1]
            if kind is wq.Or:
                tree = _weighted_tree(_UNION, shaped)
            else:
                tree = _weighted_tree(_INTER, [(0 - e, n) for e, n in shaped])
            return estimate, ((_WRAP, tree, q.boost) if q.boost != 1.0 else tree)
        if kind is wq.Or or kind is wq.And:  # no clauses: Whoosh's NullMatcher
            return (0 if kind is wq.Or else None), None
        return q.estimate_size(self.reader), (_WHOOSH, q)

    def _term(self, q: wq.Term) -> tuple:
        scoring = self.scoring
        btext = scoring.btext(q)
        info = None if btext is None else term_info(self.reader, q.fieldname, btext)
        if info is None:
            return 0, None
        estimate = info.doc_frequency()
        if q.minquality or not scoring.scores(q.fieldname):
            return estimate, (_WHOOSH, q)
        leaf = (_LEAF, q.fieldname, btext, info)
        return estimate, ((_WRAP, leaf, q.boost) if q.boost != 1.0 else leaf)


def _weighted_tree(kind: int, pairs: list):
    """``whoosh.util.make_weighted_tree``: join the two lightest, insert the pair after equal weights."""
    pairs.sort(key=_weight)
    while len(pairs) > 1:
        a = pairs.pop(0)
        b = pairs.pop(0)
        insort(pairs, (a[0] + b[0], (kind, a[1], b[1])), key=_weight)
    return pairs[0][1]


def evaluate(query, scoring: Scoring, seg, whoosh_evaluate, postings):
    """``query`` over one segment (``indexer.topk._Segment``): ``(documents, scores, presence)``, the
    three aligned, or None when nothing can match; matched terms are recorded in ``seg.terms`` (one
    presence array per term, aligned with the documents) like topk did. ``whoosh_evaluate``
    evaluates a Whoosh matcher over the whole segment; ``postings`` reads a leaf matcher's postings.

    Only the documents some term holds are laid out (``np.unique`` of the postings), every term's
    BM25F in one pass over all postings, and the tree's sums run on rows of that small table: a
    query of a hundred clauses cost ~10 numpy operations a clause over the whole segment before.
    A tree with a node Whoosh must run itself (a phrase) is evaluated over the whole segment."""
    if type(seg.sub.reader()) is not SegmentReader:  # no term table of ours to read: Whoosh's tree
        found = whoosh_evaluate(query.matcher(seg.sub, scoring.context), seg)
        return np.arange(seg.size), found[0], found[1]
    root = _Builder(scoring, seg.sub).shape(query)[1]
    if root is None:
        return None
    leaves: list = []
    if _leaves(root, leaves):
        return _compact(root, leaves, scoring, seg, postings) if leaves else None
    found = _run(root, _Dense(scoring, seg, whoosh_evaluate, postings), seg)
    return None if found is None else (np.arange(seg.size), found[0], found[1])


def _leaves(node, out: list) -> bool:
    """The tree's leaves in evaluation order; False when a node must be run by Whoosh."""
    if node is None:
        return True
    kind = node[0]
    if kind == _LEAF:
        out.append(node)
        return True
    if kind == _WHOOSH:
        return False
    if kind == _WRAP:
        return _leaves(node[1], out)
    return _leaves(node[1], out) and _leaves(node[2], out)


def _run(node, how, seg):
    if node is None:
        return None
    kind = node[0]
    if kind == _UNION:
        ra = _run(node[1], how, seg)
        rb = _run(node[2], how, seg)
        if ra is None or rb is None:
            return rb if ra is None else ra
        return ra[0] + rb[0], ra[1] | rb[1]
    if kind == _LEAF:
        return how.leaf(node)
    if kind == _WRAP:
        r = _run(node[1], how, seg)
        return None if r is None else (r[0] * node[2], r[1])
    if kind == _INTER:
        first = len(seg.terms)
        ra = _run(node[1], how, seg)
        rb = None if ra is None else _run(node[2], how, seg)
        if rb is None:  # an AND with a side that cannot match matches nothing, and none of its terms
            del seg.terms[first:]
            return None
        has = ra[1] & rb[1]
        for i in range(first, len(seg.terms)):
            term, where = seg.terms[i]
            seg.terms[i] = (term, where & has)
        return np.where(has, ra[0] + rb[0], 0.0), has
    return how.whoosh(node)


def _postings_of(node, scoring: Scoring, seg, postings) -> tuple[np.ndarray, np.ndarray]:
    """A leaf's document numbers and weights, without the segment's deleted documents."""
    _, fieldname, btext, info = node
    if info.is_inlined():
        raw_ids, raw_weights, _ = info.inlined_postings()
        ids = np.array(raw_ids, dtype=np.int64)
        # ListMatcher.weight(): the stored weight, 1.0 when none was stored
        weights = np.array(raw_weights, dtype=np.float64) if raw_weights else np.ones(len(ids))
    else:
        reader = seg.sub.reader()

        def read():
            offset, length = info.extent()
            fmt = scoring.schema[fieldname].format
            return postings(W3LeafMatcher(reader._terms._postfile, offset, length, fmt, term=(fieldname, btext)))

        ids, weights = kept_postings(reader, (fieldname, btext), read)
    if seg.deleted is not None:
        keep = ~seg.deleted[ids]
        ids, weights = ids[keep], weights[keep]
    return ids, weights


def _bm25(idf, avgfl, B, K1, weights, lengths):
    # whoosh.scoring.bm25, operation for operation (the same float results, scalar or elementwise)
    return idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / avgfl)))


def _compact(root, leaves: list, scoring: Scoring, seg, postings):
    from indexer.topk import field_lengths

    parts = [_postings_of(leaf, scoring, seg, postings) for leaf in leaves]
    counts = [len(ids) for ids, _ in parts]
    ids = np.concatenate([p[0] for p in parts])
    weights = np.concatenate([p[1] for p in parts])
    lengths = np.concatenate([field_lengths(seg.sub, leaf[1])[p[0]] for leaf, p in zip(leaves, parts, strict=True)])
    params = np.array([scoring.bm25(leaf[1], leaf[2]) for leaf in leaves])
    idf, avgfl, B, K1 = (np.repeat(params[:, k], counts) for k in range(4))
    values = _bm25(idf, avgfl, B, K1, weights, lengths)
    # The query's documents in order, and each posting's column among them (a mark per document of
    # the segment: linear, where sorting the postings was the largest cost at 50,000 documents)
    mark = np.zeros(seg.size, dtype=bool)
    mark[ids] = True
    docs = np.flatnonzero(mark)
    where = np.empty(seg.size, dtype=np.intp)
    where[docs] = np.arange(len(docs))
    column = where[ids]
    owner = np.repeat(np.arange(len(leaves)), counts)
    scores = np.zeros((len(leaves), len(docs)))
    present = np.zeros((len(leaves), len(docs)), dtype=bool)
    scores[owner, column] = values
    present[owner, column] = True
    found = _run(root, _Rows(leaves, scores, present, seg), seg)
    return None if found is None else (docs, found[0], found[1])


class _Rows:
    """Leaves read from the table of a query's documents (one row per leaf)."""

    def __init__(self, leaves, scores, present, seg):
        self.row = {id(leaf): i for i, leaf in enumerate(leaves)}
        self.scores, self.present, self.seg = scores, present, seg

    def leaf(self, node):
        i = self.row[id(node)]
        self.seg.terms.append(((node[1], node[2]), self.present[i]))
        return self.scores[i], self.present[i]


class _Dense:
    """Leaves and Whoosh's own nodes over the whole segment (a tree with a phrase)."""

    def __init__(self, scoring, seg, whoosh_evaluate, postings):
        self.scoring, self.seg = scoring, seg
        self.whoosh_evaluate, self.postings = whoosh_evaluate, postings

    def leaf(self, node):
        from indexer.topk import field_lengths

        seg = self.seg
        ids, weights = _postings_of(node, self.scoring, seg, self.postings)
        lengths = field_lengths(seg.sub, node[1])[ids]
        values = _bm25(*self.scoring.bm25(node[1], node[2]), weights, lengths)
        score = np.zeros(seg.size)
        has = np.zeros(seg.size, dtype=bool)
        score[ids] = values
        has[ids] = True
        seg.terms.append(((node[1], node[2]), has.copy()))
        return score, has

    def whoosh(self, node):
        return self.whoosh_evaluate(node[1].matcher(self.seg.sub, self.scoring.context), self.seg)
