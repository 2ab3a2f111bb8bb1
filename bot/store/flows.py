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

    def key(self, openid: str) -> str:
        return self._db.key("flow", openid)

    def get(self, openid: str) -> dict[str, Any] | None:
        """The user's open flow, or None."""
        raw = self._db.get(self.key(openid))
        return json.loads(raw) if raw else None

    def start(self, openid: str, name: str, data: dict[str, Any], ttl: int = FLOW_TTL) -> bool:
        """Open (or move on) the user's flow; False when Redis is unavailable."""
        key, blob = self.key(openid), json.dumps({"name": name, "data": data}, ensure_ascii=False)
        return self._db.write(lambda p: p.set(key, blob, ex=ttl), {key: blob.encode("utf-8")})

    def end(self, openid: str) -> None:
        """Close the user's flow."""
        self._db.delete(self.key(openid))
