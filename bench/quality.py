"""Search quality against hand-judged queries: top-3 hit rate, nDCG@5 and `weak` flags.

Every judged set in bench/eval names its corpus by its file-name prefix (``actionthinker*.yaml`` →
``../shared/corpus/actionthinker/_posts``). Each set was written by reading the posts, never the search
code. Figures print next to a baseline measured in the same run: a plain OR query over title^3,
tags^2 and body with the same tokenizer, which is what a straightforward prototype does.

Sets named ``*_blind.yaml`` are for acceptance only: their queries and misses are never printed.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from whoosh import query as wq

from config.settings import PROJECT_ROOT
from indexer.search import Searcher

EVAL_DIR = Path(__file__).parent / "eval"
SITES = {"actionthinker": "https://actionthinker.github.io", "cnfeat": "https://cnfeat.github.io"}
Run = Callable[[str], tuple[list[str], bool]]


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

    def to_json(self) -> dict:
        a = max(self.answerable, 1)
        return {
            "answerable": self.answerable,
            "top3": round(self.top3 / a, 4),
            "ndcg5": round(self.ndcg / a, 4),
            "unanswerable": self.unanswerable,
            "unanswerable_flagged": self.flagged_unanswerable,
            "answerable_flagged": round(self.flagged_answerable / a, 4),
        }


def is_blind(path: Path) -> bool:
    """Blind sets are judged by their aggregates only; nothing of their content is ever shown."""
    return path.stem.endswith("_blind")


def corpus_of(path: Path) -> str:
    """The corpus a judged set was written on: the file name up to the first underscore."""
    return path.stem.split("_", 1)[0]


def shared_dir() -> Path:
    """../shared beside the repository (CASELINK_SHARED overrides it, e.g. from a git worktree)."""
    return Path(os.environ.get("CASELINK_SHARED") or PROJECT_ROOT.parent / "shared")


def load_judgements(path: Path) -> list[dict]:
    """The judged queries: q, type, relevant {id: grade}."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 5) -> float:
    """Normalised discounted cumulative gain of ``ranked`` against graded judgements."""
    gains = [(2 ** relevant.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k])]
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return sum(gains) / best if best else 0.0


def evaluate(name: str, judged: list[dict], run: Run) -> Scores:
    """Score ``run(query) -> (ids, weak)`` on the judged queries."""
    scores = Scores(name)
    for item in judged:
        ids, weak = run(item["q"])
        relevant = {str(k): int(v) for k, v in (item.get("relevant") or {}).items()}
        if not relevant:
            scores.unanswerable += 1
            scores.flagged_unanswerable += bool(weak or not ids)
            if not (weak or not ids):
                scores.misses.append(f"[unanswerable, not flagged] {item['q']} → {ids[:3]}")
            continue
        scores.answerable += 1
        wanted = [d for d, g in relevant.items() if g == 3]
        if any(d in ids[:3] for d in wanted):
            scores.top3 += 1
        else:
            scores.misses.append(f"{item['q']} → {ids[:3]}")
        scores.ndcg += ndcg_at(ids, relevant)
        if weak or not ids:
            scores.flagged_answerable += 1
            scores.misses.append(f"[answerable, flagged weak] {item['q']}")
    return scores


def caselink_run(searcher: Searcher) -> Run:
    """Our search, as a client sees it."""

    def run(q: str):
        result = searcher.search(q, limit=5)
        return [h.id for h in result.hits], result.weak

    return run


def baseline_run(searcher: Searcher) -> Run:
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


def open_corpus(corpus: str, workdir: Path, corpus_root: Path | None = None) -> Searcher:
    """Build an index of ``../shared/corpus/<corpus>/_posts`` (or ``<corpus_root>/<corpus>``) and open it."""
    from config.settings import load_settings
    from indexer.build import rebuild
    from indexer.search import open_searcher

    folder = (corpus_root or shared_dir() / "corpus") / corpus
    posts = folder / "_posts" if (folder / "_posts").is_dir() else folder
    if not posts.is_dir():
        raise FileNotFoundError(f"{posts} is absent")
    settings = load_settings(
        {
            "INDEX_DIR": str(workdir / corpus),
            "CONTENT_DIR": str(posts),
            "SITE_URL": SITES.get(corpus, f"https://{corpus}.example"),
            "URLS_FILE": str(workdir / "none"),
        }
    )
    rebuild(settings)
    return open_searcher(settings.index_dir, cache_size=0)


def run_all(
    eval_dir: Path = EVAL_DIR, workdir: Path | None = None, corpus_root: Path | None = None, tuning: bool = False
) -> list[dict]:
    """Evaluate every judged set in ``eval_dir``; one index per corpus. Misses are dropped for blind sets.

    ``tuning``: only the sets one may tune on (neither ``*_blind`` nor ``*_heldout``).
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="caselink-quality-"))
    searchers: dict[str, Searcher] = {}
    out = []
    for path in sorted(eval_dir.glob("*.yaml")):
        if tuning and (is_blind(path) or path.stem.endswith("_heldout")):
            continue
        corpus = corpus_of(path)
        entry: dict = {"set": path.name, "corpus": corpus, "blind": is_blind(path)}
        try:
            if corpus not in searchers:
                searchers[corpus] = open_corpus(corpus, workdir, corpus_root)
        except FileNotFoundError as exc:
            entry["error"] = str(exc)
            out.append(entry)
            continue
        searcher = searchers[corpus]
        judged = load_judgements(path)
        base = evaluate("baseline", judged, baseline_run(searcher))
        ours = evaluate("caselink", judged, caselink_run(searcher))
        entry.update(queries=len(judged), baseline=base.to_json(), caselink=ours.to_json())
        if not entry["blind"]:
            entry["misses"] = {"baseline": base.misses, "caselink": ours.misses}
        out.append(entry)
    return out
