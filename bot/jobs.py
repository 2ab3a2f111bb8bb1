"""Background work (answers past the deadline, re-indexing) on thread pools made per process.

Pools are created on first use in each process: threads do not survive gunicorn's fork after
``preload_app``, so nothing may be started in the factory.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class Jobs:
    """A per-process thread pool for message work, and named one-at-a-time background jobs."""

    def __init__(self, workers: int = 8):
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable, *args) -> Future:
        """Run ``fn(*args)`` on the pool."""
        return self._executor().submit(fn, *args)

    def start_once(self, name: str, fn: Callable[[], None]) -> bool:
        """Start ``fn`` in the background unless a job of that name runs in this process; False if it does."""
        with self._lock:
            if name in self._running:
                return False
            self._running.add(name)

        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("后台任务 %s 失败", name)
            finally:
                with self._lock:
                    self._running.discard(name)

        threading.Thread(target=run, name=f"caselink-{name}", daemon=True).start()
        return True

    def running(self, name: str) -> bool:
        """Whether a named job is running in this process."""
        return name in self._running

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="caselink-msg")
                self._pid = os.getpid()
            return self._pool

    def shutdown(self) -> None:
        """Wait for submitted work to finish; a later submit starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None and self._pid == os.getpid():
            pool.shutdown(wait=True, cancel_futures=False)
