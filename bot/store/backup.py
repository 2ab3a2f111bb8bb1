"""Back up every durable key (``bot.store.namespaces.DURABLE``) to JSON, and restore it, all or nothing.

The file (version 1)::

    {"format": "caselink-backup", "version": 1, "created": "2026-03-01T02:00:00+08:00",
     "prefix": "caselink:", "counts": {"role": 3, ...},
     "keys": [{"key": "role:o-x", "type": "string", "value": "employee"},
              {"key": "invite:ABC234", "type": "string", "value": "{…}", "expires_at": 1772500000.0},
              {"key": "roles", "type": "hash", "value": {"o-x": "{…}"}},
              {"key": "invites", "type": "zset", "value": [["ABC234", 1772500000.0]]}, ...]}

Keys are written without the prefix; values are UTF-8 text, or base64 with ``"enc": "base64"``.
A key that expires keeps its moment of expiry (``expires_at``, epoch seconds), so a restored
invite lives exactly as long as it had left, and one that expired meanwhile is not restored.
``restore`` checks the whole file before writing anything, then writes it in one MULTI/EXEC.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from bot.store.connection import Connection
from bot.store.namespaces import DURABLE, EPHEMERAL, namespace_of

FORMAT = "caselink-backup"
VERSION = 1
TYPES = ("string", "hash", "list", "set", "zset")
BATCH = 500


class BackupError(Exception):
    """A backup file that cannot be restored, or a Redis that cannot be read; the message is Chinese."""


def collect(db: Connection, created: str) -> tuple[dict[str, Any], Counter]:
    """Every durable key under the prefix as a backup document, and the keys of unknown namespaces skipped."""
    r = db.redis
    entries: list[dict[str, Any]] = []
    unknown: Counter = Counter()
    try:
        names = sorted({k.decode("utf-8") for k in r.scan_iter(match=db.prefix + "*", count=1000)})
        durable = []
        for name in names:
            namespace = namespace_of(name, db.prefix) or ""
            if namespace in DURABLE:
                durable.append(name)
            elif namespace not in EPHEMERAL:
                unknown[namespace] += 1
        for start in range(0, len(durable), BATCH):
            entries += _read_batch(r, durable[start : start + BATCH], db.prefix)
    except redis.RedisError as exc:
        raise BackupError(f"无法读取 Redis：{exc}") from None
    counts = Counter(namespace_of(db.prefix + e["key"], db.prefix) for e in entries)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "created": created,
        "prefix": db.prefix,
        "counts": dict(sorted(counts.items())),
        "keys": entries,
    }
    return document, unknown


def _read_batch(r: redis.Redis, names: list[str], prefix: str) -> list[dict[str, Any]]:
    pipe = r.pipeline()  # MULTI/EXEC: each batch is one consistent read
    for name in names:
        pipe.type(name)
        pipe.pttl(name)
    kinds_ttls = pipe.execute()
    kinds = [k.decode("utf-8") for k in kinds_ttls[0::2]]
    ttls = kinds_ttls[1::2]
    readers = {
        "string": lambda p, n: p.get(n),
        "hash": lambda p, n: p.hgetall(n),
        "list": lambda p, n: p.lrange(n, 0, -1),
        "set": lambda p, n: p.smembers(n),
        "zset": lambda p, n: p.zrange(n, 0, -1, withscores=True),
    }
    pipe = r.pipeline()
    present = [(n, k, t) for n, k, t in zip(names, kinds, ttls, strict=True) if k in readers]
    for name, kind, _ in present:
        readers[kind](pipe, name)
    now = time.time()
    out = []
    for (name, kind, ttl), value in zip(present, pipe.execute(), strict=True):
        if value is None:
            continue  # expired between the two reads
        entry = {"key": name[len(prefix) :], "type": kind, **_encode(kind, value)}
        if ttl is not None and ttl > 0:
            entry["expires_at"] = round(now + ttl / 1000, 3)
        out.append(entry)
    return out


def _encode(kind: str, value: Any) -> dict[str, Any]:
    """The value as JSON; all of it base64 when any part is not UTF-8 text."""
    try:
        return {"value": _map(kind, value, lambda b: b.decode("utf-8"))}
    except UnicodeDecodeError:
        return {"value": _map(kind, value, lambda b: base64.b64encode(b).decode("ascii")), "enc": "base64"}


def _map(kind: str, value: Any, conv) -> Any:
    if kind == "string":
        return conv(value)
    if kind == "hash":
        return {conv(k): conv(v) for k, v in sorted(value.items())}
    if kind == "list":
        return [conv(v) for v in value]
    if kind == "set":
        return sorted(conv(v) for v in value)
    return [[conv(member), score] for member, score in value]


def write_file(path: Path, document: dict[str, Any]) -> None:
    """Write the backup atomically (a temp file in the same folder, fsync, rename), readable by the owner only."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=1)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_file(path: Path) -> dict[str, Any]:
    """The backup document in ``path``; raise BackupError when it is not a readable JSON object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BackupError(f"无法读取备份文件：{exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"备份文件不是有效的 JSON（{exc}）") from None
    if not isinstance(data, dict):
        raise BackupError("备份文件的内容不是一个 JSON 对象")
    return data


def validate(data: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The entries of a backup after checking all of it; raise BackupError naming the first problem."""
    if data.get("format") != FORMAT:
        raise BackupError(f"这不是案例通的备份文件（format 应为 {FORMAT}）")
    if data.get("version") != VERSION:
        raise BackupError(f"不支持的备份版本 {data.get('version')!r}（这个版本能恢复的是 {VERSION}）")
    if data.get("prefix") != prefix:
        raise BackupError(f"备份的键前缀是 {data.get('prefix')!r}，这里用的是 {prefix!r}")
    entries = data.get("keys")
    if not isinstance(entries, list):
        raise BackupError("备份文件缺少 keys 列表")
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        problem = _problem(entry, seen)
        if problem:
            raise BackupError(f"第 {n} 个键{problem}")
    return entries


def _problem(entry: Any, seen: set[str]) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or not entry["key"]:
        return "没有键名"
    key = entry["key"]
    namespace = key.split(":", 1)[0]
    if namespace not in DURABLE:
        return f"（{key}）属于未知或不需要备份的命名空间 {namespace!r}"
    if key in seen:
        return f"（{key}）重复出现"
    seen.add(key)
    kind, enc = entry.get("type"), entry.get("enc", "utf-8")
    if kind not in TYPES:
        return f"（{key}）的类型 {kind!r} 不认识"
    if enc not in ("utf-8", "base64"):
        return f"（{key}）的编码 {enc!r} 不认识"
    expires = entry.get("expires_at")
    if expires is not None and (not isinstance(expires, int | float) or isinstance(expires, bool) or expires <= 0):
        return f"（{key}）的 expires_at 不是时间"
    if not _shape_ok(kind, entry.get("value"), enc):
        return f"（{key}）的值不是 {kind} 应有的格式"
    return ""


def _text_ok(value: Any, enc: str) -> bool:
    if not isinstance(value, str):
        return False
    if enc == "base64":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
    return True


def _shape_ok(kind: str, value: Any, enc: str) -> bool:
    if kind == "string":
        return _text_ok(value, enc)
    if kind == "hash":
        return isinstance(value, dict) and all(_text_ok(k, enc) and _text_ok(v, enc) for k, v in value.items())
    if kind in ("list", "set"):
        return isinstance(value, list) and all(_text_ok(v, enc) for v in value)
    return isinstance(value, list) and all(
        isinstance(row, list)
        and len(row) == 2
        and _text_ok(row[0], enc)
        and isinstance(row[1], int | float)
        and not isinstance(row[1], bool)
        and math.isfinite(row[1])
        for row in value
    )


def restore(db: Connection, entries: list[dict[str, Any]], replace: bool = False) -> tuple[Counter, int]:
    """Write validated entries in one transaction: (restored per namespace, expired and skipped).

    Each restored key replaces the key of that name; with ``replace`` every other durable key is
    deleted too, so Redis holds exactly the backup's durable state.
    """
    now = time.time()
    live = [e for e in entries if e.get("expires_at") is None or e["expires_at"] > now + 1]
    names = [db.prefix + e["key"] for e in live]
    try:
        stale = _durable_keys(db) - set(names) if replace else set()
        pipe = db.redis.pipeline(transaction=True)
        if stale:
            pipe.delete(*stale)
        for name, entry in zip(names, live, strict=True):
            pipe.delete(name)
            _write(pipe, name, entry)
            if entry.get("expires_at") is not None:
                pipe.pexpireat(name, int(entry["expires_at"] * 1000))
        pipe.execute()
    except redis.RedisError as exc:
        raise BackupError(f"写入 Redis 失败，什么都没有恢复：{exc}") from None
    return Counter(e["key"].split(":", 1)[0] for e in live), len(entries) - len(live)


def _durable_keys(db: Connection) -> set[str]:
    return {
        k.decode("utf-8")
        for k in db.redis.scan_iter(match=db.prefix + "*", count=1000)
        if namespace_of(k.decode("utf-8"), db.prefix) in DURABLE
    }


def _write(pipe, name: str, entry: dict[str, Any]) -> None:
    conv = (lambda s: base64.b64decode(s)) if entry.get("enc") == "base64" else (lambda s: s.encode("utf-8"))
    kind, value = entry["type"], entry["value"]
    if kind == "string":
        pipe.set(name, conv(value))
    elif kind == "hash" and value:
        pipe.hset(name, mapping={conv(k): conv(v) for k, v in value.items()})
    elif kind == "list" and value:
        pipe.rpush(name, *[conv(v) for v in value])
    elif kind == "set" and value:
        pipe.sadd(name, *[conv(v) for v in value])
    elif kind == "zset" and value:
        pipe.zadd(name, {conv(member): score for member, score in value})
