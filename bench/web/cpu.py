"""Where a level's CPU went, per request sent: the server's processes, Redis and the load client.

Throughput on this 2-core machine is bounded by CPU that all three share, so a ratio to the echo
floor is only explained once each side's cost per request is known. Figures come from
``/proc/<pid>/stat`` (user + system time of each process, its threads included), read before and
after a level; the client's own share is measured by the load loop itself (``bench.web.load``).
Redis is counted only when its process can be found on this machine (the bench's own server, or a
local ``redis-server`` whose command line names the URL's port); otherwise it is reported as None.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes used so far (a process that is gone counts 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICK


def local_redis_pid(url: str) -> int | None:
    """The pid of the redis-server serving ``url`` on this machine, when one can be told apart."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        wanted = parts.path
    elif parts.hostname in LOCAL_HOSTS:
        wanted = f":{parts.port or 6379}"
    else:
        return None
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if proc.joinpath("comm").read_text().strip() != "redis-server":
                continue
            argv = proc.joinpath("cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        line = " ".join(a.decode("utf-8", "replace") for a in argv)
        # "redis-server 127.0.0.1:6379" (as Debian starts it) or "redis-server --port 6379 ..." (ours)
        port_flag = wanted.startswith(":") and f"--port {wanted[1:]}" in line
        if wanted in line or port_flag:
            found.append(int(proc.name))
    return found[0] if len(found) == 1 else None


class Meter:
    """CPU seconds of the server's processes and of Redis between ``start`` and ``stop``."""

    def __init__(self, server_pids: list[int], redis_pid: int | None):
        self.server_pids = server_pids
        self.redis_pid = redis_pid
        self._server = self._redis = 0.0

    def start(self) -> Meter:
        self._server = cpu_seconds(self.server_pids)
        self._redis = cpu_seconds([self.redis_pid]) if self.redis_pid else 0.0
        return self

    def stop(self, sent: int, client_cpu_s: float) -> dict[str, float | None]:
        """Milliseconds of CPU per request sent: server, Redis (None when not found), client, total."""
        sent = max(sent, 1)
        server = (cpu_seconds(self.server_pids) - self._server) * 1000 / sent
        redis = (cpu_seconds([self.redis_pid]) - self._redis) * 1000 / sent if self.redis_pid else None
        client = client_cpu_s * 1000 / sent
        return {
            "server": round(server, 3),
            "redis": None if redis is None else round(redis, 3),
            "client": round(client, 3),
            "total": round(server + (redis or 0.0) + client, 3),
        }
