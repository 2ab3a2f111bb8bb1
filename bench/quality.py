"""Search quality against hand-judged queries: top-3 hit rate, nDCG@5 and `weak` flags.

The judged set (bench/eval/actionthinker.yaml) was written by reading the posts, never the search
code. Figures print next to a baseline measured in the same run: a plain OR query over
title^3, tags^2 and body with the same tokenizer, which is what a straightforward prototype does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from whoosh import query as wq

from indexer.search import Searcher

EVAL_DIR = Path(__file__).parent / "eval"


@dataclass
class Scores:
    name: str
    answerable: int = 0
    top3: int = 0
    ndcg: float = 0.0
    unanswerable: int = 0
    flagged_unanswerable: int = 0
    flagged_answerable: int = 0
    misses: list[str] = field(default_factory=list)

    def line(self) -> str:
        a = max(self.answerable, 1)
        return (
            f"{self.name:<10} top-3 {self.top3 / a:6.1%}  nDCG@5 {self.ndcg / a:.3f}  "
            f"unanswerable flagged {self.flagged_unanswerable}/{self.unanswerable}  "
            f"answerable flagged {self.flagged_answerable / a:5.1%}"
        )


def load_judgements(path: Path) -> list[dict]:
    """The judged queries: q, type, relevant {id: grade}."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 5) -> float:
    """Normalised discounted cumulative gain of ``ranked`` against graded judgements."""
    gains = [(2 ** relevant.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k])]
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return sum(gains) / best if best else 0.0


def evaluate(name: str, judged: list[dict], run) -> Scores:
    """Score ``run(query) -> (ids, weak)`` on the judged queries."""
    scores = Scores(name)
    for item in judged:
        ids, weak = run(item["q"])
        relevant = {str(k): int(v) for k, v in (item.get("relevant") or {}).items()}
        if not relevant:
            scores.unanswerable += 1
            scores.flagged_unanswerable += bool(weak or not ids)
            continue
        scores.answerable += 1
        wanted = [d for d, g in relevant.items() if g == 3]
        if any(d in ids[:3] for d in wanted):
            scores.top3 += 1
        else:
            scores.misses.append(f"{item['q']} → {ids[:3]}")
        scores.ndcg += ndcg_at(ids, relevant)
        scores.flagged_answerable += bool(weak or not ids)
    return scores


def caselink_run(searcher: Searcher):
    """Our search, as a client sees it."""

    def run(q: str):
        result = searcher.search(q, limit=5)
        return [h.id for h in result.hits], result.weak

    return run


def baseline_run(searcher: Searcher):
    """A plain OR over title^3, tags^2, body with our tokenizer: the prototype to beat."""
    from indexer.segment import get_segmenter
    from indexer.text import fold

    def run(q: str):
        words = get_segmenter().words(fold(q))
        if not words:
            return [], False
        _, whoosh_searcher = searcher._whoosh()
        boosts = {"title": 3.0, "tags_text": 2.0, "body": 1.0}
        query = wq.Or([wq.Term(f, w, boost=b) for w in words for f, b in boosts.items()])
        return [h["id"] for h in whoosh_searcher.search(query, limit=5)], False

    return run
