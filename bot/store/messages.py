"""Request nonces, retry de-duplication with the reply each message got, and answers held for later.

A request's (timestamp, nonce) is accepted once, for as long as its timestamp is (``ttl`` =
the replay window on either side): the same signed request sent again (a retry that reuses the
nonce) is a retry, the nonce with anything else is a replay. A message is processed once within
the same ``ttl``, and its retries get the reply it got. When Redis is down these checks go on in
a bounded in-process store (``LocalTTL``) rather than being skipped.
"""

from __future__ import annotations

import hmac
import json
import threading
from typing import Any

import redis

from bot.store.connection import Connection
from bot.store.local_ttl import LocalTTL

NEW, RETRY, REPLAY = "new", "retry", "replay"
PENDING_TTL = 48 * 3600  # answers waiting for the user's next message (the 48 h service window)
MAX_PENDING = 5
PENDING_MARK = "\x00pending"  # value of a message key while the first delivery is still running
_FAILED = object()


class Messages:
    """Which requests and messages were seen, the replies they got, and answers waiting to be delivered."""

    def __init__(self, db: Connection, local: LocalTTL | None = None):
        self._db = db
        self._local = local if local is not None else LocalTTL()
        self._local_lock = threading.Lock()

    def claim(self, timestamp: str, nonce: str, fingerprint: str, message_key: str | None, ttl: int) -> str:
        """Record one authenticated request: ``NEW`` (process it), ``RETRY`` (answer as before) or ``REPLAY``.

        ``fingerprint`` identifies what the signature covered (the Encrypt value, or the plaintext
        body); ``message_key`` is None for a request that is never retried (GET verification).
        """
        nonce_key = self._db.key("nonce", timestamp, nonce)
        msg_key = self._db.key("msg", message_key) if message_key else None
        with self._local_lock:
            # What this worker accepted alone during an outage still counts after Redis is back.
            if self._local.get(nonce_key) is not None or (msg_key and self._local.get(msg_key) is not None):
                return self._claim_local(nonce_key, msg_key, fingerprint, ttl)

        def claim(r: redis.Redis) -> str:
            pipe = r.pipeline()  # MULTI/EXEC: all three in one step
            pipe.set(nonce_key, fingerprint, nx=True, ex=ttl)
            pipe.get(nonce_key)
            if msg_key:
                pipe.set(msg_key, PENDING_MARK, nx=True, ex=ttl)
            out = pipe.execute()
            claimed = bool(out[2]) if msg_key else False
            outcome = _decide(bool(out[0]), out[1], fingerprint, msg_key, claimed)
            if claimed and outcome == REPLAY:
                r.delete(msg_key)  # give back the claim, so the genuine message is not taken for a retry
            elif claimed and outcome == RETRY:
                r.set(msg_key, "success", xx=True, keepttl=True)  # resent, but its reply is gone
            return outcome

        outcome = self._db.call(claim, None)
        if outcome is None:
            with self._local_lock:
                return self._claim_local(nonce_key, msg_key, fingerprint, ttl)
        return outcome

    def store_reply(self, message_key: str, reply_xml: str) -> None:
        """Remember the reply given to a message (for the rest of its claim) so that retries get it."""
        key = self._db.key("msg", message_key)
        if self._local.set(key, reply_xml, 0, keep_ttl=True):
            return
        done = self._db.call(lambda r: r.set(key, reply_xml, xx=True, keepttl=True), _FAILED)
        if done is _FAILED:
            self._local.set(key, reply_xml, 0, keep_ttl=True)

    def stored_reply(self, message_key: str) -> str | None:
        """The reply to a message, or None while it is still being processed (or unknown)."""
        key = self._db.key("msg", message_key)
        text = self._local.get(key)
        if text is None:
            value = self._db.call(lambda r: r.get(key), None)
            text = value.decode("utf-8") if value is not None else None
        return None if text is None or text == PENDING_MARK else text

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

    def _claim_local(self, nonce_key: str, msg_key: str | None, fingerprint: str, ttl: int) -> str:
        local = self._local
        nonce_new = local.set(nonce_key, fingerprint, ttl, nx=True)
        claimed = bool(msg_key) and local.set(msg_key, PENDING_MARK, ttl, nx=True)
        outcome = _decide(nonce_new, local.get(nonce_key), fingerprint, msg_key, claimed)
        if claimed and outcome == REPLAY:
            local.delete(msg_key)
        elif claimed and outcome == RETRY:
            local.set(msg_key, "success", ttl, keep_ttl=True)
        return outcome


def _decide(nonce_new: bool, seen: bytes | str | None, fingerprint: str, msg_key: str | None, claimed: bool) -> str:
    if isinstance(seen, bytes):
        seen = seen.decode("utf-8", "replace")
    if seen is None or not hmac.compare_digest(seen.encode("utf-8"), fingerprint.encode("utf-8")):
        return REPLAY  # the nonce already carried something else
    if msg_key is None:
        return NEW if nonce_new else REPLAY
    if not nonce_new:
        return RETRY  # the very same signed request again
    return NEW if claimed else RETRY
