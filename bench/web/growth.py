"""Growth figures that need no server: build time and rate, index size, in-process search latency,
and an incremental ``update`` of one changed document."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import make_queries, write_corpus
from bench.search_bench import _time
from config.settings import Settings, load_settings

SITE = "https://bench.example"


@dataclass
class Built:
    """A generated corpus and its freshly built index."""

    docs: int
    settings: Settings
    build_s: float
    index_mb: float

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.build_s if self.build_s else 0.0


def corpus_settings(workdir: Path, docs: int) -> Settings:
    """Settings whose CONTENT_DIR is the generated corpus of ``docs`` posts and INDEX_DIR its index."""
    content = write_corpus(workdir / f"corpus-{docs}", docs) / "_posts"
    return load_settings(
        {
            "INDEX_DIR": str(workdir / f"index-{docs}"),
            "CONTENT_DIR": str(content),
            "SITE_URL": SITE,
            "URLS_FILE": str(workdir / "no-urls.txt"),
        }
    )


def build(workdir: Path, docs: int) -> Built:
    """Write (or reuse) the corpus and build its index from scratch, timed."""
    from indexer.build import rebuild
    from indexer.generations import current_path

    settings = corpus_settings(workdir, docs)
    start = time.perf_counter()
    report = rebuild(settings)
    build_s = time.perf_counter() - start
    live = current_path(settings.index_dir)
    size = sum(p.stat().st_size for p in live.iterdir() if p.is_file()) if live else 0
    return Built(report.documents, settings, build_s, size / 1e6)


def search_latency(settings: Settings, queries: int = 200) -> tuple[float, float, float]:
    """p50/p95/p99 ms of a top-5 search with snippets over the fixed query list (median of 3 passes);
    ``queries`` of them (the smoke test times a few)."""
    from indexer.search import open_searcher

    searcher = open_searcher(settings.index_dir, cache_size=0)  # the search itself, not the result cache
    try:
        return _time(lambda q: searcher.search(q, limit=5), make_queries()[:queries])
    finally:
        searcher.close()
        gc.collect()


def update_one(settings: Settings) -> dict:
    """Change one post, time ``update`` (in process) until it switched searches and until it returned,
    then put the post back and update again."""
    from bench.build_bench import timed_update
    from indexer.build import update

    post = sorted(settings.content_dir.glob("*.md"))[len(list(settings.content_dir.glob("*.md"))) // 2]
    original = post.read_text(encoding="utf-8")
    post.write_text(original + "\n补充一句：这一段是更新基准加上的。\n", encoding="utf-8")
    try:
        report, switched, finished = timed_update(settings)
    finally:
        post.write_text(original, encoding="utf-8")
    restore = update(settings)
    return {
        "seconds": round(finished if switched is None else switched, 2),
        "finished": round(finished, 2),
        "changed": report.changed,
        "added": report.added,
        "removed": report.removed,
        "restore_seconds": round(restore.seconds, 2),
    }
