"""Background index builds (``bot.buildjob``): who is building, progress and the last result."""

from __future__ import annotations

import json
from typing import Any

import redis

from bot.store.connection import Connection

BUILD_FLAG_TTL = 10 * 60  # a running background build refreshes its flag; a dead worker's flag expires
BUILD_RECORD_TTL = 30 * 86400


class Builds:
    """One running build per index scope, its progress record and its final record."""

    def __init__(self, db: Connection):
        self._db = db

    def claim(self, scope: str, record: dict[str, Any]) -> bool | None:
        """Flag a background build of ``scope`` as running and store its record.

        False when a build already holds the flag; None when Redis is unavailable.
        """

        def claim(r: redis.Redis) -> bool:
            if not r.set(self._db.key("build", scope, "flag"), record["run"], nx=True, ex=BUILD_FLAG_TTL):
                return False
            r.set(self._db.key("build", scope), json.dumps(record, ensure_ascii=False), ex=BUILD_RECORD_TTL)
            return True

        return self._db.call(claim, None)

    def save(self, scope: str, record: dict[str, Any]) -> None:
        """Store a running build's progress and keep its flag alive."""

        def save(r: redis.Redis) -> None:
            pipe = r.pipeline()
            pipe.set(self._db.key("build", scope), json.dumps(record, ensure_ascii=False), ex=BUILD_RECORD_TTL)
            pipe.expire(self._db.key("build", scope, "flag"), BUILD_FLAG_TTL)
            pipe.execute()

        self._db.call(save, None)

    def release(self, scope: str, record: dict[str, Any]) -> None:
        """Store a build's final record and drop its flag (only if the flag is still this build's)."""

        def release(r: redis.Redis) -> None:
            r.set(self._db.key("build", scope), json.dumps(record, ensure_ascii=False), ex=BUILD_RECORD_TTL)
            flag = self._db.key("build", scope, "flag")
            with r.pipeline() as pipe:
                try:
                    pipe.watch(flag)
                    if pipe.get(flag) == record["run"].encode("utf-8"):
                        pipe.multi()
                        pipe.delete(flag)
                        pipe.execute()
                except redis.WatchError:
                    pass  # the flag changed hands meanwhile: it is not ours to delete

        self._db.call(release, None)

    def record(self, scope: str) -> dict[str, Any] | None:
        """The last background build of ``scope`` with ``alive``: whether its flag is still held."""

        def read(r: redis.Redis) -> dict[str, Any] | None:
            raw, flag = r.mget([self._db.key("build", scope), self._db.key("build", scope, "flag")])
            if raw is None:
                return None
            record = json.loads(raw)
            record["alive"] = flag is not None and flag.decode("utf-8") == record.get("run")
            return record

        return self._db.call(read, None)
