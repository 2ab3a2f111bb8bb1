"""The Redis client the settings ask for — REDIS_URL, or the master that Redis Sentinel names — and
the check that a durable write reached the replicas. Shared by the bot and the indexer.

Timeouts are short and a failed command is retried once, quickly: an outage must cost a message
milliseconds, not the seconds of redis-py's default backoff. With Sentinel, every new connection
asks the sentinels where the master is, so after a failover the next command reaches the new one.
"""

from __future__ import annotations

import logging

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)


def quick_retry() -> Retry:
    """One retry after at most 0.1 s: enough for a dropped idle connection, short in an outage."""
    return Retry(ExponentialBackoff(cap=0.1, base=0.02), 1)


def connect(settings) -> redis.Redis | None:
    """A client for REDIS_URL or REDIS_SENTINELS; None when neither is set."""
    options = {
        "socket_connect_timeout": settings.redis_connect_timeout,
        "socket_timeout": settings.redis_socket_timeout,
        "retry": quick_retry(),
        "health_check_interval": 30,
    }
    if settings.redis_sentinels:
        from redis.sentinel import Sentinel

        sentinel = Sentinel(
            list(settings.redis_sentinels),
            sentinel_kwargs={
                "socket_connect_timeout": settings.redis_connect_timeout,
                "socket_timeout": settings.redis_socket_timeout,
                "password": settings.redis_sentinel_password or None,
            },
            password=settings.redis_password or None,
            db=settings.redis_db,
        )
        return sentinel.master_for(settings.redis_sentinel_master, **options)
    if settings.redis_url:
        if settings.redis_password:
            options["password"] = settings.redis_password
        return redis.Redis.from_url(settings.redis_url, **options)
    return None


def replicated(client: redis.Redis, key: str, replicas: int, timeout_ms: int) -> bool:
    """Whether ``replicas`` replicas hold everything written to the master before this call.

    WAIT counts the replicas that acknowledged this connection's last write, so a small write
    (``key``) and the WAIT go down one connection: replication is ordered, so a replica that has
    this write also has every write the master acknowledged earlier, on any connection.
    """
    if replicas <= 0:
        return True
    pipe = client.pipeline(transaction=False)  # one connection, in order
    pipe.set(key, 1, ex=60)
    pipe.execute_command("WAIT", replicas, timeout_ms)
    acknowledged = int(pipe.execute()[1])
    if acknowledged < replicas:
        log.warning("Redis：只有 %d 个副本确认了写入（要求 %d 个），这次写入按失败处理", acknowledged, replicas)
        return False
    return True
