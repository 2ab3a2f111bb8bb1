"""Meaning beyond the same words: rare query words also search their thesaurus neighbours, at a low
weight, and (when the generation learnt one) the query is compared with every post in a learnt space.

Users write 工资, 挣钱, 手机 where posts write 薪资, 收入, 移动电话. The general Chinese thesaurus
(`config/thesaurus.txt`, derived from the cnsyn package: see `indexer.thesaurus_import`) gives each word
its neighbours at ``THESAURUS_WEIGHT`` (``TermGroup.loose``), so a post that uses the query's own word
always outranks one that only uses a neighbour; only words that find little are widened, and only with
neighbours some document contains. Neighbours never make a word "covered": a key word no document holds
keeps the answer `weak` however many neighbours matched (`indexer.about.missing_key_word` reads the
close ``df``). The learnt channel (`indexer.associations`, off unless SEMANTIC_CHANNEL=1) scores how
close each post is to the query as a whole. Nothing here reads documents: every candidate still goes
through the audience's view.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

import numpy as np
from whoosh.searching import Searcher as WhooshSearcher

from indexer import termstats
from indexer.associations import SemanticModel
from indexer.query import ParsedQuery
from indexer.schema import FIELD_BOOSTS

log = logging.getLogger(__name__)

THESAURUS_FILE = "thesaurus.txt"
THESAURUS_WEIGHT = 0.35  # a thesaurus neighbour counts about a third of the word itself
LARGE_GROUP, LARGE_GROUP_FACTOR = 8, 0.7  # big groups are looser (lists of kinds, not synonyms)
MAX_LOOSE = 4  # neighbours per query word: each adds a term to search in every field
# Only a word that finds little is widened: fewer documents than this share of the index (or than
# LOOSE_MIN_DF) hold it. A common word needs no help, and its neighbours would cost search time.
LOOSE_BELOW_SHARE, LOOSE_MIN_DF = 0.02, 5
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")


def doc_frequency(searcher: WhooshSearcher, member: str) -> int:
    """Documents holding ``member`` (its first word, for several words) in any search field."""
    first = member.split()[:1]
    return max((termstats.doc_frequency(searcher, f, t) for f in FIELD_BOOSTS for t in first), default=0)


class Thesaurus:
    """Word → neighbours with their weight, from one group-a-line file.

    A word's neighbours are worked out when it is first asked for: a process reads the file at start
    and a search asks for a handful of words, while working out all 47,680 took 0.4 of a searcher's
    1.1 s cold start."""

    def __init__(self, groups: list[tuple[str, ...]]):
        self._groups = groups
        self._groups_of: dict[str, list[int]] = {}
        for number, members in enumerate(groups):
            for word in members:
                self._groups_of.setdefault(word, []).append(number)
        self._found: dict[str, tuple[tuple[str, float], ...]] = {}

    def __len__(self) -> int:
        return len(self._groups_of)

    def of(self, word: str) -> tuple[tuple[str, float], ...]:
        """The union of the word's groups (smallest groups first), each neighbour with its closeness:
        1, or LARGE_GROUP_FACTOR from a large group (× THESAURUS_WEIGHT in a query)."""
        found = self._found.get(word)
        if found is None:
            known: dict[str, float] = {}
            for number in self._groups_of.get(word, ()):
                members = self._groups[number]
                w = 1.0 if len(members) <= LARGE_GROUP else LARGE_GROUP_FACTOR
                for other in members:
                    if other != word and known.get(other, 0.0) < w:
                        known[other] = w
            found = self._found[word] = tuple(sorted(known.items(), key=lambda x: -x[1]))
        return found


def parse_thesaurus(lines: list[str]) -> Thesaurus:
    """Groups of space-separated words (a line with fewer than two is no group)."""
    return Thesaurus([tuple(members) for members in (line.split() for line in lines) if len(members) >= 2])


_cache: dict[Path, tuple[tuple, Thesaurus]] = {}
_lock = threading.Lock()
EMPTY = Thesaurus([])


def load_thesaurus(config_dir: Path) -> Thesaurus:
    """The thesaurus of ``config_dir`` (empty when the file is absent); re-read when the file changes."""
    path = Path(config_dir) / THESAURUS_FILE
    try:
        st = os.stat(path)
    except OSError:
        return EMPTY
    sig = (st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == sig:
        return cached[1]
    with _lock:
        cached = _cache.get(path)
        if cached is None or cached[0] != sig:
            lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
            cached = (sig, parse_thesaurus(lines))
            _cache[path] = cached
            log.info("thesaurus %s: %d words", path, len(cached[1]))
        return cached[1]


def expand(searcher: WhooshSearcher, parsed: ParsedQuery, thesaurus: Thesaurus, stopwords: frozenset[str]) -> None:
    """Attach to each content word its loose neighbours that some document contains (``TermGroup.loose``)."""
    little = max(LOOSE_MIN_DF, LOOSE_BELOW_SHARE * searcher.doc_count_all())
    for group in parsed.content_groups:
        if not _CJK_WORD.match(group.word) or group.df >= little:
            continue
        known = set(group.members)
        loose: list[tuple[str, float]] = []
        for term, closeness in thesaurus.of(group.word):
            if len(loose) >= MAX_LOOSE or THESAURUS_WEIGHT <= 0:
                break
            if term in known or term in stopwords:
                continue
            if doc_frequency(searcher, term):
                loose.append((term, round(THESAURUS_WEIGHT * closeness, 3)))
                known.add(term)
        group.loose = tuple(loose)


# -- the corpus's own associations ---------------------------------------------------------------
SEMANTIC_FLOOR = 0.2  # a document this close to the query in the learnt space starts to count
SEMANTIC_EXTRA = 10  # documents the semantic channel adds to the lexical candidates


def semantic_scores(model: SemanticModel | None, groups: list, candidates: list[int], admits) -> dict[int, float]:
    """How close each candidate (and the closest other documents ``admits`` lets through) is to the
    query in the learnt space, rescaled so SEMANTIC_FLOOR → 0 and 1 → 1."""
    if model is None:
        return {}
    words = [(m, f) for g in groups for m, f in g.weighted() if (m, f) not in g.loose]
    query = model.query_vector(words)
    if query is None:
        return {}
    sims = model.docs @ query
    n = len(sims)
    out = {d: _rescale(float(sims[d])) for d in candidates if d < n}
    if SEMANTIC_EXTRA:
        for d in np.argpartition(-sims, min(SEMANTIC_EXTRA * 3, n - 1))[: SEMANTIC_EXTRA * 3]:
            d = int(d)
            if len(out) >= len(candidates) + SEMANTIC_EXTRA:
                break
            if d not in out and sims[d] > SEMANTIC_FLOOR and admits(d):
                out[d] = _rescale(float(sims[d]))
    return {d: s for d, s in out.items() if s > 0}


def _rescale(sim: float) -> float:
    return max(0.0, (sim - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR))
