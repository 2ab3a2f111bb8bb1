"""One Redis connection shared by every store, with a key prefix and life through an outage.

When Redis is unreachable every store method returns its "nothing known" default instead of
raising: searches keep being answered (without paging, de-duplication or roles beyond
ADMIN_OPENIDS). What must not run unchecked fails closed instead: dashboard sessions cannot be
confirmed, and admin actions that need Redis answer "暂时不可用". The outage is logged once, and
Redis is tried again every ``retry_after`` seconds, so the bot recovers by itself when Redis comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis

from config.redisconn import replicated

log = logging.getLogger(__name__)

T = TypeVar("T")


class Connection:
    """The Redis client, the key prefix and whether Redis answered the last call."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "caselink:",
        retry_after: float = 1.0,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 500,
    ):
        self.redis = client
        self.prefix = prefix
        self._retry_after = retry_after
        self.wait_replicas = wait_replicas
        self._wait_timeout_ms = wait_timeout_ms
        self._down_since: float | None = None
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Whether the last Redis call worked."""
        return self._down_since is None

    def key(self, *parts: str) -> str:
        """A prefixed key: ``key("session", openid)`` → ``caselink:session:<openid>``."""
        return self.prefix + ":".join(parts)

    def call(self, fn: Callable[[redis.Redis], T], default: T, *, force: bool = False) -> T:
        """``fn(redis)``, or ``default`` when Redis fails (or failed less than ``retry_after`` ago)."""
        if self._down_since is not None and not force and time.monotonic() < self._next_try:
            return default
        try:
            result = fn(self.redis)
        except redis.RedisError as exc:
            self._mark_down(exc)
            return default
        if self._down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    log.warning("Redis 已恢复（中断 %.0f 秒）", time.monotonic() - self._down_since)
                    self._down_since = None
        return result

    def durable(self, fn: Callable[[redis.Redis], T], default: T) -> T:
        """``call`` for writes of durable state: the result only once ``wait_replicas`` replicas hold it.

        With Sentinel a failover promotes a replica; a write only the old master had would be lost
        though the user was told it was done. So such a write counts (and is answered as done) only
        when the replicas confirmed it in time (REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT_MS);
        otherwise ``default``, as if Redis had been unavailable. The replicas are asked first too,
        so that without them nothing is written that could not be confirmed (an invite code used
        up by a bind the user was told failed).
        """
        if self.wait_replicas and not self._replicas_confirm():
            return default
        failed = object()
        result = self.call(fn, failed)
        if result is failed or (self.wait_replicas and not self._replicas_confirm()):
            return default
        return result

    def _replicas_confirm(self) -> bool:
        return bool(
            self.call(lambda r: replicated(r, self.key("sync"), self.wait_replicas, self._wait_timeout_ms), False)
        )

    def count(self, key: str, ttl: int) -> int:
        """Add one to a counter whose window starts at its first increment; 0 without Redis."""

        def add(r: redis.Redis) -> int:
            pipe = r.pipeline()
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)  # the window starts at the first failure
            return int(pipe.execute()[0])

        return self.call(add, 0)

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self._next_try = now + self._retry_after
            if self._down_since is None:
                self._down_since = now
                log.error("Redis 不可用，暂停翻页、去重和角色（搜索照常）：%s", exc)
