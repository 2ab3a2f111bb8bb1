"""The conversation: a user's last search or listing and what was shown of it."""

from __future__ import annotations

import json
from typing import Any

from bot.store.connection import Connection

SESSION_TTL = 30 * 60  # a conversation (last search, its pages) lives 30 minutes
LISTED_TTL = 7 * 86400  # how long "you had a list, it expired" is remembered (a number sent later says so)


class Sessions:
    """One conversation per user, kept 30 minutes."""

    def __init__(self, db: Connection):
        self._db = db

    def get(self, openid: str) -> dict[str, Any] | None:
        """The user's current conversation (last search and what was shown), if any."""
        raw = self._db.call(lambda r: r.get(self._db.key("session", openid)), None)
        return json.loads(raw) if raw else None

    def save(self, openid: str, data: dict[str, Any]) -> bool:
        """Store the user's conversation for 30 minutes; False when Redis is unavailable."""
        blob = json.dumps(data, ensure_ascii=False)

        def store(r) -> bool:
            pipe = r.pipeline(transaction=False)
            pipe.set(self._db.key("session", openid), blob, ex=SESSION_TTL)
            pipe.set(self._db.key("listed", openid), 1, ex=LISTED_TTL)
            return bool(pipe.execute()[0])

        return bool(self._db.call(store, False))

    def had_list(self, openid: str) -> bool:
        """Whether the user was shown a list in the last week (so a number now means one that expired)."""
        return bool(self._db.call(lambda r: r.exists(self._db.key("listed", openid)), False))
