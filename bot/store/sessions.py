"""The conversation: a user's last search or listing and what was shown of it."""

from __future__ import annotations

import json
from typing import Any

from bot.store.connection import Connection

SESSION_TTL = 30 * 60  # a conversation (last search, its pages) lives 30 minutes


class Sessions:
    """One conversation per user, kept 30 minutes."""

    def __init__(self, db: Connection):
        self._db = db

    def key(self, openid: str) -> str:
        return self._db.key("session", openid)

    def get(self, openid: str) -> dict[str, Any] | None:
        """The user's current conversation (last search and what was shown), if any."""
        raw = self._db.get(self.key(openid))
        return json.loads(raw) if raw else None

    def save(self, openid: str, data: dict[str, Any]) -> bool:
        """Store the user's conversation for 30 minutes; False when Redis is unavailable."""
        key, blob = self.key(openid), json.dumps(data, ensure_ascii=False)
        return self._db.write(lambda p: p.set(key, blob, ex=SESSION_TTL), {key: blob.encode("utf-8")})
