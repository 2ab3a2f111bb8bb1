"""The front desk's fixed answers, contact card and working hours: one JSON document, durable (no TTL).

Every worker reads it on each message, so an edit made through one worker answers through all of
them on the next message. Edits are optimistic transactions (WATCH), so two admins saving at once
never lose each other's change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis

from bot.store.connection import Connection

Change = Callable[[dict[str, Any]], dict[str, Any]]


class Answers:
    """``caselink:frontdesk:answers``: the front desk document (see ``bot.chat.frontdesk.rules``)."""

    def __init__(self, db: Connection):
        self._db = db
        self._key = db.key("frontdesk", "answers")

    @property
    def key(self) -> str:
        return self._key

    def raw(self) -> bytes | None:
        """The stored document as bytes (callers cache what they parsed by these), or None."""
        return self._db.get(self._key)

    def get(self) -> dict[str, Any] | None:
        """The stored document, or None when there is none yet (or Redis is down)."""
        raw = self.raw()
        return json.loads(raw) if raw else None

    def seed(self, document: dict[str, Any]) -> bool:
        """Store ``document`` unless one is stored already; True when it was stored now."""
        blob = json.dumps({**document, "version": 1}, ensure_ascii=False)
        self._db.forget(self._key)
        return bool(self._db.call(lambda r: r.set(self._key, blob, nx=True), False))

    def update(self, change: Change, seed: dict[str, Any]) -> dict[str, Any] | None:
        """Apply ``change`` to the stored document (``seed`` when none) atomically; None without Redis.

        ``change`` gets a copy and returns the new document; it may raise to abort (nothing is written).
        """

        def run(r: redis.Redis) -> dict[str, Any]:
            with r.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(self._key)
                        raw = pipe.get(self._key)
                        current = json.loads(raw) if raw else dict(seed)
                        updated = change(json.loads(json.dumps(current)))
                        updated["version"] = int(current.get("version") or 0) + 1
                        pipe.multi()
                        pipe.set(self._key, json.dumps(updated, ensure_ascii=False))
                        pipe.execute()
                        return updated
                    except redis.WatchError:
                        continue  # someone saved in between: apply the change to their version

        self._db.forget(self._key)
        return self._db.durable(run, None)
