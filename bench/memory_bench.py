"""`python -m bench memory`: what a searcher's private memory grows by as it serves searches, and why.

A gunicorn worker starts sharing nearly everything with its master and then grows with what it
keeps for itself. This opens the index in a fresh process (as a worker would, minus the web app),
serves the bench's fixed 200 searches three times and then ``distinct`` searches never seen before
(both lists made by the calling process: generating them is not counted), and prints at each step
the process's anonymous memory (what a worker's PSS grows by) and what it is made of: Python's
small-object allocator (live blocks, and the arenas it holds: the difference is fragmentation),
what ``malloc_trim`` gives back, and the searcher's three bounded caches (decoded posting lists,
term records, ranked results: sizes summed object by object).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.corpus import make_queries
from bench.search_bench import percentiles
from bench.web.servers import proc_kb
from config.settings import PROJECT_ROOT

MB = 1024 * 1024


def run(
    docs: int,
    workdir: Path | None,
    distinct: int,
    echo: Callable[[str], None] = print,
    scales: tuple[float, ...] = (1.0,),
) -> dict:
    """Build (or reuse) the corpus's index, measure in a fresh process per bound scale, print and return
    the figures (``runs``: one per scale, the first printed in full)."""
    from bench.web import growth
    from indexer.generations import current_path

    workdir = workdir or Path(tempfile.mkdtemp(prefix="caselink-bench-memory-"))
    settings = growth.corpus_settings(workdir, docs)
    if current_path(settings.index_dir) is None:
        echo(f"building {docs} documents in {workdir}")
        growth.build(workdir, docs)
    # The queries are made here: generating them reads jieba's whole word list, which must not count as
    # the measured process's memory.
    queries = workdir / "memory-queries.json"
    queries.write_text(json.dumps([make_queries(), make_queries(distinct, seed=11)], ensure_ascii=False), "utf-8")
    runs = []
    for scale in scales:
        call = f"measure({str(settings.index_dir)!r}, {str(queries)!r}, {float(scale)!r})"
        code = f"import json; from bench.memory_bench import measure; print(json.dumps({call}))"
        out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"the measuring process failed (scale {scale}):\n{out.stderr[-2000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    figures = {**runs[0], "runs": runs}
    echo(report(figures, docs))
    return figures


def measure(index_dir: str, queries_file: str, scale: float = 1.0) -> dict:
    """The figures, in this process (call it in a fresh one): ``queries_file`` holds [fixed, unseen];
    ``scale`` multiplies the three caches' bounds (to see what memory buys in first-pass time)."""
    from indexer import search, termstats
    from indexer.search import open_searcher

    bounds = {
        "decoded postings": int(termstats.MAX_POSTINGS * scale),
        "term records a segment": int(termstats.MAX_TERMS * scale),
        "ranked queries": max(1, int(search.CACHE_SIZE * scale)),
    }
    termstats.MAX_POSTINGS, termstats.MAX_TERMS = bounds["decoded postings"], bounds["term records a segment"]
    fixed, unseen = json.loads(Path(queries_file).read_text("utf-8"))
    searcher = open_searcher(Path(index_dir), cache_size=bounds["ranked queries"])
    searcher.search("小程序 案例", limit=5)
    searcher.settle()
    gc.collect()
    steps = [_step("opened")]
    for _ in range(2):
        for q in fixed:
            searcher.search(q, limit=5, audience="client")
    repeated = _timed(searcher, fixed)
    gc.collect()
    steps.append(_step("the fixed 200 searches, 3 passes"))
    cpu = time.process_time()
    first = _timed(searcher, unseen)
    cpu_ms = (time.process_time() - cpu) * 1000 / max(len(unseen), 1)
    gc.collect()
    steps.append(_step(f"{len(unseen)} searches never seen before"))
    trimmed = _trim()  # before the sizes below: walking the caches allocates a set of every object's id
    seen: set[int] = set()
    caches = {
        "decoded posting lists": sum(_deep(kept.lists, seen) for kept in list(termstats._postings.values())),
        "term records": sum(_deep(t, seen) for t in [*termstats._tables.values(), *termstats._totals.values()]),
        "ranked results": _deep(searcher._gen._caches, seen) if searcher._gen is not None else 0,
    }
    return {
        "scale": scale,
        "bounds": bounds,
        "steps": steps,
        "caches_mb": {k: round(v / MB, 1) for k, v in caches.items()},
        "anon_after_trim_mb": trimmed,
        "repeated_ms": _percentiles(repeated),
        "unseen_ms": _percentiles(first),
        # CPU over all of them: steadier than wall percentiles (it told the posting bound's cost apart, BENCHMARKS.md)
        "unseen_cpu_ms": round(cpu_ms, 2),
    }


def _timed(searcher, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        start = time.perf_counter()
        searcher.search(q, limit=5, audience="client")
        out.append((time.perf_counter() - start) * 1000)
    return out


def _percentiles(ms: list[float]) -> dict[str, float]:
    p50, _, p99 = percentiles(ms or [0.0])
    return {"p50": round(p50, 2), "p99": round(p99, 2)}


def _step(name: str) -> dict:
    live, arenas = _small_objects()
    return {"step": name, "anon_mb": _anonymous_mb(), "small_live_mb": live, "small_arenas_mb": arenas}


def _anonymous_mb() -> float:
    return round(proc_kb("/proc/self/smaps_rollup", "Anonymous:") / 1024, 1)


def _small_objects() -> tuple[float, float]:
    """Python's small-object allocator: MB in live blocks and MB of arenas it holds (from
    ``sys._debugmallocstats``, which writes to the C-level stderr)."""
    with tempfile.TemporaryFile(mode="w+b") as capture:
        saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(capture.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode("utf-8", "replace")
    live = arenas = 0
    for line in text.splitlines():
        if line.startswith("# bytes in allocated blocks"):
            live = int(line.rsplit("=", 1)[1].replace(",", ""))
        elif "arenas *" in line and "bytes/arena" in line:
            arenas = int(line.rsplit("=", 1)[1].replace(",", ""))
    return round(live / MB, 1), round(arenas / MB, 1)


def _trim() -> float | None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        return None
    return _anonymous_mb()


def _deep(root, seen: set[int]) -> int:
    """Bytes held by ``root`` and everything it refers to (each object counted once across calls)."""
    total, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):  # counts its data when it owns it; a view's data is its base's
            total += sys.getsizeof(obj)
            if obj.base is not None:
                stack.append(obj.base)
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.append(vars(obj))
        else:
            stack.extend(getattr(obj, s) for s in getattr(type(obj), "__slots__", ()) if hasattr(obj, s))
    return total


def report(figures: dict, docs: int) -> str:
    lines = [
        f"\n## A searcher's private memory ({docs:,} documents)",
        "",
        "| after | anonymous MB | small objects live MB | small-object arenas MB |",
        "|---|---|---|---|",
    ]
    for s in figures["steps"]:
        lines.append(f"| {s['step']} | {s['anon_mb']:.0f} | {s['small_live_mb']:.0f} | {s['small_arenas_mb']:.0f} |")
    lines += ["", "| cache (bounded) | MB |", "|---|---|"]
    lines += [f"| {name} | {mb:.1f} |" for name, mb in figures["caches_mb"].items()]
    if figures.get("anon_after_trim_mb") is not None:
        lines += ["", f"Anonymous memory after malloc_trim: {figures['anon_after_trim_mb']:.0f} MB"]
    runs = figures.get("runs") or []
    if len(runs) > 1:
        lines += [
            "",
            "What the caches buy (each row a fresh process; search times in process, top 5 with snippets):",
            "",
            "| bounds × | anonymous MB after all | caches MB | repeated p50 / p99 ms | never seen p50 / p99 ms "
            "| never seen CPU ms each |",
            "|---|---|---|---|---|---|",
        ]
        for r in runs:
            rep, new = r["repeated_ms"], r["unseen_ms"]
            lines.append(
                f"| {r['scale']:g} | {r['steps'][-1]['anon_mb']:.0f} | {sum(r['caches_mb'].values()):.1f} | "
                f"{rep['p50']:.2f} / {rep['p99']:.2f} | {new['p50']:.2f} / {new['p99']:.2f} | "
                f"{r['unseen_cpu_ms']:.2f} |"
            )
    return "\n".join(lines)
