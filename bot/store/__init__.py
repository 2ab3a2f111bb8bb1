"""Everything the bot keeps in Redis, one narrow class per concern over one shared connection.

    Store
    ├── messages    retry de-duplication, request nonces, answers held for the next message
    ├── sessions    the conversation (last search and what was shown)
    ├── flows       a form or question in progress (``bot.chat.router``)
    ├── people      roles and invite codes
    ├── bind_attempts  limits on guessing invite codes (per user and for everyone)
    ├── logins      failed dashboard logins
    ├── admin_sessions  dashboard logins (revoked on logout, idle timeout, new ADMIN_TOKEN)
    ├── once        tokens used once (OAuth state)
    ├── analytics   searches per local day, clients apart from employees
    ├── builds      background index builds
    ├── rules       what admins taught (rewrites, pins) and the picks users made
    ├── answers     the front desk: fixed answers, contact card, working hours (durable)
    ├── leads       leads from the chat form (durable)
    ├── misses      weak or empty searches in a row (the offer of a person)
    ├── titles      title patterns admins added or changed, their usage, ideas seen (30 min)
    ├── shares      shares of kits and cards by employees, distinct opens of shared links (durable)
    └── content     forwarded documents and content overrides (``indexer.SharedContent``: the
                    indexer reads the same keys when it builds, so it owns the class)

Keys share one prefix (``caselink:``) and every key has an explicit TTL unless it is durable state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import redis

from bot.store.admin_sessions import AdminSessions
from bot.store.analytics import Analytics
from bot.store.answers import Answers
from bot.store.bind_attempts import BindAttempts
from bot.store.builds import Builds
from bot.store.connection import GET, HGETALL, TAKE, Connection, Unit
from bot.store.flows import Flows
from bot.store.leads import Leads
from bot.store.logins import Logins
from bot.store.messages import Messages
from bot.store.misses import Misses
from bot.store.once import Once
from bot.store.people import People
from bot.store.rules import Rules
from bot.store.sessions import Sessions
from bot.store.shares import Shares
from bot.store.titles import Titles
from config.settings import Settings
from indexer import SharedContent, SharedUnavailable

__all__ = ["Connection", "Store", "Unit"]


class Store:
    """The stores of one app, sharing one Redis connection (see the module docstring)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "caselink:",
        retry_after: float = 1.0,
        tz: dt.tzinfo | None = None,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 500,
    ):
        self.db = Connection(client, prefix, retry_after, wait_replicas, wait_timeout_ms)
        self.messages = Messages(self.db)
        self.sessions = Sessions(self.db)
        self.flows = Flows(self.db)
        self.people = People(self.db)
        self.bind_attempts = BindAttempts(self.db)
        self.logins = Logins(self.db)
        self.admin_sessions = AdminSessions(self.db)
        self.once = Once(self.db)
        self.analytics = Analytics(self.db, tz)  # days are the site's (SITE_TIMEZONE)
        self.builds = Builds(self.db)
        self.rules = Rules(self.db)
        self.answers = Answers(self.db)
        self.leads = Leads(self.db)
        self.misses = Misses(self.db)
        self.titles = Titles(self.db)
        self.shares = Shares(self.db, tz)
        self.content = _Content(self.db, client, prefix, wait_replicas, wait_timeout_ms)

    @classmethod
    def for_settings(cls, settings: Settings, client: redis.Redis | None = None) -> Store:
        """The store the settings describe: their Redis (or the dev stand-in), time zone and durability."""
        from bot.store.client import connect_redis

        return cls(
            client if client is not None else connect_redis(settings),
            tz=settings.tz,
            wait_replicas=settings.redis_wait_replicas,
            wait_timeout_ms=settings.redis_wait_timeout_ms,
        )

    @property
    def available(self) -> bool:
        """Whether the last Redis call worked."""
        return self.db.available

    def reachable(self) -> bool:
        """Whether Redis answers: the last call worked, or a ping now does."""
        return self.available or self.ping()

    def ping(self) -> bool:
        """Check Redis now (for /healthz), updating the outage state."""
        return bool(self.db.call(lambda r: r.ping(), False, force=True))

    def message_reads(self, openid: str, *, take_pending: bool, query_key: str = "") -> list[tuple[str, str]]:
        """What handling an ordinary message from ``openid`` reads, for the round trip that claims it
        (``Messages.claim(..., reads=)``): role, held answers (taken), flow, conversation, the front
        desk, the taught rules' version and picks for ``query_key``, the miss streak."""
        reads = [(GET, self.db.key("role", openid))]
        if take_pending:
            reads.append((TAKE, self.db.key("pending", openid)))
        reads += [
            (GET, self.flows.key(openid)),
            (GET, self.sessions.key(openid)),
            (GET, self.answers.key),
            (GET, self.rules.version_key),
            (GET, self.misses.key(openid)),
            (GET, self.content.version_key()),  # admins' content overrides (indexer.overrides.Overlay)
        ]
        if query_key:
            reads.append((HGETALL, self.rules.picks_key(query_key)))
        return reads

    def role_and_pending(self, openid: str, take_pending: bool = True) -> tuple[str | None, list[dict[str, Any]]]:
        """The user's granted role and (optionally) the answers held for them, in one round trip
        (none when the message's claim read them)."""
        key = self.db.key
        role_key, pending_key = key("role", openid), key("pending", openid)
        if self.db.knows(role_key) and (not take_pending or self.db.knows(pending_key)):
            raw, items = self.db.get(role_key), (self.db.take(pending_key) if take_pending else [])
        else:

            def read(r: redis.Redis) -> tuple[bytes | None, list[bytes]]:
                pipe = r.pipeline()  # MULTI/EXEC: pending answers are read and removed atomically
                pipe.get(role_key)
                if take_pending:
                    pipe.lrange(pending_key, 0, -1)
                    pipe.delete(pending_key)
                out = pipe.execute()
                return out[0], (out[1] if take_pending else [])

            raw, items = self.db.call(read, (None, []))
        return (raw.decode("utf-8") if raw else None), [json.loads(item) for item in items]

    def forget(self, openid: str) -> None:
        """Delete everything kept about one user (on unsubscribe)."""
        kinds = ("session", "listed", "flow", "role", "pending", "misses", "titleseen")
        keys = [self.db.key(kind, openid) for kind in kinds]

        def delete(r: redis.Redis) -> None:
            pipe = r.pipeline()
            pipe.delete(*keys)
            pipe.hdel(self.db.key("roles"), openid)
            pipe.execute()

        self.db.call(delete, None)

    @contextlib.contextmanager
    def lock(self, name: str, timeout: float, wait: float) -> Iterator[bool]:
        """Hold a cross-process lock; yields False when it could not be taken (busy or no Redis)."""
        lock = self.db.redis.lock(self.db.key("lock", name), timeout=timeout, blocking_timeout=wait)
        acquired = self.db.call(lambda r: lock.acquire(), False)
        try:
            yield bool(acquired)
        finally:
            if acquired:
                with contextlib.suppress(redis.RedisError):
                    lock.release()

    def token_storage(self):
        """A wechatpy session storage in Redis, so every worker shares one access token."""
        from wechatpy.session.redisstorage import RedisStorage

        return RedisStorage(self.db.redis, prefix=self.db.key("wechatpy"))


class _Content(SharedContent):
    """The shared content state, whose version every search checks: read with the message's claim."""

    def __init__(self, db: Connection, *args):
        super().__init__(*args)
        self._db = db

    def version(self) -> int:
        raw = self._db.get(self.version_key())
        if raw is None and not self._db.available:
            raise SharedUnavailable("（Redis）") from redis.ConnectionError("unavailable")
        return int(raw or 0)
