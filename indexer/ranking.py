"""Ranking for colloquial queries: BM25F recall, then coverage, then aboutness.

Whoosh's BM25F finds candidates with an OR over every word, expansion and field (a strict AND returns
nothing for "有没有讲个人品牌的文章"), plus Chinese character bigrams at a lower weight so a word the
dictionary cuts differently still meets the post. Candidates are re-ranked by *coverage*: the share of
the query's IDF weight a document matches, counted higher for title and tags than for the body, and
lower for a synonym, a concept or a bigram match than for the word itself. The first candidates are
then judged on *aboutness* (see `indexer.about`): a post that names the topic in its title, tags or
opening, or keeps coming back to it, beats one that mentions it once or says it does not do it.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from indexer import termstats
from indexer.about import about_each, missing_key_word
from indexer.analysis import cjk_bigrams
from indexer.associations import SemanticModel
from indexer.audience import View
from indexer.meaning import doc_frequency, semantic_scores
from indexer.query import ParsedQuery, TermGroup
from indexer.schema import FIELD_BOOSTS
from indexer.segment import get_segmenter
from indexer.text import fold
from indexer.topk import Match

POOL = 100  # candidates re-ranked per query; deeper pages are not useful in a chat
# How strongly a match in each field shows that a document is about the word.
FIELD_STRENGTH = {"title": 1.0, "tags_text": 1.0, "summary": 0.8, "body": 0.5, "bigrams": 0.35}
BIGRAM_BOOST = 0.5  # the bigram field beside the word fields (body: 1.0): words still rank first
PHRASE_FIELDS = ("title", "summary", "body")  # fields with positions: several-word terms are phrases there
KIND_BOOST = 1.3
SCORE_EXP, COV_EXP = 0.5, 1.5  # coverage matters more than raw BM25 among the candidates
KEEP_RATIO = 0.4  # hits whose coverage falls under this share of the best one are noise
ABOUT_DEPTH = 10  # the first candidates are read (stored text) and re-ranked by aboutness
ABOUT_MIX = 0.6  # share of aboutness in the re-ranking coverage (the rest: matched fields)
WEAK_DEPTH = 5  # the hits a user sees first decide whether the answer is weak
WEAK_BELOW = 0.2  # best aboutness under this: nothing matched the query directly
STRONG_SCORE, STRONG_ABOUT = 0.55, 0.45  # a strong hit: this share of the best score, and about the query
MISSING_WORD_FACTOR, GUESSED_WORD_FACTOR = 0.8, 0.3
# The learnt semantic channel (indexer.associations): how much closeness to the query counts.
SEMANTIC_COVERAGE, SEMANTIC_ABOUT, SEMANTIC_BASE = 0.3, 0.3, 0.5
SEMANTIC_KEEP = 0.2  # this close (rescaled: cosine 0.36), a candidate is kept whatever its words' coverage


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
    about: float = 0.0
    primary: int = 0  # how many of ``words`` (the first ones) are the query's own words

    def load(self, searcher: WhooshSearcher) -> dict:
        if not self.fields:
            self.fields = searcher.stored_fields(self.docnum)
        return self.fields


@dataclass
class Ranked:
    hits: list[Scored]
    weak: bool
    strong: int = 0  # the first hits that are clearly about the query; the rest are "可能相关"


def tag_key(tag: str) -> str:
    """The form a tag is filtered by: folded and trimmed, so "#ＡＩ" finds "AI"."""
    return fold(tag).strip().lstrip("#")


def _terms(member: str) -> list[str]:
    return [p for p in member.split() if p]


def _member_query(fieldname: str, member: str, boost: float) -> wq.Query:
    parts = _terms(member)
    if len(parts) == 1:
        return wq.Term(fieldname, parts[0], boost=boost)
    if fieldname in PHRASE_FIELDS:  # "social media" is not "Social Dinner … media"
        return wq.Phrase(fieldname, parts, boost=boost)
    return wq.And([wq.Term(fieldname, p) for p in parts], boost=boost)


def _bigram_members(group: TermGroup) -> list[tuple[list[str], float]]:
    """The word and its synonyms as bigram sets (only where bigrams add something: CJK, 2+ chars)."""
    out = []
    for member, factor in group.weighted()[: 1 + len(group.synonyms)]:
        grams = sorted(set(cjk_bigrams(member)))
        if grams:
            out.append((grams, factor))
    return out


def attach_frequencies(searcher: WhooshSearcher, parsed: ParsedQuery) -> None:
    """Record per group how many documents contain its word (``own_df``) or a close expansion (``df``)."""
    for group in parsed.groups:
        dfs = {m: doc_frequency(searcher, m) for m in group.close_members}
        group.own_df = dfs.get(group.word, 0)
        group.df = max(dfs.values(), default=0)
        group.partial = 0
        if not group.df:
            group.partial = int(_found_in_parts(searcher, group))


def _found_in_parts(searcher: WhooshSearcher, group: TermGroup) -> bool:
    """Whether a word no document holds is still there in pieces: its characters inside a longer
    word of an opening (bigrams), or its dictionary parts (性格内向 → 性格, 内向) in the index."""
    for grams, _ in _bigram_members(group):
        matcher = wq.And([wq.Term("bigrams", g) for g in grams])
        if searcher.search(matcher, limit=1).scored_length():
            return True
    word = group.word
    if len(word) < 3:
        return False
    covered = [False] * len(word)
    for part, _ in get_segmenter().index_tokens(word):
        if part != word and any(termstats.doc_frequency(searcher, f, part) for f in FIELD_BOOSTS):
            at = word.find(part)
            covered[at : at + len(part)] = [True] * len(part)
    return all(covered)


def build_query(parsed: ParsedQuery) -> wq.Query:
    """OR of every group: word and expansions in every field, weighted by field and relation; bigrams."""
    clauses = []
    for group in parsed.groups:
        terms = [
            _member_query(f, member, fb * group.weight * factor)
            for member, factor in group.weighted()
            for f, fb in FIELD_BOOSTS.items()
        ]
        for grams, factor in _bigram_members(group):
            parts = [wq.Term("bigrams", g) for g in grams]
            boost = BIGRAM_BOOST * group.weight * factor
            terms.append(parts[0].with_boost(boost) if len(parts) == 1 else wq.And(parts, boost=boost))
        clauses.append(wq.Or(terms))
    return wq.Or(clauses)


def _idf(group: TermGroup, n_docs: int) -> float:
    idf = math.log(1.0 + (n_docs - group.df + 0.5) / (group.df + 0.5))
    if group.df or group.partial:
        return idf
    # A word no document contains: a real word (跨境, 退税) is a topic the corpus lacks and must
    # count; a string jieba only guessed at (太忙, 人一多, 融不进) is colloquial decoration.
    return idf * (MISSING_WORD_FACTOR if group.known else GUESSED_WORD_FACTOR)


class _Owners:
    """Which group (and at what factor) a matched term stands for."""

    def __init__(self, groups: list[TermGroup]):
        self.single: dict[str, list[tuple[int, float]]] = {}
        self.phrases: list[tuple[list[str], int, float]] = []
        self.bigrams: list[tuple[list[str], int, float]] = []
        for gi, group in enumerate(groups):
            for member, factor in group.weighted():
                parts = _terms(member)
                if len(parts) == 1:
                    self.single.setdefault(parts[0], []).append((gi, factor))
                elif parts:
                    self.phrases.append((parts, gi, factor))
            for grams, factor in _bigram_members(group):
                self.bigrams.append((grams, gi, factor))

    def strengths(self, matched: dict[str, set[str]], n: int) -> list[float]:
        strength = [0.0] * n
        for fieldname, words in matched.items():
            base = FIELD_STRENGTH.get(fieldname, 0.5)
            if fieldname == "bigrams":
                for grams, gi, factor in self.bigrams:
                    if all(g in words for g in grams):
                        strength[gi] = max(strength[gi], base * factor)
                continue
            for word in words:
                for gi, factor in self.single.get(word, ()):
                    strength[gi] = max(strength[gi], base * factor)
            for parts, gi, factor in self.phrases:
                if all(p in words for p in parts):
                    strength[gi] = max(strength[gi], base * factor)
        return strength


def rank(
    searcher: WhooshSearcher,
    view: View,
    parsed: ParsedQuery,
    filt,
    kind_hint: str | None,
    semantic: SemanticModel | None = None,
    exhaustive: bool = False,
) -> Ranked:
    """Search, re-rank by coverage and aboutness, drop noise, count strong hits, decide weakness.

    With a learnt ``semantic`` model, how close a document is to the query as a whole (LSA) adds
    to its coverage and aboutness, and the closest documents join the candidates.
    ``exhaustive`` lets Whoosh score the candidates posting by posting, as before ``indexer.topk``:
    the same candidates (but where Whoosh's collector drops a document it scores higher, see
    BENCHMARKS.md), kept to compare with (tests, ``python -m bench search``).
    """
    results = gather(searcher, view, build_query(parsed), filt, exhaustive)
    if not results:
        return Ranked([], weak=False)
    groups = parsed.content_groups or parsed.groups
    n_docs = max(searcher.doc_count_all(), 1)
    weights = [_idf(g, n_docs) for g in groups]
    total = sum(weights) or 1.0
    owners = _Owners(groups)
    own_words = {t for g in groups for t in _terms(g.word)}
    top = results[0].score or 1.0
    dates = _dates(searcher)
    scored: list[Scored] = []
    base: dict[int, float] = {}
    decoded: dict[bytes, str] = {}  # one str per term, shared by the hits (and the cached candidates)
    # each member's bigrams, cut once per query rather than once per candidate
    member_grams = [(m, cjk_bigrams(m)) for g in groups for m in g.members]
    of_kind = _documents_of_kind(searcher, kind_hint) if kind_hint else frozenset()
    # Coverage and words depend only on which terms matched: candidates share a handful of sets
    by_terms: dict[frozenset, tuple[float, list[str], int]] = {}
    for hit in results:
        key = frozenset(hit.matched_terms())
        known = by_terms.get(key)
        if known is None:
            known = by_terms[key] = _coverage_and_words(
                key, decoded, owners, weights, total, member_grams, own_words, len(groups)
            )
        coverage, words, primary = known
        kind_factor = KIND_BOOST if hit.docnum in of_kind else 1.0
        base[hit.docnum] = (hit.score / top) ** SCORE_EXP * kind_factor
        scored.append(Scored(hit.docnum, 0.0, coverage, list(words), dates[hit.docnum], primary=primary))
    sem = semantic_scores(semantic, groups, [s.docnum for s in scored], _admits(searcher, view, filt))
    for docnum, closeness in sem.items():
        if docnum not in base:
            base[docnum] = SEMANTIC_BASE * closeness
            scored.append(Scored(docnum, 0.0, 0.0, [], dates[docnum]))
    for s in scored:
        s.coverage += SEMANTIC_COVERAGE * sem.get(s.docnum, 0.0)
        s.score = base[s.docnum] * s.coverage**COV_EXP
    best = max(s.coverage for s in scored)
    # A post close to the query as a whole stays as related reading even when its words differ.
    kept = [s for s in scored if s.coverage >= best * KEEP_RATIO or sem.get(s.docnum, 0.0) >= SEMANTIC_KEEP]
    kept.sort(key=lambda s: (round(s.score, 3), s.ts), reverse=True)
    head = kept[:ABOUT_DEPTH]
    lexical_about = []
    for s in head:
        s.load(searcher)
        own_about = sum(w * e for w, e in zip(weights, about_each(s.fields, groups), strict=True)) / total
        lexical_about.append(own_about)
        s.about = min(1.0, own_about + SEMANTIC_ABOUT * sem.get(s.docnum, 0.0))
        mixed = (1 - ABOUT_MIX) * s.coverage + ABOUT_MIX * s.about
        s.score = base[s.docnum] * mixed**COV_EXP
    head.sort(key=lambda s: (round(s.score, 3), s.ts), reverse=True)
    kept[: len(head)] = head
    best_about = max(s.about for s in head[:WEAK_DEPTH])
    weak = max(lexical_about[:WEAK_DEPTH]) < WEAK_BELOW or missing_key_word(groups)
    top_score = head[0].score or 1.0
    strong = 0
    if not weak:
        for s in head:
            if s.score < top_score * STRONG_SCORE or s.about < STRONG_ABOUT * best_about:
                break
            strong += 1
    return Ranked(kept, weak=weak, strong=strong)


def _coverage_and_words(terms, decoded, owners, weights, total, member_grams, own_words, n_groups):
    """A candidate's coverage, the words to highlight (the query's own first) and how many are its own."""
    matched: dict[str, set[str]] = {}
    for fieldname, raw in terms:
        word = decoded.get(raw)
        if word is None:
            word = decoded[raw] = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        matched.setdefault(fieldname, set()).add(word)
    strength = owners.strengths(matched, n_groups)
    coverage = sum(w * s for w, s in zip(weights, strength, strict=True)) / total
    words = {w for f, ws in matched.items() if f != "bigrams" for w in ws}
    grams = matched.get("bigrams")
    if grams:
        words.update(m for m, wanted in member_grams if wanted and all(g in grams for g in wanted))
    # The query's own words first: a snippet shows them rather than an expansion's (see snippets)
    own = sorted((w for w in words if w in own_words), key=_longest_first)
    rest = sorted((w for w in words if w not in own_words), key=_longest_first)
    return coverage, own + rest, len(own)


_KINDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _documents_of_kind(searcher: WhooshSearcher, kind: str) -> frozenset[int]:
    """The documents whose kind is ``kind``, from the indexed field (the same value as the stored
    one, an ID field: reading each candidate's stored fields cost ~0.05 ms a candidate)."""
    per_reader = _KINDS.setdefault(searcher.reader(), {})
    found = per_reader.get(kind)
    if found is None:
        found = per_reader[kind] = frozenset(searcher.docs_for_query(wq.Term("kind", kind)))
    return found


def gather(searcher: WhooshSearcher, view: View, query: wq.Query, filt, exhaustive: bool = False) -> list[Match]:
    """The POOL best documents of ``query`` for ``view`` (Whoosh's order, scores and matched terms)."""
    if exhaustive:
        results = view.search(searcher, query, limit=POOL, filter=filt, terms=True)
        return [Match(hit.docnum, hit.score, hit.matched_terms()) for hit in results]
    return view.top(searcher, query, POOL, filt)


def _admits(searcher: WhooshSearcher, view: View, filt):
    """Whether a document the semantic channel proposes is one this search may show."""
    allowed = None if filt is None else set(searcher.docs_for_query(filt))
    return lambda docnum: view.admits(docnum) and (allowed is None or docnum in allowed)


_DATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _dates(searcher: WhooshSearcher) -> list[int]:
    """Every document's ``ts``, read once per reader (a column lookup per candidate was ~8% of a search)."""
    reader = searcher.reader()
    found = _DATES.get(reader)
    if found is None:
        found = _DATES[reader] = list(reader.column_reader("ts"))
    return found


def _longest_first(word: str) -> tuple[int, str]:
    """Longer words first, then by the word itself, so snippets do not vary with string hashing."""
    return -len(word), word
