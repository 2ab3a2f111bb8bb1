"""Limits on guessing invite codes: per user and across all users, checked and counted in one step.

    bindfail:<openid>   this user's attempts that did not bind, in the hour since their first
    bindguess           everyone's, in the hour since the first

An attempt is counted *before* the code is tried (INCR is atomic), and given back when it
binds or is refused: so of 40 guesses sent at once by one user, exactly ``PER_USER`` are tried,
and however many users guess together, at most ``GLOBAL`` codes an hour are tried in all.
"""

from __future__ import annotations

import redis

from bot.store.connection import Connection

ATTEMPT_TTL = 3600
PER_USER = 5  # 31^6 codes: five tries an hour make guessing one hopeless
GLOBAL = 30  # wrong codes an hour from everyone together (many accounts, or forged senders)
ALLOWED, TOO_MANY = "allowed", "too-many"


class BindAttempts:
    """Claim an attempt before trying a code; give it back when the code was right."""

    def __init__(self, db: Connection):
        self._db = db

    def _keys(self, openid: str) -> tuple[str, str]:
        return self._db.key("bindfail", openid), self._db.key("bindguess")

    def claim(self, openid: str) -> str | None:
        """ALLOWED (try the code), TOO_MANY (limit reached: nothing tried), or None without Redis."""
        mine, everyone = self._keys(openid)

        def claim(r: redis.Redis) -> str:
            pipe = r.pipeline()  # MULTI/EXEC: both counters move together
            pipe.incr(mine)
            pipe.expire(mine, ATTEMPT_TTL, nx=True)
            pipe.incr(everyone)
            pipe.expire(everyone, ATTEMPT_TTL, nx=True)
            own, _, total, _ = pipe.execute()
            if own <= PER_USER and total <= GLOBAL:
                return ALLOWED
            self._give_back(r, mine, everyone)  # a refused attempt tries nothing, so it does not count
            return TOO_MANY

        return self._db.call(claim, None)

    def release(self, openid: str) -> None:
        """Give back a claimed attempt whose code was right (binding is not guessing)."""
        mine, everyone = self._keys(openid)
        self._db.call(lambda r: self._give_back(r, mine, everyone), None)

    def used(self, openid: str) -> int:
        """How many wrong codes this user sent in the current hour."""
        raw = self._db.call(lambda r: r.get(self._keys(openid)[0]), None)
        return int(raw) if raw else 0

    @staticmethod
    def _give_back(r: redis.Redis, *keys: str) -> None:
        pipe = r.pipeline()
        for key in keys:
            pipe.decr(key)
            pipe.expire(key, ATTEMPT_TTL, nx=True)  # a key that expired meanwhile must not live forever
        pipe.execute()
