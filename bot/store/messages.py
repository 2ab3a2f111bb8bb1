"""Request nonces, retry de-duplication with the reply each message got, and answers held for later.

A request's (timestamp, nonce) is accepted once, for as long as its timestamp is (``ttl`` =
the replay window on either side): the same signed request sent again (a retry that reuses the
nonce) is a retry, the nonce with anything else is a replay. A message is processed once within
the same ``ttl``, and its retries get the reply it got. When Redis is down these checks go on in
a bounded in-process store (``LocalTTL``) rather than being skipped.

An ordinary message is claimed and read in one round trip: ``claim(..., reads=[...])`` runs one
server-side script that takes the nonce and the message and, only when both are new, reads what
handling the message needs (role, held answers, flow, conversation …) in the same atomic step.
Deciding NEW / RETRY / REPLAY stays here, in Python, with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from typing import Any

import redis

from bot.store.connection import HGETALL, TAKE, Connection, Write, roundtrip
from bot.store.local_ttl import LocalTTL

NEW, RETRY, REPLAY = "new", "retry", "replay"
PENDING_TTL = 48 * 3600  # answers waiting for the user's next message (the 48 h service window)
MAX_PENDING = 5
LOCAL_REPLY_TTL = 60  # a reply kept in the process while Redis is away: WeChat retries within ~15 s
PENDING_MARK = "\x00pending"  # value of a message key while the first delivery is still running
_FAILED = object()
# KEYS: nonce, message, then the keys to read; ARGV: fingerprint, ttl, mark, then how to read each key.
# The reads (and the emptying of TAKE lists) happen only when both claims are new: a retry or a
# replay reads and takes nothing.
CLAIM_AND_READ = """
local nonce_new = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2])
local seen = redis.call('GET', KEYS[1])
local claimed = redis.call('SET', KEYS[2], ARGV[3], 'NX', 'EX', ARGV[2])
local out = {nonce_new and 1 or 0, seen, claimed and 1 or 0}
if nonce_new and claimed then
  for i = 3, #KEYS do
    local how = ARGV[i + 1]
    if how == 'get' then
      out[#out + 1] = redis.call('GET', KEYS[i])
    elseif how == 'hgetall' then
      out[#out + 1] = redis.call('HGETALL', KEYS[i])
    else
      out[#out + 1] = redis.call('LRANGE', KEYS[i], 0, -1)
      redis.call('DEL', KEYS[i])
    end
  end
end
return out
"""
CLAIM_AND_READ_SHA = hashlib.sha1(CLAIM_AND_READ.encode("utf-8")).hexdigest()


class Messages:
    """Which requests and messages were seen, the replies they got, and answers waiting to be delivered."""

    def __init__(self, db: Connection, local: LocalTTL | None = None):
        self._db = db
        self._local = local if local is not None else LocalTTL()
        self._local_lock = threading.Lock()
        self._thread = threading.local()
        self._scripting: bool | None = None  # None: not tried yet

    def claim(
        self,
        timestamp: str,
        nonce: str,
        fingerprint: str,
        message_key: str | None,
        ttl: int,
        reads: list[tuple[str, str]] | None = None,
    ) -> str:
        """Record one authenticated request: ``NEW`` (process it), ``RETRY`` (answer as before) or ``REPLAY``.

        ``fingerprint`` identifies what the signature covered (the Encrypt value, or the plaintext
        body); ``message_key`` is None for a request that is never retried (GET verification).
        With ``reads`` (``(how, key)``: GET, HGETALL, or TAKE a list) a NEW message's state is read
        in the same step; ``read_for_claim`` gives it back.
        """
        self._thread.read = None
        nonce_key = self._db.key("nonce", timestamp, nonce)
        msg_key = self._db.key("msg", message_key) if message_key else None
        with self._local_lock:
            # What this worker accepted alone during an outage still counts after Redis is back.
            if self._local.get(nonce_key) is not None or (msg_key and self._local.get(msg_key) is not None):
                return self._claim_local(nonce_key, msg_key, fingerprint, ttl)

        def claim(r: redis.Redis) -> str:
            if msg_key and reads is not None and self._scripting is not False:
                out = self._claim_and_read(r, nonce_key, msg_key, fingerprint, ttl, reads)
            else:
                out = None
            if out is None:
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
            elif outcome == NEW and reads is not None and len(out) == 3 + len(reads):
                self._thread.read = _values(reads, out[3:])
            return outcome

        outcome = self._db.call(claim, None)
        if outcome is None:
            with self._local_lock:
                return self._claim_local(nonce_key, msg_key, fingerprint, ttl)
        return outcome

    def read_for_claim(self) -> dict[str, Any] | None:
        """What the last ``claim(..., reads=)`` in this thread read (None: nothing was read)."""
        return getattr(self._thread, "read", None)

    def _claim_and_read(
        self, r: redis.Redis, nonce_key: str, msg_key: str, fingerprint: str, ttl: int, reads: list[tuple[str, str]]
    ) -> list | None:
        keys = [nonce_key, msg_key, *(key for _, key in reads)]
        args = [fingerprint, ttl, PENDING_MARK, *(how for how, _ in reads)]
        (out,) = roundtrip(r, [("EVALSHA", CLAIM_AND_READ_SHA, len(keys), *keys, *args)])
        if isinstance(out, redis.exceptions.NoScriptError):  # Redis restarted: it learns the script again
            (out,) = roundtrip(r, [("EVAL", CLAIM_AND_READ, len(keys), *keys, *args)])
        if isinstance(out, redis.ResponseError):
            if self._scripting is None:  # no scripting (an in-process stand-in without Lua): claim alone
                self._scripting = False
                return None
            raise out
        self._scripting = True
        return out

    def reply_write(self, message_key: str, reply_xml: str) -> Write | None:
        """The write that stores a message's reply for its retries (``Connection.flush`` makes it with the
        message's state); None when the message was claimed in this process alone and the reply is kept here."""
        key = self._db.key("msg", message_key)
        if self._local.set(key, reply_xml, 0, keep_ttl=True):
            return None
        return lambda pipe: pipe.set(key, reply_xml, xx=True, keepttl=True)

    def keep_reply_here(self, message_key: str, reply_xml: str) -> None:
        """Keep a reply in this process when Redis could not store it (retries reaching this worker get it)."""
        key = self._db.key("msg", message_key)
        if not self._local.set(key, reply_xml, 0, keep_ttl=True):
            self._local.set(key, reply_xml, LOCAL_REPLY_TTL)

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
        key, blob = self._db.key("pending", openid), json.dumps(reply, ensure_ascii=False)

        def push(pipe) -> None:
            pipe.rpush(key, blob)
            pipe.ltrim(key, -MAX_PENDING, -1)
            pipe.expire(key, PENDING_TTL)

        return self._db.write(push, {key: []})  # with the message's reply, when there is one

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


def _values(reads: list[tuple[str, str]], found: list) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (how, key), value in zip(reads, found, strict=True):
        if how == HGETALL:  # a script answers a hash as a flat list
            value = dict(zip(value[::2], value[1::2], strict=True))
        out[key] = value if how != TAKE else list(value)
    return out
