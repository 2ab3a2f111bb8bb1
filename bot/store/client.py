"""The Redis client for the bot: the configured one (``config.redisconn``), or an in-process stand-in in dev."""

from __future__ import annotations

import logging

import redis

from config.redisconn import connect, quick_retry
from config.settings import Settings

__all__ = ["connect_redis", "quick_retry"]

log = logging.getLogger(__name__)


def connect_redis(settings: Settings) -> redis.Redis:
    """The real Redis (REDIS_URL or Sentinel), or an in-process stand-in (single process only) when neither is set."""
    client = connect(settings)
    if client is not None:
        return client
    import fakeredis

    log.warning("未设置 REDIS_URL：使用进程内的 Redis 替身，只适合单进程开发；多进程部署请设置 REDIS_URL 或 Sentinel")
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())
