"""A bounded, expiring in-process map: what a worker remembers by itself while Redis is away.

Checks that guard doors (request nonces, replayed messages) must not be skipped when Redis is
down, so they fall back to this. It is per process (a gunicorn worker sees only its own), bounded
(the oldest entries go first when full) and every entry expires, like the Redis keys it stands in for.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 50_000


class LocalTTL:
    """``set``/``get``/``delete`` with a TTL per entry and at most ``capacity`` live entries."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, clock=time.monotonic):
        self.capacity = capacity
        self._clock = clock
        self._items: dict[str, tuple[float, str]] = {}  # insertion order ≈ expiry order
        self._lock = threading.Lock()
        self._warned = False

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._items)

    def get(self, key: str) -> str | None:
        """The live value of ``key``, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._items[key]
                return None
            return item[1]

    def set(self, key: str, value: str, ttl: float, *, nx: bool = False, keep_ttl: bool = False) -> bool:
        """Store ``value`` for ``ttl`` seconds; with ``nx`` only when absent (returns whether it was set).

        With ``keep_ttl`` an existing entry keeps its expiry and a missing one is not created
        (Redis ``SET … XX KEEPTTL``).
        """
        with self._lock:
            now = self._clock()
            current = self._items.get(key)
            if current is not None and current[0] <= now:
                del self._items[key]
                current = None
            if nx and current is not None:
                return False
            if keep_ttl:
                if current is None:
                    return False
                self._items[key] = (current[0], value)
                return True
            self._items.pop(key, None)
            self._items[key] = (now + ttl, value)
            self._bound(now)
            return True

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._items.pop(key, None)

    def _expire(self, now: float) -> None:
        # Entries are kept in insertion order and share a few TTLs, so the expired ones are at the
        # front; one that outlives its neighbours is dropped when read.
        while self._items:
            key = next(iter(self._items))
            if self._items[key][0] > now:
                return
            del self._items[key]

    def _bound(self, now: float) -> None:
        if len(self._items) <= self.capacity:
            return
        self._expire(now)
        while len(self._items) > self.capacity:
            del self._items[next(iter(self._items))]
            if not self._warned:
                self._warned = True
                log.warning("进程内的重放记录已满（%d 条），最早的记录被提前忘记", self.capacity)
