"""What the bot was taught, in Redis: admins' rules (rewrites, pins) and the picks users made.

caselink:rules:all              hash, rule id → JSON rule (``bot.teaching`` says what is in it); durable
caselink:rules:version          raised by every change; each worker keeps the rules it compiled and
                                reads them again only when this moved (one GET per search)
caselink:rules:picks:<key>      hash, document id → "score time": picks for one query key, decayed
                                to that time; dropped 90 days after its last pick
caselink:rules:picked           zset, query key → time of its last pick: bounds how many are kept
caselink:rules:seen:<user>:<h>  one pick counted per user, query and document a day
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import redis

from bot.store.connection import Connection

T = TypeVar("T")
PICK_HALF_LIFE = 14 * 86400  # a pick counts half after two weeks, a sixteenth after two months
PICKS_TTL = 90 * 86400
PICK_ONCE_PER = 86400  # the same user picking the same result again the same day counts once
MAX_PICKED_QUERIES = 5000
MAX_PICKED_DOCS = 20  # per query
_MISSING = object()


def decayed(raw: bytes | str | None, now: float) -> float:
    """A stored "score time" pair as it counts at ``now``."""
    if not raw:
        return 0.0
    score, _, at = (raw.decode() if isinstance(raw, bytes) else raw).partition(" ")
    return float(score) * 0.5 ** (max(0.0, now - float(at or now)) / PICK_HALF_LIFE)


class Rules:
    """Taught rules (durable, versioned, cached per worker) and pick feedback per query key."""

    def __init__(self, db: Connection, max_queries: int = MAX_PICKED_QUERIES, max_docs: int = MAX_PICKED_DOCS):
        self._db = db
        self._max_queries, self._max_docs = max_queries, max_docs
        self._lock = threading.Lock()
        self._cached: tuple[object, Any] | None = None  # (version read, compiled rules)

    def _key(self, *parts: str) -> str:
        return self._db.key("rules", *parts)

    # -- rules -------------------------------------------------------------------------------
    def all(self) -> list[dict[str, Any]]:
        """Every rule, newest first."""
        raw = self._db.call(lambda r: r.hvals(self._key("all")), [])
        return sorted((json.loads(v) for v in raw), key=lambda rule: -rule.get("at", 0))

    def put(self, rules: Iterable[dict[str, Any]], *, replace: bool = False) -> bool:
        """Store rules under their ``id`` (all or none); with ``replace`` drop every other rule first."""
        fields = {rule["id"]: json.dumps(rule, ensure_ascii=False) for rule in rules}

        def write(r: redis.Redis) -> bool:
            pipe = r.pipeline()  # MULTI/EXEC: other workers see the old rules or the new ones
            if replace:
                pipe.delete(self._key("all"))
            if fields:
                pipe.hset(self._key("all"), mapping=fields)
            pipe.incr(self._key("version"))
            pipe.execute()
            return True

        return bool(self._db.durable(write, False))

    def remove(self, rule_ids: Iterable[str]) -> int:
        """Delete rules by id; how many existed (0 also when Redis is unavailable)."""
        ids = list(rule_ids)
        if not ids:
            return 0

        def delete(r: redis.Redis) -> int:
            pipe = r.pipeline()
            pipe.hdel(self._key("all"), *ids)
            pipe.incr(self._key("version"))
            return int(pipe.execute()[0])

        return self._db.durable(delete, 0)

    def count(self) -> int:
        """How many rules there are."""
        return self._db.call(lambda r: r.hlen(self._key("all")), 0)

    def load(self, compile: Callable[[list[dict[str, Any]]], T], picks_for: str = "", now: float | None = None):
        """``(compile(rules), picks)``: the rules as this worker compiled them, re-read only when another
        worker changed them, and the decayed picks of query key ``picks_for`` (one round trip).

        Without Redis the last compiled rules stay in force and no picks are known.
        """
        now = time.time() if now is None else now

        def read(r: redis.Redis) -> tuple[bytes | None, dict]:
            pipe = r.pipeline(transaction=False)
            pipe.get(self._key("version"))
            if picks_for:
                pipe.hgetall(self._key("picks", picks_for))
            out = pipe.execute()
            return out[0], (out[1] if picks_for else {})

        version, raw = self._db.call(read, (_MISSING, {}))
        picks = {doc.decode("utf-8"): decayed(value, now) for doc, value in raw.items()}
        cached = self._cached
        if cached is not None and (version is _MISSING or cached[0] == version):
            return cached[1], picks
        with self._lock:
            if self._cached is None or self._cached[0] != version:
                self._cached = self._compiled(compile)
            return self._cached[1], picks

    def _compiled(self, compile: Callable[[list[dict[str, Any]]], T]) -> tuple[object, T]:
        def read(r: redis.Redis) -> tuple[bytes | None, list[bytes]]:
            pipe = r.pipeline()  # the version and the rules it stands for, together
            pipe.get(self._key("version"))
            pipe.hvals(self._key("all"))
            version, values = pipe.execute()
            return version, values

        found = self._db.call(read, None)
        if found is None:  # keep what we had; try again on the next search
            return self._cached or (_MISSING, compile([]))
        return found[0], compile([json.loads(v) for v in found[1]])

    # -- picks -------------------------------------------------------------------------------
    def record_pick(self, query_key: str, doc_id: str, user: str, now: float | None = None) -> bool:
        """Count that ``user`` opened ``doc_id`` from the results of ``query_key``; False when not counted."""
        now = time.time() if now is None else now
        digest = hashlib.sha1(f"{query_key}\0{doc_id}".encode()).hexdigest()[:16]
        seen = self._db.key("pickseen", user, digest)
        picks, index = self._key("picks", query_key), self._key("picked")

        def add(r: redis.Redis) -> bool:
            if not r.set(seen, 1, nx=True, ex=PICK_ONCE_PER):
                return False

            def update(pipe: redis.client.Pipeline) -> None:
                score = decayed(pipe.hget(picks, doc_id), now) + 1.0
                pipe.multi()
                pipe.hset(picks, doc_id, f"{score:.6f} {now:.0f}")
                pipe.expire(picks, PICKS_TTL)
                pipe.zadd(index, {query_key: now})

            r.transaction(update, picks)  # WATCH: two workers counting at once both count
            self._bound(r, picks, index, now)
            return True

        return bool(self._db.call(add, False))

    def picks(self, query_key: str, now: float | None = None) -> dict[str, float]:
        """Decayed pick counts by document id for one query key."""
        now = time.time() if now is None else now
        raw = self._db.call(lambda r: r.hgetall(self._key("picks", query_key)), {})
        return {doc.decode("utf-8"): decayed(value, now) for doc, value in raw.items()}

    def _bound(self, r: redis.Redis, picks: str, index: str, now: float) -> None:
        docs, queries = r.hlen(picks), r.zcard(index)
        if docs > self._max_docs:
            scores = {d: decayed(v, now) for d, v in r.hgetall(picks).items()}
            weakest = sorted(scores, key=scores.get)[: docs - self._max_docs]
            r.hdel(picks, *weakest)
        if queries > self._max_queries:
            for member, _ in r.zpopmin(index, queries - self._max_queries):
                r.delete(self._key("picks", member.decode("utf-8")))
