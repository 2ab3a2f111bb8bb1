"""Retry de-duplication, request nonces and answers held for a user's next message."""

from __future__ import annotations

import json
import secrets
from typing import Any

import redis

from bot.store.connection import Connection

MESSAGE_TTL = 60  # de-duplication of retries and the cached reply (WeChat retries within ~15 s)
PENDING_TTL = 48 * 3600  # answers waiting for the user's next message (the 48 h service window)
MAX_PENDING = 5
PENDING_MARK = "\x00pending"  # value of a message key while the first delivery is still running


class Messages:
    """Which messages were seen, the replies they got, and answers waiting to be delivered."""

    def __init__(self, db: Connection):
        self._db = db

    def claim(self, key: str) -> bool | None:
        """Mark a message as being processed; False if it was seen before, None without Redis."""
        return self._db.call(
            lambda r: bool(r.set(self._db.key("msg", key), PENDING_MARK, nx=True, ex=MESSAGE_TTL)), None
        )

    def store_reply(self, key: str, reply_xml: str) -> None:
        """Remember the reply given to a message so that its retries get the identical one."""
        self._db.call(lambda r: r.set(self._db.key("msg", key), reply_xml, ex=MESSAGE_TTL), None)

    def release(self, key: str) -> None:
        """Forget a claimed message whose processing failed before any reply was decided."""
        self._db.call(lambda r: r.delete(self._db.key("msg", key)), None)

    def stored_reply(self, key: str) -> str | None:
        """The reply to a message, or None while it is still being processed (or unknown)."""
        value = self._db.call(lambda r: r.get(self._db.key("msg", key)), None)
        if value is None:
            return None
        text = value.decode("utf-8")
        return None if text == PENDING_MARK else text

    def claim_nonce(self, timestamp: str, nonce: str, message_key: str, ttl: int) -> bool:
        """Record a request nonce; False when it was already used for a different message (a replay).

        A retry of the same message may legitimately come with the same nonce, so a reused nonce is
        a replay only when it carries another message. Without Redis nothing can be checked: True.
        """

        def claim(r: redis.Redis) -> bool:
            key = self._db.key("nonce", timestamp, nonce)
            if r.set(key, message_key, nx=True, ex=ttl):
                return True
            seen = r.get(key)
            return seen is not None and secrets.compare_digest(seen, message_key.encode("utf-8"))

        return self._db.call(claim, True)

    def claim_request(self, timestamp: str, nonce: str, message_key: str, ttl: int) -> tuple[bool, bool | None]:
        """``claim_nonce`` and ``claim_message`` in one round trip: (nonce accepted, message claimed).

        A replay (the nonce carried another message) gives back the message claim it took, so the
        genuine message is not mistaken for a retry (unless it arrives within that one round trip:
        only a plaintext-mode forgery can carry a chosen MsgId). Without Redis: (True, None).
        """

        def claim(r: redis.Redis) -> tuple[bool, bool]:
            nonce_key, msg_key = self._db.key("nonce", timestamp, nonce), self._db.key("msg", message_key)
            pipe = r.pipeline(transaction=False)
            pipe.set(nonce_key, message_key, nx=True, ex=ttl)
            pipe.get(nonce_key)
            pipe.set(msg_key, PENDING_MARK, nx=True, ex=MESSAGE_TTL)
            _, seen, claimed = pipe.execute()
            accepted = seen is not None and secrets.compare_digest(seen, message_key.encode("utf-8"))
            if not accepted and claimed:
                r.delete(msg_key)
            return accepted, bool(claimed)

        return self._db.call(claim, (True, None))

    def push_pending(self, openid: str, reply: dict[str, Any]) -> bool:
        """Keep an undeliverable answer for the user's next message; False without Redis."""

        def push(r: redis.Redis) -> bool:
            key = self._db.key("pending", openid)
            pipe = r.pipeline()
            pipe.rpush(key, json.dumps(reply, ensure_ascii=False))
            pipe.ltrim(key, -MAX_PENDING, -1)
            pipe.expire(key, PENDING_TTL)
            pipe.execute()
            return True

        return self._db.call(push, False)

    def take_pending(self, openid: str) -> list[dict[str, Any]]:
        """Remove and return the answers kept for this user, oldest first."""

        def take(r: redis.Redis) -> list[bytes]:
            key = self._db.key("pending", openid)
            pipe = r.pipeline()
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            return pipe.execute()[0]

        return [json.loads(item) for item in self._db.call(take, [])]
