"""Searches in a row that found nothing direct, per user: after three the bot offers a person."""

from __future__ import annotations

from bot.store.connection import Connection

MISS_TTL = 30 * 60  # a streak ends with the conversation


class Misses:
    """``misses:<openid>``: how many weak or empty searches in a row (ephemeral)."""

    def __init__(self, db: Connection):
        self._db = db

    def key(self, openid: str) -> str:
        return self._db.key("misses", openid)

    def add(self, openid: str) -> int:
        """Count one more miss; the streak's length (0 without Redis)."""
        return self._db.count(self.key(openid), MISS_TTL)

    def clear(self, openid: str) -> None:
        """A search found something (or a person was offered): start again."""
        self._db.delete(self.key(openid))
