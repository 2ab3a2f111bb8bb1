"""Title patterns admins added or changed, how often each pattern was shown, and which ideas a
conversation has already seen.

    caselink:titles:patterns        hash id → pattern JSON (durable): admin additions, and edits or
                                    removals of config/titles.yaml entries (same id), merged over it
    caselink:titles:used            hash id → times shown (durable)
    caselink:titles:next            counter for new ids a1, a2 … (durable)
    caselink:titleseen:<openid>     the last request and the ids shown in this conversation (30 min)
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from bot.store.connection import Connection

SEEN_TTL = 30 * 60  # a conversation: 30 minutes of silence starts a new one
MAX_SEEN = 200


class Titles:
    """The durable title-pattern changes and usage counts, and per-conversation seen ideas."""

    def __init__(self, db: Connection):
        self._db = db
        self._patterns = db.key("titles", "patterns")
        self._used = db.key("titles", "used")

    def patterns(self) -> dict[str, dict[str, Any]]:
        """Every stored pattern change by id (``{"text", "style", "platforms", "numbers", "removed", …}``)."""
        raw = self._db.call(lambda r: r.hgetall(self._patterns), {})
        return {k.decode("utf-8"): json.loads(v) for k, v in raw.items()}

    def new_id(self) -> str | None:
        """A fresh id for an added pattern (``a1``, ``a2`` …); None without Redis."""
        number = self._db.call(lambda r: r.incr(self._db.key("titles", "next")), None)
        return f"a{number}" if number else None

    def save(self, pattern_id: str, entry: dict[str, Any], by: str) -> bool:
        """Store a pattern (new, edited or marked removed); False when Redis is unavailable."""
        blob = json.dumps({**entry, "by": by, "at": int(time.time())}, ensure_ascii=False)
        return bool(self._db.durable(lambda r: r.hset(self._patterns, pattern_id, blob) >= 0, False))

    def forget(self, pattern_id: str) -> bool:
        """Drop a stored change (an added pattern is gone; a YAML one is back as shipped)."""
        return bool(self._db.durable(lambda r: r.hdel(self._patterns, pattern_id), False))

    def count_used(self, pattern_ids: list[str]) -> None:
        """Count one showing of each pattern."""

        def count(r: redis.Redis) -> None:
            pipe = r.pipeline()
            for pattern_id in pattern_ids:
                pipe.hincrby(self._used, pattern_id, 1)
            pipe.execute()

        if pattern_ids:
            self._db.call(count, None)

    def usage(self) -> dict[str, int]:
        """How often each pattern was shown."""
        raw = self._db.call(lambda r: r.hgetall(self._used), {})
        return {k.decode("utf-8"): int(v) for k, v in raw.items()}

    def seen(self, openid: str) -> dict[str, Any] | None:
        """The user's last title request and the pattern ids shown since (``{"request", "shown"}``)."""
        raw = self._db.call(lambda r: r.get(self._db.key("titleseen", openid)), None)
        return json.loads(raw) if raw else None

    def remember(self, openid: str, request: dict[str, str], shown: list[str]) -> bool:
        """Keep what this conversation has seen (for 换一批); False when Redis is unavailable."""
        blob = json.dumps({"request": request, "shown": shown[-MAX_SEEN:]}, ensure_ascii=False)
        key = self._db.key("titleseen", openid)
        return bool(self._db.call(lambda r: r.set(key, blob, ex=SEEN_TTL), False))
