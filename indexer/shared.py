"""Content state every node shares through Redis (DESIGN.md "Scale"): the documents admins forwarded
from WeChat, the documents taken back, and per-document overrides (``indexer.overrides``).

Any node rebuilds its index from the content source plus this state and gets the same answers, so
nothing here lives in one node's index directory. Keys (durable, no TTL), under the bot's prefix::

    caselink:content:forwarded   hash  doc id -> {"doc": Document, "by": openid, "at": epoch}
    caselink:content:withdrawn   hash  doc id -> {"title", "by", "at"}   (hidden everywhere at once)
    caselink:content:overrides   hash  doc id -> {"hidden"?, "visibility"?, "kind"?, "by", "at"}
    caselink:content:version     counter, raised by every change (searchers reload on a new value)

Every write is one atomic command or MULTI/EXEC, so two admins forwarding at once both keep theirs.
A Redis error becomes ``SharedUnavailable``: a build stops rather than index without this state
(a hidden document would come back).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from config.errors import CaseLinkError
from indexer.document import Document

NAMESPACE = "content"
DEFAULT_PREFIX = "caselink:"

T = TypeVar("T")


class SharedUnavailable(CaseLinkError):
    """Redis, where forwarded documents and content overrides live, did not answer."""

    def __init__(self, detail: str = ""):
        super().__init__("Redis 不可用：转发的文章和内容设置暂时读写不了，请检查 REDIS_URL 后再试" + detail)


@dataclass(frozen=True)
class Forwarded:
    """A document an admin forwarded, who forwarded it and when (epoch seconds)."""

    doc: Document
    by: str = ""
    at: float = 0.0


class SharedContent:
    """The shared content state over one Redis client (real, or the bot's in-process stand-in)."""

    def __init__(self, client, prefix: str = DEFAULT_PREFIX, wait_replicas: int = 0, wait_timeout_ms: int = 500):
        self.redis = client
        self.prefix = prefix
        # With Sentinel a write counts once replicas hold it (config.redisconn.replicated).
        self._wait = (wait_replicas, wait_timeout_ms)

    @classmethod
    def connect(cls, settings) -> SharedContent | None:
        """The state in the configured Redis (REDIS_URL or Sentinel), or None without one."""
        from config.redisconn import connect

        client = connect(settings)
        if client is None:
            return None
        return cls(client, wait_replicas=settings.redis_wait_replicas, wait_timeout_ms=settings.redis_wait_timeout_ms)

    def key(self, name: str) -> str:
        """``forwarded`` → ``caselink:content:forwarded``."""
        return f"{self.prefix}{NAMESPACE}:{name}"

    def _write(self, fn: Callable[[Any], T]) -> T:
        """``_call`` for a write, which counts only once the replicas confirm it (when asked to)."""
        from config.redisconn import replicated

        result = self._call(fn)
        if not self._call(lambda r: replicated(r, self.prefix + "sync", *self._wait)):
            raise SharedUnavailable("（副本没有确认这次写入）")
        return result

    def _call(self, fn: Callable[[Any], T]) -> T:
        import redis

        try:
            return fn(self.redis)
        except redis.RedisError as exc:
            raise SharedUnavailable(f"（{type(exc).__name__}）") from exc

    # -- forwarded documents ---------------------------------------------------------------
    def add_forwarded(self, doc: Document, by: str = "") -> None:
        """Keep ``doc`` (replacing one with its id); it is no longer a withdrawn document."""
        blob = json.dumps({"doc": doc.to_dict(), "by": by, "at": time.time()}, ensure_ascii=False)

        def write(r) -> None:
            pipe = r.pipeline()  # MULTI/EXEC
            pipe.hset(self.key("forwarded"), doc.id, blob)
            pipe.hdel(self.key("withdrawn"), doc.id)
            pipe.incr(self.key("version"))
            pipe.execute()

        self._write(write)

    def forwarded(self) -> list[Forwarded]:
        """Every forwarded document, newest first (damaged entries are skipped)."""
        raw = self._call(lambda r: r.hgetall(self.key("forwarded")))
        items = []
        for value in raw.values():
            try:
                data = json.loads(value)
                items.append(Forwarded(Document.from_dict(data["doc"]), str(data.get("by", "")), float(data["at"])))
            except (ValueError, TypeError, KeyError):
                continue
        return sorted(items, key=lambda item: item.at, reverse=True)

    def withdraw(self, doc_id: str, by: str = "") -> Forwarded | None:
        """Take a forwarded document back: gone from the next build, hidden from every search at once."""
        found = next((item for item in self.forwarded() if item.doc.id == doc_id), None)
        if found is None:
            return None
        blob = json.dumps({"title": found.doc.title, "by": by, "at": time.time()}, ensure_ascii=False)

        def write(r) -> int:
            pipe = r.pipeline()
            pipe.hdel(self.key("forwarded"), doc_id)
            pipe.hset(self.key("withdrawn"), doc_id, blob)
            pipe.incr(self.key("version"))
            return pipe.execute()[0]

        return found if self._write(write) else None

    def withdrawn(self) -> set[str]:
        """Ids of documents taken back."""
        return {k.decode("utf-8") for k in self._call(lambda r: r.hkeys(self.key("withdrawn")))}

    # -- versions ----------------------------------------------------------------------------
    def version_key(self) -> str:
        """The key of the version counter (the bot reads it with each message's first round trip)."""
        return self.key("version")

    def version(self) -> int:
        """A number that changes with every change of this state."""
        return int(self._call(lambda r: r.get(self.key("version"))) or 0)

    def bump(self, r) -> None:
        """Raise the version in a pipeline the caller executes."""
        r.incr(self.key("version"))
