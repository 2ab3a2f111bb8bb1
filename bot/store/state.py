"""Everything the bot keeps in Redis, behind one narrow class with prefixed keys and explicit TTLs.

When Redis is unreachable every method returns its "nothing known" default instead of raising:
searches keep being answered (without paging, de-duplication or roles beyond ADMIN_OPENIDS).
The outage is logged once, and the class tries Redis again every ``retry_after`` seconds, so it
recovers by itself when Redis comes back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import redis

log = logging.getLogger(__name__)

T = TypeVar("T")

SESSION_TTL = 30 * 60  # a conversation (last search, its pages) lives 30 minutes
MESSAGE_TTL = 60  # de-duplication of retries and the cached reply (WeChat retries within ~15 s)
INVITE_TTL = 7 * 86400
PENDING_TTL = 48 * 3600  # answers waiting for the user's next message (the 48 h service window)
ANALYTICS_TTL = 35 * 86400
BIND_FAILURE_TTL = 3600
LOGIN_FAILURE_TTL = 10 * 60  # failed dashboard logins are counted per client for 10 minutes
BUILD_FLAG_TTL = 10 * 60  # a running background build refreshes its flag; a dead worker's flag expires
BUILD_RECORD_TTL = 30 * 86400
MAX_LISTED = 200  # invite codes / role holders shown on the dashboard
MAX_PENDING = 5
PENDING_MARK = "\x00pending"  # value of a message key while the first delivery is still running

INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed
INVITE_LENGTH = 6
CHINA = dt.timezone(dt.timedelta(hours=8))  # analytics days are the users' days


class State:
    """Sessions, retry de-duplication, roles, invites, pending answers, analytics, logins and builds."""

    def __init__(self, client: redis.Redis, prefix: str = "caselink:", retry_after: float = 1.0):
        self._redis = client
        self._prefix = prefix
        self._retry_after = retry_after
        self._down_since: float | None = None
        self._next_try = 0.0
        self._lock = threading.Lock()

    # --- availability -------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the last Redis call worked."""
        return self._down_since is None

    def ping(self) -> bool:
        """Check Redis now (for /healthz), updating the outage state."""
        return bool(self._call(lambda r: r.ping(), False, force=True))

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    def _call(self, fn: Callable[[redis.Redis], T], default: T, *, force: bool = False) -> T:
        if self._down_since is not None and not force and time.monotonic() < self._next_try:
            return default
        try:
            result = fn(self._redis)
        except redis.RedisError as exc:
            self._mark_down(exc)
            return default
        if self._down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    log.warning("Redis 已恢复（中断 %.0f 秒）", time.monotonic() - self._down_since)
                    self._down_since = None
        return result

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self._next_try = now + self._retry_after
            if self._down_since is None:
                self._down_since = now
                log.error("Redis 不可用，暂停翻页、去重和角色（搜索照常）：%s", exc)

    # --- retries --------------------------------------------------------------------------------

    def claim_message(self, key: str) -> bool | None:
        """Mark a message as being processed; False if it was seen before, None without Redis."""
        return self._call(lambda r: bool(r.set(self._key("msg", key), PENDING_MARK, nx=True, ex=MESSAGE_TTL)), None)

    def store_reply(self, key: str, reply_xml: str) -> None:
        """Remember the reply given to a message so that its retries get the identical one."""
        self._call(lambda r: r.set(self._key("msg", key), reply_xml, ex=MESSAGE_TTL), None)

    def release_message(self, key: str) -> None:
        """Forget a claimed message whose processing failed before any reply was decided."""
        self._call(lambda r: r.delete(self._key("msg", key)), None)

    def stored_reply(self, key: str) -> str | None:
        """The reply to a message, or None while it is still being processed (or unknown)."""
        value = self._call(lambda r: r.get(self._key("msg", key)), None)
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
            key = self._key("nonce", timestamp, nonce)
            if r.set(key, message_key, nx=True, ex=ttl):
                return True
            seen = r.get(key)
            return seen is not None and secrets.compare_digest(seen, message_key.encode("utf-8"))

        return self._call(claim, True)

    def claim_request(self, timestamp: str, nonce: str, message_key: str, ttl: int) -> tuple[bool, bool | None]:
        """``claim_nonce`` and ``claim_message`` in one round trip: (nonce accepted, message claimed).

        A replay (the nonce carried another message) gives back the message claim it took, so the
        genuine message is not mistaken for a retry (unless it arrives within that one round trip:
        only a plaintext-mode forgery can carry a chosen MsgId). Without Redis: (True, None).
        """

        def claim(r: redis.Redis) -> tuple[bool, bool]:
            nonce_key, msg_key = self._key("nonce", timestamp, nonce), self._key("msg", message_key)
            pipe = r.pipeline(transaction=False)
            pipe.set(nonce_key, message_key, nx=True, ex=ttl)
            pipe.get(nonce_key)
            pipe.set(msg_key, PENDING_MARK, nx=True, ex=MESSAGE_TTL)
            _, seen, claimed = pipe.execute()
            accepted = seen is not None and secrets.compare_digest(seen, message_key.encode("utf-8"))
            if not accepted and claimed:
                r.delete(msg_key)
            return accepted, bool(claimed)

        return self._call(claim, (True, None))

    # --- conversation ---------------------------------------------------------------------------

    def session(self, openid: str) -> dict[str, Any] | None:
        """The user's current conversation (last search and what was shown), if any."""
        raw = self._call(lambda r: r.get(self._key("session", openid)), None)
        return json.loads(raw) if raw else None

    def save_session(self, openid: str, data: dict[str, Any]) -> bool:
        """Store the user's conversation for 30 minutes; False when Redis is unavailable."""
        blob = json.dumps(data, ensure_ascii=False)
        return bool(self._call(lambda r: r.set(self._key("session", openid), blob, ex=SESSION_TTL), False))

    def forget(self, openid: str) -> None:
        """Delete everything kept about one user (on unsubscribe)."""
        keys = [self._key(kind, openid) for kind in ("session", "role", "pending", "bindfail")]

        def delete(r: redis.Redis) -> None:
            pipe = r.pipeline()
            pipe.delete(*keys)
            pipe.hdel(self._key("roles"), openid)
            pipe.execute()

        self._call(delete, None)

    # --- roles and invites ------------------------------------------------------------------------

    def role(self, openid: str) -> str | None:
        """The role granted to a user by an invite or promotion ("employee" / "admin"), if any."""
        raw = self._call(lambda r: r.get(self._key("role", openid)), None)
        return raw.decode("utf-8") if raw else None

    def set_role(self, openid: str, role: str) -> bool:
        """Grant a role (and list the user among the role holders); False when Redis is unavailable."""
        entry = json.dumps({"role": role, "at": int(time.time())})

        def grant(r: redis.Redis) -> bool:
            pipe = r.pipeline()
            pipe.set(self._key("role", openid), role)
            pipe.hset(self._key("roles"), openid, entry)
            pipe.execute()
            return True

        return bool(self._call(grant, False))

    def revoke_role(self, openid: str) -> bool:
        """Make a user a client again; the bot checks roles on every message, so at once."""

        def revoke(r: redis.Redis) -> bool:
            pipe = r.pipeline()
            pipe.delete(self._key("role", openid))
            pipe.hdel(self._key("roles"), openid)
            return any(pipe.execute())

        return bool(self._call(revoke, False))

    def role_holders(self) -> list[dict[str, Any]]:
        """Users holding a granted role, newest first: ``{"openid", "role", "at"}``."""

        def read(r: redis.Redis) -> list[dict[str, Any]]:
            entries = {k.decode("utf-8"): json.loads(v) for k, v in r.hgetall(self._key("roles")).items()}
            openids = sorted(entries, key=lambda o: -entries[o].get("at", 0))[:MAX_LISTED]
            roles = r.mget([self._key("role", o) for o in openids]) if openids else []
            gone = [o for o, role in zip(openids, roles, strict=True) if role is None]
            if gone:  # the role key is the truth; the list is only an index of it
                r.hdel(self._key("roles"), *gone)
            return [
                {"openid": o, "role": role.decode("utf-8"), "at": entries[o].get("at", 0)}
                for o, role in zip(openids, roles, strict=True)
                if role is not None
            ]

        return self._call(read, [])

    def create_invite(self, role: str, created_by: str) -> str | None:
        """Make a one-time invite code valid for 7 days; None when Redis is unavailable."""
        now = int(time.time())
        blob = json.dumps({"role": role, "by": created_by, "at": now})

        def create(r: redis.Redis, code: str) -> bool:
            if not r.set(self._key("invite", code), blob, nx=True, ex=INVITE_TTL):
                return False
            r.zadd(self._key("invites"), {code: now + INVITE_TTL})  # listed for the dashboard
            return True

        for _ in range(5):
            code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
            created = self._call(lambda r, c=code: create(r, c), None)
            if created is None:
                return None
            if created:
                return code
        return None

    def redeem_invite(self, code: str) -> str | None:
        """Use up an invite code and return the role it grants; None if unknown, used or expired."""

        # GETDEL reads and deletes in one step, so two people cannot both redeem one code.
        def redeem(r: redis.Redis) -> bytes | None:
            pipe = r.pipeline()
            pipe.getdel(self._key("invite", code))
            pipe.zrem(self._key("invites"), code)
            return pipe.execute()[0]

        raw = self._call(redeem, None)
        return json.loads(raw)["role"] if raw else None

    def revoke_invite(self, code: str) -> bool:
        """Delete an unused invite code; False when it was already used, expired or unknown."""

        def revoke(r: redis.Redis) -> bool:
            pipe = r.pipeline()
            pipe.delete(self._key("invite", code))
            pipe.zrem(self._key("invites"), code)
            return bool(pipe.execute()[0])

        return bool(self._call(revoke, False))

    def invites(self) -> list[dict[str, Any]]:
        """Unused, unexpired invite codes, newest first: ``{"code", "role", "by", "at", "expires"}``."""

        def read(r: redis.Redis) -> list[dict[str, Any]]:
            index = self._key("invites")
            r.zremrangebyscore(index, "-inf", time.time())
            rows = [(c.decode("utf-8"), int(t)) for c, t in r.zrevrange(index, 0, MAX_LISTED - 1, withscores=True)]
            blobs = r.mget([self._key("invite", c) for c, _ in rows]) if rows else []
            gone = [c for (c, _), blob in zip(rows, blobs, strict=True) if blob is None]
            if gone:  # redeemed or revoked meanwhile
                r.zrem(index, *gone)
            return [
                {**json.loads(blob), "code": code, "expires": expires}
                for (code, expires), blob in zip(rows, blobs, strict=True)
                if blob is not None
            ]

        return self._call(read, [])

    def bind_failures(self, openid: str) -> int:
        """How many wrong invite codes this user sent in the last hour."""
        raw = self._call(lambda r: r.get(self._key("bindfail", openid)), None)
        return int(raw) if raw else 0

    def add_bind_failure(self, openid: str) -> int:
        """Count one more wrong invite code (the count expires an hour after the first)."""
        return self._count(self._key("bindfail", openid), BIND_FAILURE_TTL)

    def login_failures(self, client: str) -> int:
        """How many wrong dashboard tokens came from this client address in the last 10 minutes."""
        raw = self._call(lambda r: r.get(self._key("loginfail", client)), None)
        return int(raw) if raw else 0

    def add_login_failure(self, client: str) -> int:
        """Count one more wrong dashboard token from this client address."""
        return self._count(self._key("loginfail", client), LOGIN_FAILURE_TTL)

    def _count(self, key: str, ttl: int) -> int:
        def add(r: redis.Redis) -> int:
            pipe = r.pipeline()
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)  # the window starts at the first failure
            return int(pipe.execute()[0])

        return self._call(add, 0)

    # --- answers waiting for the next message ----------------------------------------------------------

    def push_pending(self, openid: str, reply: dict[str, Any]) -> bool:
        """Keep an undeliverable answer for the user's next message; False without Redis."""

        def push(r: redis.Redis) -> bool:
            key = self._key("pending", openid)
            pipe = r.pipeline()
            pipe.rpush(key, json.dumps(reply, ensure_ascii=False))
            pipe.ltrim(key, -MAX_PENDING, -1)
            pipe.expire(key, PENDING_TTL)
            pipe.execute()
            return True

        return self._call(push, False)

    def take_pending(self, openid: str) -> list[dict[str, Any]]:
        """Remove and return the answers kept for this user, oldest first."""

        def take(r: redis.Redis) -> list[bytes]:
            key = self._key("pending", openid)
            pipe = r.pipeline()
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            return pipe.execute()[0]

        return [json.loads(item) for item in self._call(take, [])]

    def role_and_pending(self, openid: str, take_pending: bool = True) -> tuple[str | None, list[dict[str, Any]]]:
        """``role()`` and (optionally) ``take_pending()`` in one round trip: every message needs both."""

        def read(r: redis.Redis) -> tuple[bytes | None, list[bytes]]:
            pipe = r.pipeline()  # MULTI/EXEC: pending answers are read and removed atomically
            pipe.get(self._key("role", openid))
            if take_pending:
                pipe.lrange(self._key("pending", openid), 0, -1)
                pipe.delete(self._key("pending", openid))
            out = pipe.execute()
            return out[0], (out[1] if take_pending else [])

        raw, items = self._call(read, (None, []))
        return (raw.decode("utf-8") if raw else None), [json.loads(item) for item in items]

    # --- analytics ------------------------------------------------------------------------------

    def log_query(self, query: str, total: int, weak: bool) -> None:
        """Count a search by day, separately for queries that found nothing or nothing direct."""
        day = dt.datetime.now(CHINA).strftime("%Y%m%d")
        query = query.strip()[:50]
        if not query:
            return

        def log_it(r: redis.Redis) -> None:
            pipe = r.pipeline()
            kinds = ["q"] + (["q0"] if total == 0 else ["qweak"] if weak else [])
            for kind in kinds:
                key = self._key(kind, day)
                pipe.zincrby(key, 1, query)
                pipe.expire(key, ANALYTICS_TTL)
            pipe.execute()

        self._call(log_it, None)

    def top_queries(self, kind: str = "q", days: int = 7, limit: int = 10) -> list[tuple[str, int]]:
        """The most frequent queries of the last ``days`` days: kind "q" all, "q0" zero-result, "qweak"."""
        today = dt.datetime.now(CHINA).date()
        keys = [self._key(kind, (today - dt.timedelta(days=i)).strftime("%Y%m%d")) for i in range(days)]

        def read(r: redis.Redis) -> Counter:
            pipe = r.pipeline()
            for key in keys:
                pipe.zrange(key, 0, -1, withscores=True)
            counts: Counter = Counter()
            for rows in pipe.execute():
                for member, score in rows:
                    counts[member.decode("utf-8")] += int(score)
            return counts

        counts = self._call(read, Counter())
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    # --- background index builds (bot.buildjob) --------------------------------------------------

    def claim_build(self, scope: str, record: dict[str, Any]) -> bool | None:
        """Flag a background build of ``scope`` as running and store its record.

        False when a build already holds the flag; None when Redis is unavailable.
        """

        def claim(r: redis.Redis) -> bool:
            if not r.set(self._key("build", scope, "flag"), record["run"], nx=True, ex=BUILD_FLAG_TTL):
                return False
            r.set(self._key("build", scope), json.dumps(record, ensure_ascii=False), ex=BUILD_RECORD_TTL)
            return True

        return self._call(claim, None)

    def save_build(self, scope: str, record: dict[str, Any]) -> None:
        """Store a running build's progress and keep its flag alive."""

        def save(r: redis.Redis) -> None:
            pipe = r.pipeline()
            pipe.set(self._key("build", scope), json.dumps(record, ensure_ascii=False), ex=BUILD_RECORD_TTL)
            pipe.expire(self._key("build", scope, "flag"), BUILD_FLAG_TTL)
            pipe.execute()

        self._call(save, None)

    def release_build(self, scope: str, record: dict[str, Any]) -> None:
        """Store a build's final record and drop its flag (only if the flag is still this build's)."""

        def release(r: redis.Redis) -> None:
            r.set(self._key("build", scope), json.dumps(record, ensure_ascii=False), ex=BUILD_RECORD_TTL)
            flag = self._key("build", scope, "flag")
            with r.pipeline() as pipe:
                try:
                    pipe.watch(flag)
                    if pipe.get(flag) == record["run"].encode("utf-8"):
                        pipe.multi()
                        pipe.delete(flag)
                        pipe.execute()
                except redis.WatchError:
                    pass  # the flag changed hands meanwhile: it is not ours to delete

        self._call(release, None)

    def build_record(self, scope: str) -> dict[str, Any] | None:
        """The last background build of ``scope`` with ``alive``: whether its flag is still held."""

        def read(r: redis.Redis) -> dict[str, Any] | None:
            raw, flag = r.mget([self._key("build", scope), self._key("build", scope, "flag")])
            if raw is None:
                return None
            record = json.loads(raw)
            record["alive"] = flag is not None and flag.decode("utf-8") == record.get("run")
            return record

        return self._call(read, None)

    # --- locks and shared storage ----------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, name: str, timeout: float, wait: float) -> Iterator[bool]:
        """Hold a cross-process lock; yields False when it could not be taken (busy or no Redis)."""
        lock = self._redis.lock(self._key("lock", name), timeout=timeout, blocking_timeout=wait)
        acquired = self._call(lambda r: lock.acquire(), False)
        try:
            yield bool(acquired)
        finally:
            if acquired:
                with contextlib.suppress(redis.RedisError):
                    lock.release()

    def token_storage(self):
        """A wechatpy session storage in Redis, so every worker shares one access token."""
        from wechatpy.session.redisstorage import RedisStorage

        return RedisStorage(self._redis, prefix=self._key("wechatpy"))
