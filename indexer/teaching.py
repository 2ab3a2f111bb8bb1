"""The search side of what admins teach the bot: query keys, rewrites, pins and lifts.

Rules are made by people (``bot.teaching``) and kept in Redis; the index only sees their effect
through ``Searcher.search(..., expansions=, pinned=, lifted=)``:

- a rule is matched on the query's *key*: its content words after the normalisation, segmentation
  and filler removal the search itself applies, so ``抖音运营？`` and ``有没有抖音运营的文章`` meet the
  rule made for ``抖音运营``;
- a rewrite ("searching 抖音运营 also searches 双微一抖") is an *expansion*: the other query is searched
  too, with the same audience and filters, and its hits join the list a little below equal hits of
  the query itself;
- pinned documents go first, in the given order, but only those the audience may see and the
  filters admit: a pin can never show a client an internal document;
- lifted documents (picked often for this query) have their scores multiplied.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from indexer.audience import View
from indexer.live import Candidates
from indexer.query import parse_query
from indexer.ranking import Scored
from indexer.segment import get_segmenter

EXPANSION_FACTOR = 0.8  # a hit found only through a rewrite ranks a little below an equal direct hit
MAX_EXPANSIONS = 5
MAX_PINNED = 10

PINNED, REWRITE, LIFTED = "pinned", "rewrite", "lifted"


def query_words(text: str) -> tuple[str, ...]:
    """The content words of a query as the search sees them (no filler, kind words or #tags)."""
    return _words(text, get_segmenter().resources.digest)


@functools.lru_cache(maxsize=8192)  # every rule is keyed again when the rules change: keep that cheap
def _words(text: str, digest: str) -> tuple[str, ...]:
    segmenter = get_segmenter()
    parsed = parse_query(text, segmenter, segmenter.resources)
    return tuple(group.word for group in parsed.content_groups)


def query_key(text: str) -> str:
    """The key rules are stored and matched under: the content words joined by spaces."""
    return " ".join(query_words(text))


def rewrite(words: Sequence[str], source: Sequence[str], target: str) -> str | None:
    """The query a rewrite of ``source`` into ``target`` adds for a query of ``words``, or None.

    The rule applies when its words occur in the query in a row; they are replaced by the target,
    the rest of the query stays (``抖音 运营 方法`` with 抖音运营 → 双微一抖 searches ``双微一抖 方法``).
    """
    n = len(source)
    if not n:
        return None
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) == tuple(source):
            return " ".join((*words[:i], target, *words[i + n :]))
    return None


def visible(
    searcher: WhooshSearcher, view: View, doc_ids: Sequence[str], filt, number_of: Callable[[str], int | None]
) -> list[int]:
    """Document numbers of ``doc_ids`` (in their order) that the audience's view and the filter admit."""
    numbers = {}
    for doc_id in list(dict.fromkeys(doc_ids))[:MAX_PINNED]:
        docnum = number_of(doc_id)
        if docnum is not None and view.admits(docnum):
            numbers[doc_id] = docnum
    if filt is not None and numbers:  # a kind or tag search: only pins of that kind or tag
        allowed = set(searcher.docs_for_query(wq.And([wq.Or([wq.Term("id", i) for i in numbers]), filt])))
        return [n for n in numbers.values() if n in allowed]
    return list(numbers.values())


def compose(
    number_of: Callable[[str], int | None],
    found: Candidates,
    extra: Sequence[Candidates],
    pinned: Sequence[int],
    lifted: Mapping[str, float],
) -> tuple[Candidates, dict[int, tuple[str, float]]]:
    """Merge the query's candidates with its expansions', apply lifts, put pins first.

    Returns new candidates (the cached ones are never changed) and, by document number, the score
    each hit ranked by and why a rule moved it (``pinned`` / ``rewrite`` / ``lifted``, or "").
    """
    best: dict[int, tuple[float, Scored]] = {s.docnum: (s.score, s) for s in found.ranked}
    reasons: dict[int, str] = {}
    for more in extra:
        for s in more.ranked:
            score = s.score * EXPANSION_FACTOR
            if s.docnum not in best:
                reasons[s.docnum] = REWRITE
            elif score <= best[s.docnum][0]:
                continue
            elif s.docnum not in reasons:  # found by the query itself: keep its own highlights
                s = best[s.docnum][1]
            best[s.docnum] = (score, s)
    for doc_id, factor in lifted.items():
        docnum = number_of(doc_id)
        if docnum in best and factor > 1.0:
            score, s = best[docnum]
            best[docnum] = (score * factor, s)
            reasons.setdefault(docnum, LIFTED)
    order = sorted(best.values(), key=lambda item: (round(item[0], 3), item[1].ts), reverse=True)
    ranked = [s for _, s in order if s.docnum not in pinned]
    pins = [best[n][1] if n in best else Scored(n, 0.0, 0.0) for n in pinned]
    reasons.update(dict.fromkeys(pinned, PINNED))
    parts = [c for c in (found, *extra) if c.ranked]
    composed = Candidates(
        total=len(pins) + len(ranked),
        weak=not pins and bool(parts) and all(c.weak for c in parts),
        strong=min(len(pins) + max(c.strong for c in (found, *extra)), len(pins) + len(ranked)),
        ranked=pins + ranked,
        corrected=found.corrected,
        related_tags=list(found.related_tags) if not (pins or ranked) else [],
    )
    scores = {n: best[n][0] if n in best else 0.0 for n in {s.docnum for s in composed.ranked}}
    return composed, {n: (reasons.get(n, ""), score) for n, score in scores.items()}
