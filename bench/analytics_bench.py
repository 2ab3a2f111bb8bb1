"""``python -m bench analytics``: 热词 and /admin/queries after a flood of distinct searches.

A flood of N different searches (random text, as a bot or a curious crowd would send) goes
through the real ``Analytics.log_search`` into a private redis-server; then the dashboard page and
the admin's ``热词`` are timed through the app, and Redis' memory is printed. Figures, not asserts.
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

ADMIN = "o-bench-admin"
TOKEN = "caselink-bench-token"
ADMIN_TOKEN = "caselink-bench-admin"


def _redis_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if not binary:
        raise SystemExit("redis-server is needed (apt install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(queries: int, repeat: int, echo: Callable[[str], None], threads: int = 8) -> None:
    from bot import create_app
    from config.settings import load_settings

    workdir = Path(tempfile.mkdtemp(prefix="caselink-analytics-"))
    proc, url = _redis_server(workdir)
    try:
        settings = load_settings(
            {
                "CASELINK_DEV": "1",
                "REDIS_URL": url,
                "INDEX_DIR": str(workdir / "no-index"),
                "ADMIN_OPENIDS": ADMIN,
                "ADMIN_TOKEN": ADMIN_TOKEN,
                "LOG_LEVEL": "WARNING",
            }
        )
        app = create_app(settings)
        store = app.extensions["caselink"].store
        raw = redis.Redis.from_url(url)
        before = raw.info("memory")["used_memory"]

        def log(n: int) -> None:
            audience = "employee" if n % 10 == 0 else "client"
            store.analytics.log_search(f"{secrets.token_hex(6)} 搜索 {n}", audience, n % 3, n % 7 == 0)

        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:  # as gunicorn's workers would, several at once
            for _ in pool.map(log, range(queries), chunksize=256):
                pass
        flood = time.perf_counter() - start
        used = raw.info("memory")["used_memory"] - before
        echo(f"flood: {queries:,} distinct searches logged in {flood:.1f} s ({queries / flood:,.0f}/s)")
        echo(f"redis: {raw.dbsize():,} keys, +{used / 1e6:.1f} MB")
        listed = sum(raw.zcard(k) for k in raw.scan_iter("caselink:searches:*:all"))
        echo(f"listed searches kept: {listed:,} (the rest counted as not listed)")

        client = app.test_client()
        page = client.get("/admin/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/admin/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf})
        assert client.get("/admin/queries").status_code == 200
        echo(f"/admin/queries: {_median_ms(lambda: client.get('/admin/queries'), repeat):.1f} ms (median of {repeat})")
        hot = store.analytics
        echo(f"热词 (7 days, all four lists): {_median_ms(lambda: _hot_words(hot, 7), repeat):.1f} ms")
        echo(f"热词 30天: {_median_ms(lambda: _hot_words(hot, 30), repeat):.1f} ms")
        app.extensions["caselink"].close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _hot_words(analytics, days: int) -> None:
    # What the 热词 command reads (bot.chat.hot_words), without the webhook around it.
    analytics.totals("client", days)
    analytics.totals("employee", days)
    for audience, kind, limit in (("client", "all", 10), ("client", "zero", 5), ("client", "weak", 3)):
        analytics.top(audience, kind, days, limit)
    analytics.top("employee", "all", days, 5)
