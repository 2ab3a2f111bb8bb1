"""Turn what a user typed into weighted term groups; no query syntax is ever parsed.

Users type colloquial questions ("有没有讲个人品牌的文章"), not Whoosh syntax, so characters such as
AND, *, ", ( are plain text here: nothing a user types can raise a parse error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.resources import Resources
from indexer.segment import Segmenter
from indexer.text import normalize_query

MAX_QUERY_CHARS = 200  # a pasted essay is cut: the first sentences carry the intent
MAX_TERMS = 24
KIND_WORDS = {"案例": "case", "案子": "case", "文章": "article", "博文": "article"}
KIND_WORD_WEIGHT = 0.3  # a kind word still matches titles like "…案例复盘", but only a little
SYNONYM_FACTOR = 0.8  # a synonym counts a little less than the word itself
_TAG = re.compile(r"#([^\s#]+)")


@dataclass
class TermGroup:
    """One query word and its synonyms; coverage of a query is measured per group."""

    word: str
    synonyms: tuple[str, ...] = ()
    weight: float = 1.0
    kind_word: bool = False
    df: int = 0  # filled in by the searcher: documents containing the word or one of its expansions
    own_df: int = 0  # … containing the word itself
    partial: int = 0  # not a word of the index, but its characters are there (inside longer words)
    known: bool = True  # jieba's dictionary has the word (False: a word its HMM guessed)
    corrected_from: str | None = None
    related: tuple[tuple[str, float], ...] = ()  # concepts and other expansions, with their weight
    # Loose neighbours (general thesaurus, the corpus's own associations: indexer.meaning), with how
    # close each is; they widen recall but never vouch for a word the corpus lacks (see about.py).
    loose: tuple[tuple[str, float], ...] = ()

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(m for m, _ in self.weighted())

    def weighted(self) -> list[tuple[str, float]]:
        """The word, its synonyms and its related terms, each with how much a match counts (once each)."""
        out: dict[str, float] = {self.word: 1.0}
        for syn in self.synonyms:
            out.setdefault(syn, SYNONYM_FACTOR)
        for term, weight in self.related:
            out.setdefault(term, weight)
        for term, weight in self.loose:
            out.setdefault(term, weight)
        return list(out.items())

    @property
    def close_members(self) -> tuple[str, ...]:
        """The word, its synonyms and concepts: what may stand in for the word (no loose neighbours)."""
        loose = {t for t, _ in self.loose}
        return tuple(m for m in self.members if m == self.word or m not in loose)


@dataclass
class ParsedQuery:
    """A normalised query: term groups plus the kind and tag it asks for."""

    text: str
    groups: list[TermGroup] = field(default_factory=list)
    kind_hint: str | None = None
    tags: list[str] = field(default_factory=list)
    corrected: str | None = None  # the text after the vocabulary's corrections, when they changed it

    @property
    def content_groups(self) -> list[TermGroup]:
        """Groups that say what the user is looking for (kind words excluded)."""
        return [g for g in self.groups if not g.kind_word]


def parse_query(raw: str, segmenter: Segmenter, resources: Resources) -> ParsedQuery:
    """Normalise, correct known slips, segment (jieba default mode), drop filler words, attach expansions.

    Known phrases of several words ("social media") become one group, matched as a phrase.
    """
    text = normalize_query(raw or "")[:MAX_QUERY_CHARS]
    fixed = resources.concepts.correct(text)
    parsed = ParsedQuery(text=fixed, corrected=fixed if fixed != text else None)
    parsed.tags = [t.strip(",.;:!?") for t in _TAG.findall(fixed) if t.strip(",.;:!?")]
    rest = _TAG.sub(" ", fixed)
    seen: set[str] = set()
    for phrase in resources.phrases:
        if phrase in rest:
            rest = rest.replace(phrase, " ")
            seen.add(phrase)
            parsed.groups.append(_group(phrase, resources, known=True))
    for word in segmenter.words(rest):
        if word in seen or len(parsed.groups) >= MAX_TERMS:
            continue
        seen.add(word)
        if word in KIND_WORDS:
            parsed.kind_hint = parsed.kind_hint or KIND_WORDS[word]
            parsed.groups.append(TermGroup(word, weight=KIND_WORD_WEIGHT, kind_word=True))
            continue
        if word in resources.query_stopwords or not any(ch.isalnum() for ch in word):
            continue
        parsed.groups.append(_group(word, resources, known=segmenter.has_word(word)))
    return parsed


def _group(word: str, resources: Resources, known: bool) -> TermGroup:
    return TermGroup(word, synonyms=resources.synonyms_of(word), known=known, related=resources.related_of(word))
