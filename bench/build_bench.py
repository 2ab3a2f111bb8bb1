"""`python -m bench build`: what a full build costs per document and how much of it runs on one core,
how long one changed document takes to reach searches (`update`), and a searcher's cold start.

CPU seconds (the build process and its forked readers and writers, from getrusage) do not depend on
what else the shared machine runs, wall seconds do: the load average is printed beside them. The
serial part is the CPU the build process spends outside the writers' phase (reading files is forked
too, but the rules, overrides, typo map and switch are not): with two cores the wall time can be no
less than it plus half the rest.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import write_corpus
from config.settings import PROJECT_ROOT, load_settings

MARKER = "独一无二 标记词 甲乙丙丁"  # words of a new title: a title counts most, so the post comes first


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _settings(content: Path, index: Path):
    return load_settings(
        {
            "INDEX_DIR": str(index),
            "CONTENT_DIR": str(content),
            "SITE_URL": "https://bench.example",
            "URLS_FILE": str(index.parent / "none.txt"),
        }
    )


def measure_build(settings) -> dict:
    """A full rebuild: wall and CPU seconds, and the build process's own CPU outside the writers."""
    from indexer import build, writer

    phase = {"writers": 0.0}
    write_parallel = writer.write_parallel

    def timed(*args, **kw):
        before = _cpu()[0]
        try:
            return write_parallel(*args, **kw)
        finally:
            phase["writers"] += _cpu()[0] - before

    build.write_parallel = timed
    try:
        own0, children0 = _cpu()
        start = time.perf_counter()
        report = build.rebuild(settings)
        wall = time.perf_counter() - start
        own, children = _cpu()
    finally:
        build.write_parallel = write_parallel
    cpu = own - own0 + children - children0
    serial = own - own0 - phase["writers"]
    return {"documents": report.documents, "wall": wall, "cpu": cpu, "serial": serial, "load": os.getloadavg()[0]}


def timed_update(settings):
    """Run `update`; its report, the seconds until it switched searches to its generation (None: it
    switched nothing) and the seconds until it returned.

    An update switches before it writes what only the next build reads (and the exact typo map)."""
    from indexer import generations
    from indexer.build import update

    switched: list[float] = []
    real_switch = generations.switch

    def switch(*args):
        result = real_switch(*args)
        switched.append(time.perf_counter())
        return result

    generations.switch = switch
    try:
        start = time.perf_counter()
        report = update(settings)
        finished = time.perf_counter() - start
    finally:
        generations.switch = real_switch
    return report, (switched[0] - start if switched else None), finished


def measure_update(settings, post: Path) -> dict:
    """Retitle one post, run `update`, and time until an open searcher can find it; the post is restored.

    "seconds" is the moment `update` switched plus one search of the open searcher (which notices the
    switch on that search); "finished" is when `update` returned."""
    from indexer.search import open_searcher

    searcher = open_searcher(settings.index_dir)
    original = post.read_text(encoding="utf-8")
    try:
        post.write_text(re.sub(r"(?m)^title: .*$", f"title: {MARKER}", original, count=1), encoding="utf-8")
        report, switched, finished = timed_update(settings)
        asked = time.perf_counter()
        found = searcher.search(MARKER, limit=5)
        search = time.perf_counter() - asked
    finally:
        post.write_text(original, encoding="utf-8")
    return {
        "seconds": (finished if switched is None else switched) + search,
        "switched": switched,
        "search": search,
        "finished": finished,
        "changed": report.changed + report.added,
        "found": any(post.stem in hit.id for hit in found.hits),
    }


def measure_cold_start(settings) -> float:
    """A fresh process: import, open the live generation (warmed up at open) and answer one search."""
    code = (
        "import sys,time;t=time.perf_counter();from indexer.search import open_searcher;"
        f"s=open_searcher({str(settings.index_dir)!r});s.search('营销',limit=5);"
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def run(docs: int, workdir: Path | None = None, echo=print) -> dict:
    workdir = workdir or Path(tempfile.mkdtemp(prefix="caselink-build-bench-"))
    content = write_corpus(workdir / f"corpus-{docs}", docs)
    settings = _settings(content, workdir / f"index-{docs}")
    built = measure_build(settings)
    n = built["documents"]
    echo(
        f"build {n} docs: wall {built['wall']:.1f} s ({n / built['wall']:.0f} docs/s, load average "
        f"{built['load']:.1f}); CPU {built['cpu']:.1f} s = {built['cpu'] / n * 1000:.2f} ms/doc; "
        f"serial {built['serial']:.1f} s ({built['serial'] / built['cpu']:.1%} of the CPU)"
    )
    posts = sorted((content / "_posts").iterdir())
    post = next(p for p in posts if "visibility: public" in p.read_text(encoding="utf-8"))  # searched as a client
    changed = measure_update(settings, post)
    echo(
        f"update of 1 changed doc: visible to an open searcher after {changed['seconds']:.2f} s "
        f"(found: {changed['found']}); update finished after {changed['finished']:.2f} s"
    )
    cold = measure_cold_start(settings)
    echo(f"cold start (new process to first answer): {cold:.2f} s")
    return {"build": built, "update": changed, "cold_start": cold}
