"""The shared objects the factory builds once (``Services``) and the per-message ``Context``."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app

from config.errors import IndexNotReady
from config.settings import Settings

if TYPE_CHECKING:
    from bot.jobs import Jobs
    from bot.metrics import Metrics
    from bot.store import Store
    from bot.wechat.delivery import Delivery
    from bot.wechat.protocol import Codec

log = logging.getLogger(__name__)

EXTENSION = "caselink"


class IndexHandle:
    """Opens the index searcher lazily, once: a process forked after it was opened (a gunicorn worker,
    after ``preload_app``) adopts the parent's, whose loaded tables and mapped segments it shares."""

    RETRY_AFTER = 5.0

    def __init__(self, settings: Settings, overlay=None):
        self._settings = settings
        self._overlay = overlay  # indexer.Overlay: admins' content overrides, in every search at once
        self._searcher = None
        self._pid = 0
        self._failed_at = 0.0
        self._error = ""
        self._lock = threading.Lock()

    def searcher(self):
        """The live searcher; raise IndexNotReady (with the command to fix it) when there is none."""
        if self._searcher is not None and self._pid == os.getpid():
            return self._searcher
        with self._lock:
            if self._searcher is not None and self._pid != os.getpid():
                self._searcher.after_fork()
                self._pid = os.getpid()
            if self._searcher is None:
                if time.monotonic() - self._failed_at < self.RETRY_AFTER and self._error:
                    raise IndexNotReady(self._error)
                from indexer import open_searcher

                try:
                    self._searcher = open_searcher(
                        self._settings.index_dir, self._settings.config_dir, overlay=self._overlay
                    )
                except IndexNotReady as exc:
                    self._failed_at, self._error = time.monotonic(), str(exc)
                    log.warning("索引不可用：%s", exc)
                    raise
                self._pid, self._error = os.getpid(), ""
        return self._searcher

    def settle(self) -> None:
        """Before a fork: let the open searcher finish its background loading, so children inherit it."""
        if self._searcher is not None:
            self._searcher.settle()


@dataclass
class Services:
    """Everything handlers may use; built once in ``create_app`` and kept in ``app.extensions``."""

    settings: Settings
    store: Store
    index: IndexHandle
    codec: Codec
    wechat: Any  # bot.wechat.client.SharedTokenClient
    delivery: Delivery
    jobs: Jobs
    menu: dict[str, str] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=lambda: _new_metrics())

    def close(self) -> None:
        """Finish background work and close connections (tests, worker exit)."""
        self.jobs.shutdown()
        self.wechat.close()

    def user_hash(self, openid: str) -> str:
        """A short, stable, non-reversible tag for an openid, for logs."""
        return _user_hash(self.settings.secret_key, openid)


@functools.lru_cache(maxsize=4096)  # one log line per message: the same users come back
def _user_hash(secret: str, openid: str) -> str:
    return hashlib.sha256((secret + openid).encode("utf-8")).hexdigest()[:10]


def _new_metrics() -> Metrics:
    from bot.metrics import Metrics

    return Metrics()


def services() -> Services:
    """The current app's services (inside a request or app context)."""
    return current_app.extensions[EXTENSION]


@dataclass
class Context:
    """One message being handled: who sent it, their role, and the shared services."""

    services: Services
    openid: str
    role: str = "client"
    hits: int | None = None  # how many results were shown, for the log line
    outcome: str | None = None  # a new search's result: "found", "weak" or "none" (front desk hooks)
    typed: str = ""  # the text as the user sent it, before normalising (forms keep names as written)

    @property
    def audience(self) -> str:
        """What the user may see: ``employee`` content or only ``client`` (public) content."""
        return "employee" if self.role in ("employee", "admin") else "client"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def settings(self) -> Settings:
        return self.services.settings
