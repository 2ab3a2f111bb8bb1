"""`make bench`: build speed, index size and search latency with snippets, against a same-run baseline.

The baseline is what a straightforward prototype does: a plain Whoosh OR query (title^3, tags^2,
body) over the same index, highlighted with Whoosh's own highlighter (it re-tokenises each hit).
Latencies are medians of REPEATS passes over a fixed list of 200 queries.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from whoosh import highlight
from whoosh import query as wq

from bench.corpus import make_queries, write_corpus
from config.settings import PROJECT_ROOT, load_settings
from indexer.build import rebuild
from indexer.search import open_searcher
from indexer.segment import get_segmenter
from indexer.text import fold

REPEATS = 3


@dataclass
class Figures:
    name: str
    documents: int
    build_s: float
    size_mb: float
    ours: tuple[float, float, float]
    base: tuple[float, float, float]

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.build_s if self.build_s else 0.0


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return pick(0.50), pick(0.95), pick(0.99)


def _time(fn, queries: list[str]) -> tuple[float, float, float]:
    runs = []
    for _ in range(REPEATS):
        lat = []
        for q in queries:
            start = time.perf_counter()
            fn(q)
            lat.append((time.perf_counter() - start) * 1000)
        runs.append(percentiles(lat))
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))


def baseline_search(searcher):
    """A plain OR over title^3/tags^2/body with Whoosh highlights: the prototype to compare with."""
    from jieba.analyse import ChineseAnalyzer

    _, ws = searcher._whoosh()
    analyzer, fragmenter, formatter = ChineseAnalyzer(), highlight.ContextFragmenter(), highlight.UppercaseFormatter()

    def run(q: str):
        words = get_segmenter().words(fold(q))
        if not words:
            return []
        boosts = {"title": 3.0, "tags_text": 2.0, "body": 1.0}
        results = ws.search(wq.Or([wq.Term(f, w, boost=b) for w in words for f, b in boosts.items()]), limit=5)
        # the prototype re-segments every hit's stored body to highlight it
        return [highlight.highlight(hit["body"], set(words), analyzer, fragmenter, formatter) for hit in results]

    return run


def measure(name: str, content: Path, workdir: Path, site: str = "https://bench.example") -> Figures:
    settings = load_settings(
        {
            "INDEX_DIR": str(workdir / name),
            "CONTENT_DIR": str(content),
            "SITE_URL": site,
            "URLS_FILE": str(workdir / "none.txt"),
        }
    )
    start = time.perf_counter()
    report = rebuild(settings)
    build_s = time.perf_counter() - start
    searcher = open_searcher(settings.index_dir, cache_size=0)  # time the search, not the result cache
    stats = searcher.stats()
    queries = make_queries()
    ours = _time(lambda q: searcher.search(q, limit=5), queries)
    base = _time(baseline_search(searcher), queries)
    return Figures(name, report.documents, build_s, stats["size_bytes"] / 1e6, ours, base)


def corpora(sizes: list[int], workdir: Path) -> list[tuple[str, Path]]:
    found = [("sample", PROJECT_ROOT / "content")]
    cnfeat = PROJECT_ROOT.parent / "shared" / "corpus" / "cnfeat" / "_posts"
    if cnfeat.is_dir():
        found.append(("cnfeat", cnfeat))
    for n in sizes:
        found.append((f"gen-{n}", write_corpus(workdir / f"corpus-{n}", n)))
    return found


def run(sizes: list[int], workdir: Path | None = None, echo=print) -> list[Figures]:
    """Measure every corpus and print one table; returns the figures."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="caselink-bench-"))
    echo(
        f"{'corpus':<10}{'docs':>7}{'build s':>9}{'docs/s':>8}{'MB':>7}   ours p50/p95/p99 ms   "
        f"baseline p50/p95/p99 ms   p99 ratio"
    )
    figures = []
    for name, content in corpora(sizes, workdir):
        f = measure(name, content, workdir)
        figures.append(f)
        ratio = f.ours[2] / f.base[2] if f.base[2] else float("nan")
        echo(
            f"{f.name:<10}{f.documents:>7}{f.build_s:>9.1f}{f.docs_per_s:>8.0f}{f.size_mb:>7.1f}   "
            f"{f.ours[0]:5.1f} /{f.ours[1]:5.1f} /{f.ours[2]:5.1f}      "
            f"{f.base[0]:5.1f} /{f.base[1]:5.1f} /{f.base[2]:5.1f}        {ratio:.2f}"
        )
    return figures
