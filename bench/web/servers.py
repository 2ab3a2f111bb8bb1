"""The processes a web benchmark runs: a private redis-server and gunicorn with ``gunicorn.conf.py``.

Everything binds to 127.0.0.1 on a free port, every wait is bounded, and every process started
here is stopped here (by its own pid).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import PROJECT_ROOT

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None, what: str = "server") -> None:
    """Return once ``port`` accepts connections; raise if ``proc`` exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f}s")


def stop_process(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``: this one process only."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


class RedisServer:
    """``redis-server`` on a free port, persisting nothing (``--save ''``)."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("no REDIS_URL and no redis-server binary (apt-get install redis-server)")
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 10, self.proc, "redis-server")
        self.url = f"redis://{HOST}:{self.port}/0"

    def stop(self) -> None:
        stop_process(self.proc, 10)


@dataclass
class Gunicorn:
    """One gunicorn master with ``gunicorn.conf.py`` (the production config), on a free port.

    ``app`` is gunicorn's APP_MODULE (None: the config's ``wsgi_app``, i.e. the bot). ``workers``
    sets WEB_CONCURRENCY (None: the config's default, two per core).
    """

    env: dict[str, str]
    log_path: Path
    app: str | None = None
    workers: int | None = None
    port: int = field(default_factory=free_port)
    started_at: float = 0.0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Gunicorn:
        env = {**os.environ, **self.env, "CASELINK_BIND": f"{HOST}:{self.port}"}
        if self.workers:
            env["WEB_CONCURRENCY"] = str(self.workers)
        cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"] + ([self.app] if self.app else [])
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.started_at = time.perf_counter()
            self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the port listens and every worker has booted."""
        assert self.proc is not None
        wait_for_port(self.port, timeout, self.proc, f"gunicorn ({self.log_path})")
        expected = self.workers or int(self.env.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < expected and time.monotonic() < deadline:
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        """The master's children (gunicorn workers)."""
        if self.proc is None:
            return []
        pid = self.proc.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
            return [int(p) for p in text.split()]
        except OSError:
            out = []
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == pid:
                    out.append(int(stat.parent.name))
            return out

    def memory(self) -> dict[str, float]:
        """Memory in MB (from /proc/<pid>/smaps_rollup): the largest worker's RSS, its file-backed part
        (the index's mapped pages, shared through the page cache), PSS (shared pages divided among
        their users) and USS (pages only it holds); the smallest worker's PSS; and the whole service
        (master and workers): RSS summed (counting shared pages once per process), PSS and USS summed."""
        rows = [_memory(pid) for pid in self.worker_pids()]
        if not rows:
            keys = ("worker_rss_mb", "worker_rss_file_mb", "worker_pss_mb", "worker_uss_mb", "worker_pss_min_mb")
            return dict.fromkeys((*keys, "service_rss_mb", "service_pss_mb", "service_uss_mb"), 0.0)
        largest = dict(max(rows, key=lambda r: r["worker_rss_mb"]))
        everyone = rows + ([_memory(self.proc.pid)] if self.proc is not None else [])
        largest["worker_pss_min_mb"] = min(r["worker_pss_mb"] for r in rows)
        largest["workers"] = float(len(rows))
        for what in ("rss", "pss", "uss"):
            largest[f"service_{what}_mb"] = sum(r[f"worker_{what}_mb"] for r in everyone)
        return largest

    def healthz(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as res:
            return json.loads(res.read())

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _memory(pid: int) -> dict[str, float]:
    smaps = f"/proc/{pid}/smaps_rollup"
    uss = proc_kb(smaps, "Private_Clean:") + proc_kb(smaps, "Private_Dirty:")
    return {
        "worker_rss_mb": proc_kb(f"/proc/{pid}/status", "VmRSS:") / 1024,
        "worker_rss_file_mb": proc_kb(f"/proc/{pid}/status", "RssFile:") / 1024,
        "worker_pss_mb": proc_kb(smaps, "Pss:") / 1024,
        "worker_uss_mb": uss / 1024,
    }


def proc_kb(path: str, key: str) -> float:
    """A ``key: value kB`` figure from a /proc file (0 when absent)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0
