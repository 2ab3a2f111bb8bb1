"""The Redis client the settings ask for: a URL, or (later) Sentinel; the in-process stand-in in dev.

Timeouts are short and a failed command is retried once, quickly: a Redis outage must cost a
message milliseconds, not the seconds of redis-py's default backoff (``bot.store.connection``
then answers "nothing known" and tries Redis again a second later).
"""

from __future__ import annotations

import logging

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from config.settings import Settings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 0.5
SOCKET_TIMEOUT = 2.0


def quick_retry() -> Retry:
    """One retry after at most 0.1 s: enough for a dropped idle connection, short in an outage."""
    return Retry(ExponentialBackoff(cap=0.1, base=0.02), 1)


def connect_redis(settings: Settings) -> redis.Redis:
    """The real Redis at REDIS_URL, or an in-process stand-in (single process only) when it is empty."""
    if settings.redis_url:
        return redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            retry=quick_retry(),
            health_check_interval=30,
        )
    import fakeredis

    log.warning("未设置 REDIS_URL：使用进程内的 Redis 替身，只适合单进程开发；多进程部署请设置 REDIS_URL")
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())
