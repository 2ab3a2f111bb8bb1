"""Dashboard logins kept on the server, so that logging out (or a new ADMIN_TOKEN) really ends them.

The browser's signed cookie holds only a random session id; Redis holds, under a hash of that id,
when the session began, when it was last used and which ADMIN_TOKEN opened it. A session ends when
it is logged out (the record is deleted), after ``SESSION_IDLE`` seconds unused, ``SESSION_MAX``
seconds after the login, or when ADMIN_TOKEN changes. Without Redis no session can be checked:
``check`` says so (None) and the dashboard refuses rather than trusting the cookie alone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import redis

from bot.store.connection import Connection

SESSION_IDLE = 60 * 60  # an unused dashboard session ends after an hour
SESSION_MAX = 12 * 3600  # and every session ends 12 hours after the login
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class AdminSessions:
    """Open, check and close dashboard sessions (see the module docstring)."""

    def __init__(self, db: Connection):
        self._db = db

    def _key(self, session_id: str) -> str:
        # Only a hash of the id is stored: a copy of Redis (or a backup) opens no session.
        return self._db.key("adminsession", hashlib.sha256(session_id.encode("ascii")).hexdigest()[:40])

    def open(self, fingerprint: str) -> str | None:
        """Start a session for the holder of ADMIN_TOKEN (``fingerprint``); None when Redis is unavailable."""
        session_id = secrets.token_urlsafe(32)
        now = int(time.time())

        def start(r: redis.Redis) -> bool:
            pipe = r.pipeline()
            pipe.hset(self._key(session_id), mapping={"created": now, "last": now, "fp": fingerprint})
            pipe.expire(self._key(session_id), SESSION_IDLE)
            pipe.execute()
            return True

        return session_id if self._db.call(start, False) else None

    def check(self, session_id: str, fingerprint: str) -> bool | None:
        """Whether the session is open (and mark it used); None when Redis cannot be asked."""
        if not SESSION_ID.match(session_id):
            return False
        key = self._key(session_id)

        def read(r: redis.Redis) -> bool:
            record = {k.decode("utf-8"): v.decode("utf-8") for k, v in r.hgetall(key).items()}
            now = int(time.time())
            try:
                created, last = int(record["created"]), int(record["last"])
            except (KeyError, ValueError):
                return False
            current = hmac.compare_digest(record.get("fp", "").encode("utf-8"), fingerprint.encode("utf-8"))
            if not current or now - last > SESSION_IDLE or not 0 <= now - created < SESSION_MAX:
                r.delete(key)  # ADMIN_TOKEN changed, or the session ran out
                return False
            pipe = r.pipeline()
            pipe.hset(key, "last", now)
            pipe.expire(key, max(1, min(SESSION_IDLE, created + SESSION_MAX - now)))
            pipe.execute()
            return True

        return self._db.call(read, None)

    def close(self, session_id: str) -> bool:
        """End a session (logout); False when Redis is unavailable (it then ends by its idle timeout)."""
        if not SESSION_ID.match(session_id):
            return True
        return bool(self._db.call(lambda r: r.delete(self._key(session_id)) >= 0, False))
