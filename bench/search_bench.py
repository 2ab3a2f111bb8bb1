"""`make bench`: build speed, index size and search latency with snippets, against same-run baselines.

Two baselines, both on the same index in the same run:
- the exhaustive path: our own search with its candidates scored by Whoosh posting by posting
  (``open_searcher(exhaustive=True)``, what ran before ``indexer.topk``): same results, so the ratio
  is what scoring a posting list at a time saves. Passes of the two alternate (ours, exhaustive,
  ours, …) so a load change on the shared machine hits both; wall-clock and CPU time are both given.
- the prototype: a plain Whoosh OR query (title^3, tags^2, body), highlighted with Whoosh's own
  highlighter (it re-tokenises each hit).
Latencies are medians of REPEATS passes over a fixed list of 200 queries.
"""

from __future__ import annotations

import os
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
    build_s: float | None  # None: an index of an earlier run was reused
    size_mb: float
    ours: tuple[float, float, float]
    base: tuple[float, float, float]
    exhaustive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    ours_cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)
    exhaustive_cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after the timing
    first: tuple[float, float, float] = (0.0, 0.0, 0.0)  # a new searcher's one pass, each query once
    first_cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)

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


def _one_pass(fn, queries: list[str]) -> tuple[tuple, tuple]:
    """Wall and CPU percentiles of one pass over ``queries``."""
    wall, cpu = [], []
    for q in queries:
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn(q)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return percentiles(wall), percentiles(cpu)


def _time_pair(ours, theirs, queries: list[str]) -> tuple[tuple, tuple, tuple, tuple]:
    """Wall and CPU percentiles of two searches, passes interleaved; medians over REPEATS passes each."""
    runs: dict[str, list] = {"ours": [], "ours_cpu": [], "theirs": [], "theirs_cpu": []}
    for _ in range(REPEATS):
        for name, fn in (("ours", ours), ("theirs", theirs)):
            wall, cpu = _one_pass(fn, queries)
            runs[name].append(wall)
            runs[name + "_cpu"].append(cpu)
    med = {k: tuple(statistics.median(r[i] for r in v) for i in range(3)) for k, v in runs.items()}
    return med["ours"], med["theirs"], med["ours_cpu"], med["theirs_cpu"]


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


def measure(
    name: str,
    content: Path,
    workdir: Path,
    site: str = "https://bench.example",
    reuse: bool = False,
    prototype: bool = True,
) -> Figures:
    settings = load_settings(
        {
            "INDEX_DIR": str(workdir / name),
            "CONTENT_DIR": str(content),
            "SITE_URL": site,
            "URLS_FILE": str(workdir / "none.txt"),
        }
    )
    build_s = None
    if not (reuse and (settings.index_dir / "CURRENT").exists()):
        start = time.perf_counter()
        rebuild(settings)
        build_s = time.perf_counter() - start
    queries = make_queries()
    # A new searcher asked each query once: nothing it keeps per segment (term records, decoded posting
    # lists) helps yet. The passes timed below repeat the list, as a server's common words repeat.
    fresh = open_searcher(settings.index_dir, cache_size=0)
    first, first_cpu = _one_pass(lambda q: fresh.search(q, limit=5), queries)
    fresh.close()
    searcher = open_searcher(settings.index_dir, cache_size=0)  # time the search, not the result cache
    exhaustive = open_searcher(settings.index_dir, cache_size=0, exhaustive=True)
    stats = searcher.stats()
    load_before = os.getloadavg()[0]
    ours, theirs, ours_cpu, theirs_cpu = _time_pair(
        lambda q: searcher.search(q, limit=5), lambda q: exhaustive.search(q, limit=5), queries
    )
    load = (load_before, os.getloadavg()[0])
    base = _time(baseline_search(searcher), queries) if prototype else (0.0, 0.0, 0.0)
    return Figures(
        name,
        stats["documents"],
        build_s,
        stats["size_bytes"] / 1e6,
        ours,
        base,
        theirs,
        ours_cpu,
        theirs_cpu,
        load,
        first,
        first_cpu,
    )


def corpora(sizes: list[int], workdir: Path) -> list[tuple[str, Path]]:
    found = [("sample", PROJECT_ROOT / "content")]
    cnfeat = PROJECT_ROOT.parent / "shared" / "corpus" / "cnfeat" / "_posts"
    if cnfeat.is_dir():
        found.append(("cnfeat", cnfeat))
    for n in sizes:
        found.append((f"gen-{n}", write_corpus(workdir / f"corpus-{n}", n)))
    return found


def _ms(t: tuple[float, float, float]) -> str:
    return f"{t[0]:.1f} / {t[1]:.1f} / {t[2]:.1f}"


def _ratio(a: tuple, b: tuple) -> str:
    return " / ".join(f"{x / y:.2f}" if y else " nan" for x, y in zip(a, b, strict=True))


def run(
    sizes: list[int], workdir: Path | None = None, echo=print, reuse: bool = False, prototype: bool = True
) -> list[Figures]:
    """Measure every corpus and print the tables; returns the figures."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="caselink-bench-"))
    figures = []
    for name, content in corpora(sizes, workdir):
        figures.append(measure(name, content, workdir, reuse=reuse, prototype=prototype))
    echo(
        f"{'corpus':<10}{'docs':>7}{'build s':>9}{'docs/s':>8}{'MB':>7}   ours p50/p95/p99 ms   "
        f"prototype p50/p95/p99 ms  p99 ratio"
    )
    for f in figures:
        ratio = f.ours[2] / f.base[2] if f.base[2] else float("nan")
        build = f"{f.build_s:9.1f}{f.docs_per_s:8.0f}" if f.build_s else f"{'reused':>9}{'':>8}"
        echo(f"{f.name:<10}{f.documents:>7}{build}{f.size_mb:>7.1f}   {_ms(f.ours):<22}{_ms(f.base):<26}{ratio:.2f}")
    echo("")
    echo("candidates scored a posting list at a time (ours) vs posting by posting (exhaustive), same run, interleaved")
    echo(
        f"{'corpus':<10}{'wall: ours':>22}{'exhaustive':>22}{'ours/exh.':>20}   "
        f"{'CPU: ours':>22}{'exhaustive':>22}{'ours/exh.':>20}   load 1m"
    )
    for f in figures:
        echo(
            f"{f.name:<10}{_ms(f.ours):>22}{_ms(f.exhaustive):>22}{_ratio(f.ours, f.exhaustive):>20}   "
            f"{_ms(f.ours_cpu):>22}{_ms(f.exhaustive_cpu):>22}{_ratio(f.ours_cpu, f.exhaustive_cpu):>20}   "
            f"{f.load[0]:.1f}→{f.load[1]:.1f}"
        )
    echo("")
    echo("ours, a new searcher's first pass (each query once, nothing kept yet) vs the passes above")
    echo(f"{'corpus':<10}{'wall: first pass':>22}{'CPU: first pass':>22}{'p99 first/passes':>20}")
    for f in figures:
        ratio = f.first[2] / f.ours[2] if f.ours[2] else float("nan")
        echo(f"{f.name:<10}{_ms(f.first):>22}{_ms(f.first_cpu):>22}{ratio:>20.2f}")
    return figures
