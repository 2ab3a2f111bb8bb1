"""Roles granted to users and the one-time invite codes that grant them.

role:<openid>   the granted role ("employee" / "admin"): the truth, read on every message
roles           hash, openid → {"role", "at", "name", "by", "code"}: who they are, for lists
invite:<code>   {"role", "by", "at", "name"}, expires after 7 days, used once
invites         zset, code → expiry: the dashboard's list of unused codes
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import redis

from bot.store.connection import Connection

INVITE_TTL = 7 * 86400
MAX_LISTED = 200  # invite codes / role holders shown on the dashboard
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed
INVITE_LENGTH = 6
MAX_NAME = 20  # characters of a person's name on an invite
DASHBOARD = "dashboard"  # the creator of invites made on the dashboard


class People:
    """Employees and admins by invite, and the invite codes themselves."""

    def __init__(self, db: Connection):
        self._db = db

    def role(self, openid: str) -> str | None:
        """The role granted to a user by an invite or promotion ("employee" / "admin"), if any."""
        raw = self._db.call(lambda r: r.get(self._db.key("role", openid)), None)
        return raw.decode("utf-8") if raw else None

    def set_role(self, openid: str, role: str, name: str = "", by: str = "", code: str = "") -> bool:
        """Grant a role and list the user (with the name and inviter of their invite); False without Redis."""
        entry = json.dumps(
            {"role": role, "at": int(time.time()), "name": name, "by": by, "code": code}, ensure_ascii=False
        )

        def grant(r: redis.Redis) -> bool:
            pipe = r.pipeline()
            pipe.set(self._db.key("role", openid), role)
            pipe.hset(self._db.key("roles"), openid, entry)
            pipe.execute()
            return True

        return bool(self._db.durable(grant, False))

    def revoke_role(self, openid: str) -> bool | None:
        """Make a user a client again (at once: roles are read on every message); None without Redis."""

        def revoke(r: redis.Redis) -> bool:
            pipe = r.pipeline()
            pipe.delete(self._db.key("role", openid))
            pipe.hdel(self._db.key("roles"), openid)
            return any(pipe.execute())

        return self._db.durable(revoke, None)

    def holder(self, openid: str) -> dict[str, Any] | None:
        """What is listed about a role holder (``{"role", "at", "name", "by", "code"}``), if anything."""
        raw = self._db.call(lambda r: r.hget(self._db.key("roles"), openid), None)
        return json.loads(raw) if raw else None

    def role_holders(self) -> list[dict[str, Any]]:
        """Users holding a granted role, newest first: ``{"openid", "role", "at", "name", "by"}``."""

        def read(r: redis.Redis) -> list[dict[str, Any]]:
            entries = {k.decode("utf-8"): json.loads(v) for k, v in r.hgetall(self._db.key("roles")).items()}
            openids = sorted(entries, key=lambda o: -entries[o].get("at", 0))[:MAX_LISTED]
            roles = r.mget([self._db.key("role", o) for o in openids]) if openids else []
            gone = [o for o, role in zip(openids, roles, strict=True) if role is None]
            if gone:  # the role key is the truth; the list is only an index of it
                r.hdel(self._db.key("roles"), *gone)
            return [
                {**entries[o], "openid": o, "role": role.decode("utf-8"), "at": entries[o].get("at", 0)}
                for o, role in zip(openids, roles, strict=True)
                if role is not None
            ]

        return self._db.call(read, [])

    def create_invite(self, role: str, created_by: str, name: str = "") -> str | None:
        """Make a one-time invite code valid for 7 days, for ``name`` if given; None when Redis is unavailable."""
        now = int(time.time())
        blob = json.dumps({"role": role, "by": created_by, "at": now, "name": name[:MAX_NAME]}, ensure_ascii=False)

        def create(r: redis.Redis, code: str) -> bool:
            if not r.set(self._db.key("invite", code), blob, nx=True, ex=INVITE_TTL):
                return False
            r.zadd(self._db.key("invites"), {code: now + INVITE_TTL})  # listed for the dashboard
            return True

        for _ in range(5):
            code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
            created = self._db.durable(lambda r, c=code: create(r, c), None)
            if created is None:
                return None
            if created:
                return code
        return None

    def peek_invite(self, code: str) -> dict[str, Any] | None:
        """An unused invite code's ``{"role", "by", "at", "name"}`` without using it up."""
        raw = self._db.call(lambda r: r.get(self._db.key("invite", code)), None)
        return json.loads(raw) if raw else None

    def redeem_invite(self, code: str) -> dict[str, Any] | bool | None:
        """Use up an invite code: ``{"role", "by", "at", "name"}``; None if unknown, used or expired.

        False when Redis could not say (unavailable, or the replicas did not confirm using it up).
        """

        # GETDEL reads and deletes in one step, so two people cannot both redeem one code.
        def redeem(r: redis.Redis) -> bytes | None:
            pipe = r.pipeline()
            pipe.getdel(self._db.key("invite", code))
            pipe.zrem(self._db.key("invites"), code)
            return pipe.execute()[0]

        raw = self._db.durable(redeem, False)
        if raw is False:
            return False
        return json.loads(raw) if raw else None

    def revoke_invite(self, code: str) -> bool | None:
        """Delete an unused invite code; False when it was already used, expired or unknown; None without Redis."""

        def revoke(r: redis.Redis) -> bool:
            pipe = r.pipeline()
            pipe.delete(self._db.key("invite", code))
            pipe.zrem(self._db.key("invites"), code)
            return bool(pipe.execute()[0])

        return self._db.durable(revoke, None)

    def invites(self) -> list[dict[str, Any]]:
        """Unused, unexpired invite codes, newest first: ``{"code", "role", "by", "at", "expires"}``."""

        def read(r: redis.Redis) -> list[dict[str, Any]]:
            index = self._db.key("invites")
            r.zremrangebyscore(index, "-inf", time.time())
            rows = [(c.decode("utf-8"), int(t)) for c, t in r.zrevrange(index, 0, MAX_LISTED - 1, withscores=True)]
            blobs = r.mget([self._db.key("invite", c) for c, _ in rows]) if rows else []
            gone = [c for (c, _), blob in zip(rows, blobs, strict=True) if blob is None]
            if gone:  # redeemed or revoked meanwhile
                r.zrem(index, *gone)
            return [
                {**json.loads(blob), "code": code, "expires": expires}
                for (code, expires), blob in zip(rows, blobs, strict=True)
                if blob is not None
            ]

        return self._db.call(read, [])
