"""Failed dashboard logins, counted per client address."""

from __future__ import annotations

from bot.store.connection import Connection

LOGIN_FAILURE_TTL = 10 * 60  # failed dashboard logins are counted per client for 10 minutes


class Logins:
    """Wrong ADMIN_TOKEN attempts per client address in a 10-minute window."""

    def __init__(self, db: Connection):
        self._db = db

    def failures(self, client: str) -> int:
        """How many wrong dashboard tokens came from this client address in the last 10 minutes."""
        raw = self._db.call(lambda r: r.get(self._db.key("loginfail", client)), None)
        return int(raw) if raw else 0

    def add_failure(self, client: str) -> int:
        """Count one more wrong dashboard token from this client address."""
        return self._db.count(self._db.key("loginfail", client), LOGIN_FAILURE_TTL)
