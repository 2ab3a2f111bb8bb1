"""Which sentences carry a document: sentence-level TextRank over the segmented text.

Each sentence is a node; two sentences are linked by how many words they share, normalised by
their lengths (Mihalcea & Tarau 2004, "TextRank", section 4.1). PageRank over that graph finds the
sentences the rest of the text agrees with. On top of it, deterministic preferences: words of the
title, an early position, and — for cases — figures and results, which are what a client asks for.
Words come from the index's own segmenter (``indexer.segment``), so the user dictionary that keeps
小程序 or 双微一抖 whole applies here too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from creative.text import Sentence

DAMPING = 0.85
ITERATIONS = 40
MAX_NODES = 300  # long posts: the first 300 sentences are plenty to rank
# Sentences that lean on the one before read badly alone.
_LEANING = re.compile(
    r"^(?:所以|但是|但|而且|而|因此|因为|这些|这个|这样|这种|那么|然后|同时|另外|此外|其中|它|他们|她们|于是|不过|可是)"
)
_RESULTS = re.compile(
    r"提升|增长|下降|降低|达到|翻倍|占|转化|复购|销量|播放|阅读|粉丝|会员|线索|成本|营收|订单|ROI|GMV", re.I
)
_QUESTION = re.compile(r"[?？]")
_DIGIT = re.compile(r"\d")
_NOUNS = frozenset({"n", "nz", "nt", "nr", "ns", "vn", "eng"})
# Nouns too general to be a tag.
_GENERIC = frozenset(
    {"问题", "时候", "东西", "事情", "方面", "情况", "时间", "内容", "方式", "方法", "部分"}
    | {"过程", "结果", "地方", "关键", "原因", "时代", "人们", "事实"}
)


def words(text: str) -> set[str]:
    """The content words of ``text`` (the index's segmenter, stop words and single characters dropped)."""
    from indexer import fold, get_segmenter

    segmenter = get_segmenter()
    stop = segmenter.resources.index_stopwords
    return {w for w in segmenter.words(fold(text)) if w not in stop and (len(w) > 1 or w.isdigit())}


def textrank(bags: Sequence[set[str]]) -> list[float]:
    """PageRank scores of sentences linked by shared words (one bag of words per sentence)."""
    n = len(bags)
    if n == 0:
        return []
    logs = [math.log(len(b) + 1) for b in bags]
    links: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            shared = len(bags[i] & bags[j])
            if shared and logs[i] + logs[j] > 0:
                weight = shared / (logs[i] + logs[j])
                links[i].append((j, weight))
                links[j].append((i, weight))
    out_weight = [sum(w for _, w in edges) for edges in links]
    scores = [1.0] * n
    for _ in range(ITERATIONS):
        scores = [
            (1 - DAMPING) + DAMPING * sum(scores[j] * w / out_weight[j] for j, w in links[i] if out_weight[j])
            for i in range(n)
        ]
    return scores


def rank(sentences: Sequence[Sentence], title: str, *, case: bool) -> list[Sentence]:
    """``sentences`` best first: TextRank, weighted by title words, position and (for cases) figures."""
    nodes = list(sentences[:MAX_NODES])
    bags = [words(s.text) for s in nodes]
    scores = textrank(bags)
    title_words = words(title)
    weighted = []
    for s, bag, score in zip(nodes, bags, scores, strict=True):
        weight = 1.0 + 0.4 * len(bag & title_words) / (len(title_words) or 1)
        weight *= 1.0 + 0.3 / (1 + s.position)  # the opening usually states the point
        if s.has_figure:
            weight *= 1.6 if case else 1.15
        if case and _RESULTS.search(s.text):
            weight *= 1.3
        if _LEANING.match(s.text):
            weight *= 0.55
        if _QUESTION.search(s.text):
            weight *= 0.8  # a question is a hook, not a fact
        weighted.append((-score * weight, s.position, s))
    return [s for _, _, s in sorted(weighted, key=lambda item: item[:2])]


def keywords(text: str, title: str, limit: int) -> list[str]:
    """Nouns that recur in ``text`` (title words count double), as written, for tags a document lacks."""
    from indexer import fold, get_segmenter

    segmenter = get_segmenter()
    stop = segmenter.resources.index_stopwords
    counts: Counter[str] = Counter()
    for part, weight in ((title, 2), (text, 1)):
        for word, flag in segmenter.tag(part):
            word = word.strip()
            if flag not in _NOUNS or len(word) < 2 or _DIGIT.search(word):
                continue
            if fold(word) not in stop and word not in _GENERIC:
                counts[word] += weight
    ranked = sorted(((w, c) for w, c in counts.items() if c >= 2), key=lambda wc: (-wc[1], wc[0]))
    return [w for w, _ in ranked[:limit]]
