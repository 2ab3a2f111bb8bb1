"""What the bot was taught, in Redis: admins' rules (rewrites, pins) and the picks users made.

caselink:rules:all              hash, rule id → JSON rule (``bot.teaching`` says what is in it); durable
caselink:rules:version          raised by every change; each worker keeps the rules it compiled and
                                reads them again only when this moved (one GET per search)
caselink:rules:picks:<key>      hash, document id → "score time": picks for one query key, decayed
                                to that time; dropped 90 days after its last pick
caselink:rules:picked           zset, query key → time of its last pick: bounds how many are kept
caselink:pickseen:<user>:<h>    one pick counted per user, query and document a day
caselink:rules:docpicks         hash, document id → times it was picked from any list (durable: the
                                content page's 选中 column); one a day per user and document, counted
                                under ``pickseen:<user>:doc:<h>``
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import redis

from bot.store.connection import GET, HGETALL, Connection

T = TypeVar("T")
PICK_HALF_LIFE = 14 * 86400  # a pick counts half after two weeks, a sixteenth after two months
PICKS_TTL = 90 * 86400
PICK_ONCE_PER = 86400  # the same user picking the same result again the same day counts once
MAX_PICKED_QUERIES = 5000
MAX_PICKED_DOCS = 20  # per query
_MISSING = object()
# One pick, atomically (two workers counting at once both count), as ``decayed`` computes it; then the
# bounds: the weakest documents of this query, and the queries picked least recently (their keys are
# named from ARGV[8], so this script is for one Redis, not a cluster).
# KEYS: seen, picks, picked; ARGV: doc, now, once per, picks TTL, half-life, max docs, max queries, prefix
RECORD_PICK = """
local now, half = tonumber(ARGV[2]), tonumber(ARGV[5])
local function decayed(raw)
  if not raw then return 0 end
  local score, at = string.match(raw, '^(%S+) ?(%S*)$')
  local since = now - (tonumber(at) or now)
  if since < 0 then since = 0 end
  return tonumber(score) * 0.5 ^ (since / half)
end
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[3]) then return 0 end
local score = decayed(redis.call('HGET', KEYS[2], ARGV[1])) + 1
redis.call('HSET', KEYS[2], ARGV[1], string.format('%.6f %.0f', score, now))
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], now, string.sub(KEYS[2], #ARGV[8] + 1))
local extra = redis.call('HLEN', KEYS[2]) - tonumber(ARGV[6])
if extra > 0 then
  local flat, docs = redis.call('HGETALL', KEYS[2]), {}
  for i = 1, #flat, 2 do docs[#docs + 1] = {flat[i], decayed(flat[i + 1])} end
  table.sort(docs, function(a, b) return a[2] < b[2] end)
  for i = 1, extra do redis.call('HDEL', KEYS[2], docs[i][1]) end
end
extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[7])
if extra > 0 then
  local gone = redis.call('ZPOPMIN', KEYS[3], extra)
  for i = 1, #gone, 2 do redis.call('DEL', ARGV[8] .. gone[i]) end
end
return 1
"""


# One pick of a document from any list (search, 最新, #tag), once a day per user and document.
# KEYS: seen, docpicks; ARGV: doc, once per
RECORD_DOC_PICK = """
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[2]) then return 0 end
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
"""


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

        self._db.forget(self._key("version"))
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

        self._db.forget(self._key("version"))
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
        wanted = [(GET, self._key("version"))] + ([(HGETALL, self.picks_key(picks_for))] if picks_for else [])
        found = self._db.read(wanted)  # what the message's first round trip read, else one round trip
        version = found[0] if self._db.available else _MISSING
        raw = found[1] if picks_for else {}
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

        keys = [seen, picks, index]
        args = [doc_id, repr(now), PICK_ONCE_PER, PICKS_TTL, PICK_HALF_LIFE, self._max_docs, self._max_queries]
        args.append(self._key("picks", ""))
        if self._db.in_unit:  # with the message's other writes
            return self._db.write(lambda pipe: pipe.eval(RECORD_PICK, len(keys), *keys, *args))
        return bool(self._db.call(lambda r: r.eval(RECORD_PICK, len(keys), *keys, *args), False))

    def record_doc_pick(self, doc_id: str, user: str) -> bool:
        """Count that ``user`` picked ``doc_id`` from a list (once a day); False without Redis."""
        digest = hashlib.sha1(doc_id.encode()).hexdigest()[:16]
        keys = [self._db.key("pickseen", user, "doc", digest), self._key("docpicks")]
        args = [doc_id, PICK_ONCE_PER]
        if self._db.in_unit:  # with the message's other writes
            return self._db.write(lambda pipe: pipe.eval(RECORD_DOC_PICK, len(keys), *keys, *args))
        return self._db.call(lambda r: r.eval(RECORD_DOC_PICK, len(keys), *keys, *args), None) is not None

    def doc_picks(self) -> dict[str, int]:
        """How often each document was picked from a list, by document id ({} without Redis)."""
        raw = self._db.call(lambda r: r.hgetall(self._key("docpicks")), {})
        return {doc.decode("utf-8"): int(count) for doc, count in raw.items()}

    def picks(self, query_key: str, now: float | None = None) -> dict[str, float]:
        """Decayed pick counts by document id for one query key."""
        now = time.time() if now is None else now
        raw = self._db.call(lambda r: r.hgetall(self._key("picks", query_key)), {})
        return {doc.decode("utf-8"): decayed(value, now) for doc, value in raw.items()}

    def picks_key(self, query_key: str) -> str:
        return self._key("picks", query_key)

    @property
    def version_key(self) -> str:
        return self._key("version")
