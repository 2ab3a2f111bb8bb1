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

    def key(self, openid: str) -> str:
        return self._db.key("session", openid)

    def get(self, openid: str) -> dict[str, Any] | None:
        """The user's current conversation (last search and what was shown), if any."""
        raw = self._db.get(self.key(openid))
        return json.loads(raw) if raw else None

    def save(self, openid: str, data: dict[str, Any]) -> bool:
        """Store the user's conversation for 30 minutes; False when Redis is unavailable."""
        key, listed, blob = self.key(openid), self._db.key("listed", openid), json.dumps(data, ensure_ascii=False)

        def store(pipe) -> None:
            pipe.set(key, blob, ex=SESSION_TTL)
            pipe.set(listed, 1, ex=LISTED_TTL)

        return self._db.write(store, {key: blob.encode("utf-8"), listed: b"1"})

    def had_list(self, openid: str) -> bool:
        """Whether the user was shown a list in the last week (so a number now means one that expired)."""
        return self._db.get(self._db.key("listed", openid)) is not None
