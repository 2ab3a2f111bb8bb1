"""Turn content (Markdown, HTML, case catalogs, listed URLs, WeChat articles) into Documents.

Every source reports per-file problems instead of raising, so one broken post never stops a build:
``collect()`` returns a ``SourceResult`` with the documents and the problems met on the way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from indexer.document import Problem, SourceResult
from indexer.fetch import FetchPolicy
from indexer.sources.catalogs import read_catalog
from indexer.sources.fields import CATEGORIES
from indexer.sources.html_pages import read_html
from indexer.sources.markdown_posts import read_markdown
from indexer.sources.read_cache import ReadCache, signature
from indexer.sources.site import DEFAULT_PERMALINK, SiteInfo, resolve_site
from indexer.sources.url_list import read_url_list
from indexer.sources.walk import CATALOG, HTML, MARKDOWN, iter_content_files
from indexer.sources.wechat import WeChatAPIClient, WeChatPublished

__all__ = [
    "CATEGORIES",
    "DEFAULT_PERMALINK",
    "ReadCache",
    "SiteInfo",
    "WeChatAPIClient",
    "WeChatPublished",
    "collect",
]

logger = logging.getLogger(__name__)

Reader = Callable[[Path, str, SiteInfo], SourceResult]
READERS: dict[tuple[str, ...], Reader] = {MARKDOWN: read_markdown, HTML: read_html, CATALOG: read_catalog}


def collect(
    content_dir: Path,
    *,
    site: SiteInfo | None = None,
    urls_file: Path | None = None,
    wechat: WeChatPublished | None = None,
    fetch_timeout: float = 10.0,
    fetch_policy: FetchPolicy | None = None,
    workers: int = 1,
    reads: ReadCache | None = None,
) -> SourceResult:
    """Read every source into documents; duplicate ids keep the first and report the rest.

    With ``workers`` > 1 and many files, the files are read by that many forked processes (in
    order: the result is the same). ``reads`` holds what the last build read: unchanged files are
    not read again, and what this build read is added to it (``indexer.sources.read_cache``).
    """
    content_dir = Path(content_dir)
    result = SourceResult()
    if content_dir.is_dir():
        site, problems = resolve_site(content_dir, site)
        result.problems.extend(problems)
        files = list(iter_content_files(content_dir))
        for read in _read_cached(files, site, reads if reads is not None else ReadCache(), workers):
            result.extend(read)
    else:
        result.problems.append(Problem(str(content_dir), "内容目录不存在，请检查 CONTENT_DIR", "unreadable"))
    if urls_file is not None and Path(urls_file).is_file():
        result.extend(read_url_list(Path(urls_file), timeout=fetch_timeout, policy=fetch_policy))
    if wechat is not None:
        result.extend(wechat.read(timeout=fetch_timeout))
    return _drop_duplicates(result)


PARALLEL_FILES = 1000  # fewer files are read faster than processes start
_site_for_workers: SiteInfo | None = None


def _read_cached(files: list[tuple[str, str]], site: SiteInfo, reads: ReadCache, workers: int) -> list[SourceResult]:
    """Each file's result, in order: kept ones from ``reads``, the others read (and remembered)."""
    reads.begin(site)
    signatures = [signature(path) for path, _ in files]
    results: list[SourceResult | None] = [
        reads.lookup(rel, sig) for (_, rel), sig in zip(files, signatures, strict=True)
    ]
    missing = [i for i, found in enumerate(results) if found is None]
    read_at = time.time_ns()
    unread = [(Path(files[i][0]), files[i][1]) for i in missing]
    for i, read in zip(missing, _read_files(unread, site, workers), strict=True):
        results[i] = read
        reads.remember(files[i][1], signatures[i], read, read_at)
    return results


def _read_files(files: list[tuple[Path, str]], site: SiteInfo, workers: int):
    if workers <= 1 or len(files) < PARALLEL_FILES:
        return (_read_file(path, rel, site) for path, rel in files)
    import multiprocessing

    global _site_for_workers
    _site_for_workers = site  # inherited by the forked readers
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_reader_signals)
    try:
        results = pool.map(_read_in_worker, files, chunksize=max(16, len(files) // (workers * 8)))
        pool.close()  # the readers end when they run out of work, not by a signal (see _reader_signals)
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return results


def _reader_signals() -> None:
    """Default signal handling in a forked reader.

    A build may run in a process that handles SIGTERM itself (a gunicorn worker, for a graceful stop;
    the web benchmark). Readers inherited that handler and survived ``Pool.terminate()``, which waited
    for them for ever: a 50,000-file rebuild hung in `python -m bench web`."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _read_in_worker(item: tuple[Path, str]) -> SourceResult:
    return _read_file(item[0], item[1], _site_for_workers)


def _read_file(path: Path, rel: str, site: SiteInfo) -> SourceResult:
    reader = next(r for suffixes, r in READERS.items() if rel.lower().endswith(suffixes))
    try:
        return reader(path, rel, site)
    except Exception as exc:  # a bug in one reader must not stop the whole build
        logger.exception("reading %s failed", rel)
        return SourceResult(problems=[Problem(rel, f"读取时出错（{type(exc).__name__}: {exc}），已跳过", "unreadable")])


def _drop_duplicates(result: SourceResult) -> SourceResult:
    first: dict[str, str] = {}
    kept = SourceResult(problems=list(result.problems))
    for doc in result.documents:
        if doc.id in first:
            reason = f"id “{doc.id}” 与 {first[doc.id]} 重复，已跳过（保留先读到的那篇）"
            kept.problems.append(Problem(doc.source or doc.id, reason, "duplicate"))
            continue
        first[doc.id] = doc.source or doc.id
        kept.documents.append(doc)
    return kept
