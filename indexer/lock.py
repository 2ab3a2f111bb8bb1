"""A build lock so two builds of the same index never run at once.

A file lock (``fcntl.flock``) on INDEX_DIR/.build.lock: the index directory is local to each node,
so the lock only needs to cover processes on this machine, and the kernel releases it when a
builder dies. The holder writes who it is, so a second builder can say whom it waits for.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from config.errors import IndexLocked

LOCK_FILE = ".build.lock"


def describe_holder(index_dir: Path) -> str:
    """Who holds the lock, as a short human sentence."""
    try:
        info = json.loads((index_dir / LOCK_FILE).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "未知进程"
    since = time.strftime("%H:%M:%S", time.localtime(info.get("since", 0)))
    return f"{info.get('command', '构建')}，进程 {info.get('pid')}@{info.get('host')}，{since} 开始"


@contextlib.contextmanager
def build_lock(
    index_dir: Path, command: str, wait: float = 0.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the build lock; wait up to ``wait`` seconds, then raise IndexLocked naming the holder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = describe_holder(index_dir)
                if time.monotonic() >= deadline:
                    raise IndexLocked(holder) from None
                if on_wait and not told:
                    on_wait(holder)
                    told = True
                time.sleep(0.2)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info, ensure_ascii=False).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
