"""Leads from the chat form: durable (never a TTL), numbered, with status, handler and notes.

Keys: ``leads:seq`` (the last number), ``leads:item:<n>`` (JSON), ``leads:index`` (zset by time),
``leads:new`` (numbers still new: the dashboard's badge) — all durable; and, expiring after 24 h,
``leadlimit:rate:<openid>`` (a user's submissions) and ``leadlimit:dup:<hash>`` (the same contact and need).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import redis

from bot.store.connection import Connection

STATUSES = {"new": "新线索", "contacted": "已联系", "closed": "已关闭"}
WINDOW = 86400  # rate limit and duplicate suppression: 24 hours
MAX_LISTED = 500


class Leads:
    """Leads and the counters that keep spam out."""

    def __init__(self, db: Connection):
        self._db = db

    def _key(self, *parts: str) -> str:
        return self._db.key("leads", *parts)

    def add(self, lead: dict[str, Any]) -> dict[str, Any] | None:
        """Store a new lead (status new); return it with its number, or None without Redis."""

        def store(r: redis.Redis) -> dict[str, Any]:
            number = str(r.incr(self._key("seq")))
            now = int(time.time())
            saved = {**lead, "id": number, "status": "new", "created_at": now, "updated_at": now}
            pipe = r.pipeline()
            pipe.set(self._key("item", number), json.dumps(saved, ensure_ascii=False))
            pipe.zadd(self._key("index"), {number: now})
            pipe.sadd(self._key("new"), number)
            pipe.execute()
            return saved

        return self._db.durable(store, None)

    def get(self, number: str) -> dict[str, Any] | None:
        """One lead by number."""
        raw = self._db.call(lambda r: r.get(self._key("item", number)), None)
        return json.loads(raw) if raw else None

    def recent(self, status: str | None = None, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """Leads, newest first (optionally only one status)."""

        def read(r: redis.Redis) -> list[dict[str, Any]]:
            numbers = [n.decode("utf-8") for n in r.zrevrange(self._key("index"), 0, MAX_LISTED - 1)]
            blobs = r.mget([self._key("item", n) for n in numbers]) if numbers else []
            leads = [json.loads(b) for b in blobs if b]
            return [x for x in leads if status is None or x.get("status") == status][:limit]

        return self._db.call(read, [])

    def update(self, number: str, **changes: str) -> dict[str, Any] | None:
        """Change status, handler or notes; return the lead, or None when it does not exist."""
        key = self._key("item", number)

        def change(r: redis.Redis) -> dict[str, Any] | None:
            with r.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(key)
                        raw = pipe.get(key)
                        if not raw:
                            return None
                        lead = {**json.loads(raw), **changes, "updated_at": int(time.time())}
                        pipe.multi()
                        pipe.set(key, json.dumps(lead, ensure_ascii=False))
                        if lead.get("status") == "new":
                            pipe.sadd(self._key("new"), number)
                        else:
                            pipe.srem(self._key("new"), number)
                        pipe.execute()
                        return lead
                    except redis.WatchError:
                        continue

        return self._db.durable(change, None)

    def count_new(self) -> int:
        """How many leads nobody has handled yet (the dashboard's badge)."""
        return int(self._db.call(lambda r: r.scard(self._key("new")), 0))

    def submissions(self, openid: str) -> int:
        """Leads this user submitted in the last 24 hours."""
        raw = self._db.call(lambda r: r.get(self._db.key("leadlimit", "rate", openid)), None)
        return int(raw) if raw else 0

    def count_submission(self, openid: str) -> int:
        """Count one more submission by this user (the window starts at the first)."""
        return self._db.count(self._db.key("leadlimit", "rate", openid), WINDOW)

    def first_time(self, openid: str, contact: str, need: str) -> bool:
        """True unless this user sent the same contact and need in the last 24 hours."""
        digest = hashlib.sha256(f"{openid}\n{contact}\n{need.lower()}".encode()).hexdigest()[:32]
        key = self._db.key("leadlimit", "dup", digest)
        return bool(self._db.call(lambda r: r.set(key, 1, nx=True, ex=WINDOW), True))
