"""Tokens that may be used once: an OAuth ``state`` (``bot.web.oauth``) and the like.

once:<purpose>:<hash of the token>   set on first use, kept as long as the token could be valid
"""

from __future__ import annotations

import hashlib

from bot.store.connection import Connection


class Once:
    """Claim a token the first time it is presented; later presentations are refused."""

    def __init__(self, db: Connection):
        self._db = db

    def claim(self, purpose: str, token: str, ttl: int) -> bool | None:
        """True the first time, False after that, None when Redis cannot say (treat as refused)."""
        key = self._db.key("once", purpose, hashlib.sha256(token.encode("utf-8")).hexdigest()[:40])
        return self._db.call(lambda r: bool(r.set(key, 1, nx=True, ex=ttl)), None)
