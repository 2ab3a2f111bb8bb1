"""Failed dashboard logins, counted per client address in Redis and, as a fallback, in this process."""

from __future__ import annotations

import threading
import time

from bot.store.connection import Connection

LOGIN_FAILURE_TTL = 10 * 60  # failed dashboard logins are counted per client for 10 minutes
MAX_LOCAL_CLIENTS = 10_000  # addresses remembered in memory; the oldest windows are dropped first


class LocalCounter:
    """Counts per name in fixed windows, in this process only: the limit that holds while Redis is down."""

    def __init__(self, ttl: int, max_names: int = MAX_LOCAL_CLIENTS):
        self._ttl = ttl
        self._max = max_names
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> int:
        """The count in the current window (0 once it has passed)."""
        with self._lock:
            count, start = self._counts.get(name, (0, 0.0))
            return count if time.monotonic() - start < self._ttl else 0

    def add(self, name: str) -> int:
        """Count one more; the window starts at the first count."""
        now = time.monotonic()
        with self._lock:
            count, start = self._counts.get(name, (0, now))
            if now - start >= self._ttl:
                count, start = 0, now
            self._counts[name] = (count + 1, start)
            if len(self._counts) > self._max:
                for old in sorted(self._counts, key=lambda n: self._counts[n][1])[: len(self._counts) - self._max]:
                    del self._counts[old]
            return count + 1


class Logins:
    """Wrong ADMIN_TOKEN attempts per client address in a 10-minute window.

    Every failure is counted in Redis (shared by all workers) and in this process; the limit uses
    the larger count, so it still holds, per worker, while Redis is unavailable.
    """

    def __init__(self, db: Connection):
        self._db = db
        self._local = LocalCounter(LOGIN_FAILURE_TTL)

    def failures(self, client: str) -> int:
        """How many wrong dashboard tokens came from this client address in the last 10 minutes."""
        raw = self._db.call(lambda r: r.get(self._db.key("loginfail", client)), None)
        return max(int(raw) if raw else 0, self._local.get(client))

    def add_failure(self, client: str) -> int:
        """Count one more wrong dashboard token from this client address."""
        shared = self._db.count(self._db.key("loginfail", client), LOGIN_FAILURE_TTL)
        return max(shared, self._local.add(client))
