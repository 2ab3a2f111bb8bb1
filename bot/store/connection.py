"""One Redis connection shared by every store, with a key prefix and life through an outage.

When Redis is unreachable every store method returns its "nothing known" default instead of
raising: searches keep being answered (without paging, de-duplication or roles beyond
ADMIN_OPENIDS). What must not run unchecked fails closed instead: dashboard sessions cannot be
confirmed, and admin actions that need Redis answer "暂时不可用". The outage is logged once, and
Redis is tried again every ``retry_after`` seconds, so the bot recovers by itself when Redis comes back.

A message is handled inside a ``Unit`` (``using``): what the message's first round trip read
(``bot.store.messages.Messages.claim`` with ``reads``) answers the stores' reads, and their writes
wait in the unit until ``flush`` makes them all in one MULTI/EXEC, together with the message's
reply. Outside a unit (dashboard, CLI, background work) every read and write goes to Redis at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import redis

from config.redisconn import replicated

log = logging.getLogger(__name__)

T = TypeVar("T")
Write = Callable[["Commands"], object]
GET, HGETALL, TAKE = "get", "hgetall", "take"  # how a key is read (TAKE: a list, read and emptied)
_EMPTY = {GET: None, HGETALL: {}, TAKE: []}
_FAILED = object()


class Unit:
    """One message's work with Redis: what was read for it, and the writes it leaves for one round trip.

    ``values`` answers reads of the keys it holds and sees the message's own queued writes; a read of
    any other key goes to Redis and is kept. ``restart`` forgets what a first attempt did (its writes
    and what they changed), so work moved to the background runs again on the same snapshot.
    """

    def __init__(self, snapshot: dict[str, Any] | None = None):
        self.snapshot: dict[str, Any] = dict(snapshot or {})
        self.values: dict[str, Any] = dict(self.snapshot)
        self.writes: list[Write] = []

    def restart(self) -> None:
        self.values = dict(self.snapshot)
        self.writes = []


class Commands:
    """Where a write records its commands (redis-py's pipeline calls, for the few commands stores write):
    ``Connection.flush`` sends them all in one MULTI/EXEC."""

    def __init__(self) -> None:
        self.stack: list[tuple] = []

    def set(self, name: str, value, ex: int | None = None, nx: bool = False, xx: bool = False, keepttl: bool = False):
        self.stack.append(
            (
                "SET",
                name,
                value,
                *(("EX", ex) if ex is not None else ()),
                *(("NX",) if nx else ()),
                *(("XX",) if xx else ()),
                *(("KEEPTTL",) if keepttl else ()),
            )
        )

    def delete(self, *names: str) -> None:
        self.stack.append(("DEL", *names))

    def incr(self, name: str) -> None:
        self.stack.append(("INCR", name))

    def expire(self, name: str, seconds: int, nx: bool = False) -> None:
        self.stack.append(("EXPIRE", name, seconds, *(("NX",) if nx else ())))

    def rpush(self, name: str, *values) -> None:
        self.stack.append(("RPUSH", name, *values))

    def ltrim(self, name: str, start: int, end: int) -> None:
        self.stack.append(("LTRIM", name, start, end))

    def eval(self, script: str, numkeys: int, *keys_and_args) -> None:
        self.stack.append(("EVAL", script, numkeys, *keys_and_args))


_unit: ContextVar[Unit | None] = ContextVar("caselink_store_unit", default=None)


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

    # -- reads and writes that a message's unit can answer or hold ---------------------------------
    def get(self, key: str) -> bytes | None:
        """``GET key`` (None when missing or Redis is down)."""
        return self.read([(GET, key)])[0]

    def hgetall(self, key: str) -> dict[bytes, bytes]:
        """``HGETALL key`` ({} when missing or Redis is down)."""
        return self.read([(HGETALL, key)])[0]

    def read(self, wanted: Iterable[tuple[str, str]]) -> list[Any]:
        """Several reads (``(GET|HGETALL, key)``): the unit's values, the rest in one round trip."""
        wanted = list(wanted)
        unit = _unit.get()
        known = unit.values if unit is not None else {}
        missing = [(how, key) for how, key in wanted if key not in known]
        if missing:
            found = self.call(lambda r: _fetch(r, missing), _FAILED)
            if found is _FAILED:
                return [known[k] if k in known else _EMPTY[how] for how, k in wanted]
            fetched = {key: value for (_, key), value in zip(missing, found, strict=True)}
            if unit is not None:
                unit.values.update(fetched)
            known = {**known, **fetched}
        return [known[key] for _, key in wanted]

    def take(self, key: str) -> list[bytes]:
        """The list this message's claim took (read and emptied) at ``key``; [] once taken."""
        unit = _unit.get()
        if unit is None or key not in unit.values:
            return []
        items, unit.values[key] = unit.values[key], []
        return items

    @property
    def in_unit(self) -> bool:
        """Whether a message's unit is open in this thread (writes wait for its flush)."""
        return _unit.get() is not None

    def knows(self, key: str) -> bool:
        """Whether the current unit holds ``key`` (read for this message, or written by it)."""
        unit = _unit.get()
        return unit is not None and key in unit.values

    def forget(self, *keys: str) -> None:
        """Let the next read of ``keys`` in this message go to Redis (after a write made at once)."""
        unit = _unit.get()
        if unit is not None:
            for key in keys:
                unit.values.pop(key, None)

    def write(self, fn: Write, effects: dict[str, Any] | None = None) -> bool:
        """Make a write ``fn(pipeline)``: held by the current unit (``effects``: what reads of those keys
        see now), else made at once. False when Redis is unavailable."""
        unit = _unit.get()
        if unit is not None:
            unit.writes.append(fn)
            if effects:
                unit.values.update(effects)
            return self.available
        return bool(self.call(lambda r: _run(r, [fn]), False))

    def delete(self, key: str) -> None:
        """``DEL key``; nothing to do when this message read it as missing."""
        if self.knows(key) and _unit.get().values[key] is None:
            return
        self.write(lambda p: p.delete(key), {key: None})

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

        def add(pipe) -> None:
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)  # the window starts at the first failure

        if _unit.get() is not None:
            value = self.get(key)
            if value is None and not self.available:
                return 0
            counted = int(value or 0) + 1
            self.write(add, {key: str(counted).encode()})
            return counted

        def now(r: redis.Redis) -> int:
            pipe = r.pipeline()
            add(pipe)
            return int(pipe.execute()[0])

        return self.call(now, 0)

    # -- units -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def using(self, unit: Unit) -> Iterator[Unit]:
        """Handle a message inside ``unit`` (in this thread) until the block ends."""
        token = _unit.set(unit)
        try:
            yield unit
        finally:
            _unit.reset(token)

    def flush(self, unit: Unit, *last: Write) -> bool:
        """Make the unit's writes and ``last`` in one MULTI/EXEC; False when Redis is unavailable."""
        writes, unit.writes = [*unit.writes, *last], []
        if not writes:
            return True
        return bool(self.call(lambda r: _run(r, writes), False))

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self._next_try = now + self._retry_after
            if self._down_since is None:
                self._down_since = now
                log.error("Redis 不可用，暂停翻页、去重和角色（搜索照常）：%s", exc)


def roundtrip(r: redis.Redis, commands: list[tuple]) -> list[Any]:
    """Send ``commands`` together and read every answer, in one round trip (answers that are errors
    come back as ``ResponseError`` objects). A dropped connection is retried once, as the client's own
    commands are; this is redis-py's pipeline without its per-command bookkeeping (a third of a
    message's Redis cost)."""
    pool = r.connection_pool
    for attempt in (1, 2):
        conn = pool.get_connection()
        try:
            conn.send_packed_command(conn.pack_commands(commands))
            out: list[Any] = []
            for _ in commands:
                try:
                    out.append(conn.read_response())
                except redis.ResponseError as exc:  # read every answer: the connection stays in step
                    out.append(exc)
            return out
        except (redis.ConnectionError, redis.TimeoutError):
            conn.disconnect()
            if attempt == 2:
                raise
        finally:
            pool.release(conn)
    raise AssertionError("unreachable")


def _fetch(r: redis.Redis, wanted: list[tuple[str, str]]) -> list[Any]:
    out = roundtrip(r, [("GET" if how == GET else "HGETALL", key) for how, key in wanted])
    for value in out:
        if isinstance(value, redis.ResponseError):
            raise value
    return [_pairs(v) if how == HGETALL else v for (how, _), v in zip(wanted, out, strict=True)]


def _pairs(value: Any) -> dict:
    # RESP3 answers a hash as a map, RESP2 as a flat list
    return value if isinstance(value, dict) else dict(zip(value[::2], value[1::2], strict=True))


def _run(r: redis.Redis, writes: list[Write]) -> bool:
    recorder = Commands()
    for fn in writes:
        fn(recorder)
    commands = [("MULTI",), *recorder.stack, ("EXEC",)]
    answers = roundtrip(r, commands)  # a message's state and its reply land together, or not at all
    for answer in (*answers[:-1], *(answers[-1] or ())):
        if isinstance(answer, redis.ResponseError):
            raise answer
    return True
