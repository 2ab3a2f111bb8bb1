"""Open flows: a form being filled in or a question the bot asked, one per user (``bot.chat.router``)."""

from __future__ import annotations

import json
from typing import Any

from bot.store.connection import Connection

FLOW_TTL = 30 * 60  # 30 minutes of silence closes a flow


class Flows:
    """The flow a user is in (``{"name", "data"}``), if any; it ends by itself after ``ttl`` seconds."""

    def __init__(self, db: Connection):
        self._db = db

    def get(self, openid: str) -> dict[str, Any] | None:
        """The user's open flow, or None."""
        raw = self._db.call(lambda r: r.get(self._db.key("flow", openid)), None)
        return json.loads(raw) if raw else None

    def start(self, openid: str, name: str, data: dict[str, Any], ttl: int = FLOW_TTL) -> bool:
        """Open (or move on) the user's flow; False when Redis is unavailable."""
        blob = json.dumps({"name": name, "data": data}, ensure_ascii=False)
        return bool(self._db.call(lambda r: r.set(self._db.key("flow", openid), blob, ex=ttl), False))

    def end(self, openid: str) -> None:
        """Close the user's flow."""
        self._db.call(lambda r: r.delete(self._db.key("flow", openid)), None)
