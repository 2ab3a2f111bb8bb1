"""Aboutness: whether a post is *about* the query's words, read from its stored text.

A post is about a word when it names it in its title, tags or summary, in its opening lines, or
keeps coming back to it in the body; a word said once in passing, or negated ("我们不做私域流量"),
does not make a post about it. Words are found by substring, so a query word that is part of a
longer word of the post (私域 in 私域流量池) counts too.
"""

from __future__ import annotations

import functools
import re

from indexer.query import TermGroup
from indexer.segment import get_segmenter

LEAD_CHARS, LEAD_STRENGTH = 200, 0.8  # the opening lines say what a post is about
BODY_STRENGTH = (0.0, 0.45, 0.7, 0.85)  # a word said once, twice, three or more times in the body
# A mention right after one of these is the post saying it does *not* do or is not the thing.
NEGATIONS = (
    "不做",
    "不搞",
    "不是",
    "没有",
    "没做",
    "不要",
    "别做",
    "不需要",
    "并非",
    "而非",
    "不用",
    "无需",
    "不碰",
    "拒绝",
)
NEGATION_WINDOW = 4
_ASCII_WORD = re.compile(r"^[a-z0-9][a-z0-9.+#-]*$")
MAX_COUNTED = 3


def _mentions(text: str, word: str) -> int:
    """Occurrences of ``word`` in ``text`` that are not negated (up to MAX_COUNTED)."""
    count, start = 0, text.find(word)
    while start != -1 and count < MAX_COUNTED:
        before = text[max(0, start - NEGATION_WINDOW) : start]
        if not any(n in before for n in NEGATIONS):
            count += 1
        start = text.find(word, start + len(word))
    return count


def about(fields: dict, groups: list[TermGroup], weights: list[float]) -> float:
    """IDF-weighted sum over the query's groups of how much the document is about each (0–1 each)."""
    return sum(w * s for w, s in zip(weights, about_each(fields, groups), strict=True))


def about_each(fields: dict, groups: list[TermGroup]) -> list[float]:
    """How much the document is about each of the query's groups (0–1 each)."""
    head = " ".join(
        (fields.get("title") or "", " ".join(fields.get("tags") or ()), fields.get("summary") or "")
    ).lower()
    body = (fields.get("body") or "").lower()
    lead = body[:LEAD_CHARS]
    out = []
    for group in groups:
        best = 0.0
        for member, factor in group.weighted():
            if factor <= best:
                continue
            if _mentions(head, member):
                best = factor
            elif _mentions(lead, member):
                best = max(best, factor * LEAD_STRENGTH)
            else:
                best = max(best, factor * BODY_STRENGTH[_mentions(body, member)])
        out.append(best)
    return out


def is_key_word(group: TermGroup) -> bool:
    """A content word whose absence from every document means the corpus lacks the topic:
    a dictionary word, or a Latin acronym/name (CDP, Obsidian); not a string jieba only guessed at,
    and not an adverb, set phrase or other word that says how rather than what (趁早, 百度搜)."""
    if group.kind_word:
        return False
    if _ASCII_WORD.match(group.word):
        return len(group.word) >= 2 and any(c.isalpha() for c in group.word)
    return group.known and len(group.word) >= 2 and _names_a_topic(group.word)


# jieba's part-of-speech tags of words that do not name a topic: adverbs, set phrases (often a
# query's words run together: 百度搜), conjunctions, prepositions, pronouns, particles, numbers,
# measure words, adjectives, onomatopoeia, directions, status words.
NOT_TOPICS = frozenset({"d", "l", "c", "p", "r", "u", "m", "q", "y", "e", "o", "f", "z", "a", "ad", "ag", "dg"})


@functools.lru_cache(maxsize=4096)
def _names_a_topic(word: str) -> bool:
    tags = get_segmenter().tag(word)
    return not (len(tags) == 1 and tags[0][1] in NOT_TOPICS)


def missing_key_word(groups: list[TermGroup]) -> bool:
    """Whether a key word of the query is in no document, and nothing (synonym, concept, a longer
    word holding it, a correction) stood in for it. Loose neighbours (thesaurus, learnt
    associations) never do: an answer found only through them is related reading, not a match."""
    return any(is_key_word(g) and not g.df and not g.partial for g in groups)
