"""Prometheus metrics for ``GET /metrics``, counted at the edges (webhook, delivery, search call sites).

Under gunicorn every worker is a process of its own, so prometheus-client runs in multiprocess
mode: each worker writes its figures to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape, answered
by any worker, sums them (see https://prometheus.github.io/client_python/multiprocess/).
``gunicorn.conf.py`` provides that directory. prometheus-client decides the mode when it is first
imported, from that variable; without it (dev server, tests) each app keeps its own registry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# An empty value (a blank line copied from .env.example) would still switch prometheus_client into
# multiprocess mode, writing files into the working directory: treat it as unset.
if MULTIPROC_ENV in os.environ and not os.environ[MULTIPROC_ENV].strip():
    del os.environ[MULTIPROC_ENV]

from prometheus_client import (  # noqa: E402  (after the environment check above)
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import values as prometheus_values  # noqa: E402

log = logging.getLogger(__name__)

# A search takes a few milliseconds; the tail that matters is the one approaching WeChat's 5 s.
SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def multiprocess_dir() -> str | None:
    """The shared metrics directory when prometheus-client really runs in multiprocess mode."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return None
    if prometheus_values.ValueClass is prometheus_values.MutexValue:
        # The variable appeared after prometheus_client was imported: values stay in this process.
        log.error("%s 设置得太晚（prometheus_client 已经导入），指标只统计本进程", MULTIPROC_ENV)
        return None
    return path


class Metrics:
    """The bot's metrics; one instance per app, in ``Services.metrics``."""

    def __init__(self) -> None:
        self.multiproc_dir = multiprocess_dir()
        # In multiprocess mode the values live in files and a scrape reads them all; registering the
        # metrics in a registry too would export them twice.
        self.registry = None if self.multiproc_dir else CollectorRegistry()
        reg = self.registry
        self.messages = Counter(
            "caselink_messages",
            "WeChat pushes handled, by message type and event",
            ["type", "event"],
            registry=reg,
        )
        self.search_seconds = Histogram(
            "caselink_search_seconds",
            "Time spent in one index search, by surface (wechat conversation, results page)",
            ["surface"],
            buckets=SEARCH_BUCKETS,
            registry=reg,
        )
        self.zero_results = Counter("caselink_search_zero_results", "Conversation searches with no hit", registry=reg)
        self.weak_results = Counter(
            "caselink_search_weak_results", "Conversation searches whose hits match only loosely", registry=reg
        )
        self.deadline_misses = Counter(
            "caselink_reply_deadline_misses",
            "Messages not answered within REPLY_DEADLINE (answered `success`, pushed later)",
            registry=reg,
        )
        self.pushes = Counter("caselink_customer_service_pushes", "Customer-service messages attempted", registry=reg)
        self.push_failures = Counter(
            "caselink_customer_service_push_failures",
            "Customer-service messages refused or unreachable, by errcode (`network` when unreachable)",
            ["errcode"],
            registry=reg,
        )
        # Each worker reports what its searcher sees when it answers a scrape; the latest report
        # wins ("mostrecent"), which is the live generation once every worker has switched.
        self.index_documents = Gauge(
            "caselink_index_documents",
            "Documents in the live index generation",
            multiprocess_mode="mostrecent",
            registry=reg,
        )
        self.index_age = Gauge(
            "caselink_index_age_seconds",
            "Seconds since the live index generation was built",
            multiprocess_mode="mostrecent",
            registry=reg,
        )

    def count_message(self, msg_type: str, event: str = "") -> None:
        """Count one push from WeChat (``event`` only for ``type="event"``)."""
        self.messages.labels(type=msg_type or "unknown", event=(event or "").lower()).inc()

    @contextlib.contextmanager
    def time_search(self, surface: str) -> Iterator[None]:
        """Observe how long the enclosed search takes."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.search_seconds.labels(surface=surface).observe(time.perf_counter() - started)

    def count_search(self, total: int, weak: bool) -> None:
        """Count a new conversation search that found nothing, or nothing direct."""
        if total == 0:
            self.zero_results.inc()
        elif weak:
            self.weak_results.inc()

    def count_push(self, failure: str | None = None) -> None:
        """Count one customer-service push; ``failure`` is the errcode (or ``network``) when it failed."""
        self.pushes.inc()
        if failure is not None:
            self.push_failures.labels(errcode=failure).inc()

    def set_index(self, documents: int, age_seconds: float | None) -> None:
        """Record the live index's size and age (called when answering a scrape or /healthz)."""
        self.index_documents.set(documents)
        if age_seconds is not None:
            self.index_age.set(age_seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type: this app's registry, or every worker's files."""
        if self.multiproc_dir:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiproc_dir)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
