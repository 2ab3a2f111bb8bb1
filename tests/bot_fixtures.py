"""Fixtures and constants for the bot tests, registered by conftest.py (``pytest_plugins``).

Each test talks as fresh openids, so tests share one real Redis without flushing it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from config.settings import PROJECT_ROOT
from tests.conftest import make_settings, suite_db
from tests.wechat_client import WeChatServer

TOKEN = "caselink-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OLD_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
APPID = "wxcaselinktest001"
SECRET = "caselink-test-secret"
ADMIN = "o-admin-from-settings"

__all__ = [
    "bot_app",
    "bot_env",
    "bot_settings",
    "browser",
    "fresh_index",
    "front_desk_redis",
    "make_bot_settings",
    "new_openid",
    "persistent_redis",
    "private_redis",
    "wechat",
]


def shipped_welcome() -> str:
    """What a new follower gets from the shipped front desk (config/replies.yaml's subscribe rule)."""
    from bot.chat.frontdesk.rules import load_defaults
    from bot.texts import HELP
    from config.settings import CONFIG_DIR

    rule = next(r for r in load_defaults(CONFIG_DIR).rules if r.match == "subscribe")
    return rule.text.replace("{帮助}", HELP)


WELCOME = shipped_welcome()


def new_openid(label: str = "user") -> str:
    """A fresh openid, so tests sharing one Redis never see each other's state."""
    return f"o-{label}-{uuid.uuid4().hex[:12]}"


def make_bot_settings(tmp: Path, redis_url: str, index_dir: Path, **env):
    """Settings for a bot under test: known secrets, the given Redis and index."""
    base = {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "REDIS_URL": redis_url,
        "INDEX_DIR": str(index_dir),
        "ADMIN_OPENIDS": ADMIN,
        "SECRET_KEY": "caselink-test-secret-key",
        # Nothing listens here unless a test starts its WeChat API stand-in and says so.
        "WECHAT_API_BASE": "http://127.0.0.1:9/cgi-bin/",
    }
    base.update(env)
    return make_settings(tmp, **base)


@pytest.fixture
def bot_env() -> dict:
    """Extra settings (environment names) a test wants; override to change them."""
    return {}


@contextlib.contextmanager
def prefixed_store(redis_url: str, label: str) -> Iterator[tuple]:
    """A Store under a key prefix of its own, with the raw client and the prefix (for tests that read raw
    keys on the shared Redis); its keys are deleted afterwards."""
    from bot.store import Store

    prefix = f"caselink-{label}-{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(redis_url)
    try:
        yield Store(client, prefix=prefix), client, prefix
    finally:
        keys = list(client.scan_iter(prefix + "*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def bot_settings(tmp_path, redis_url, sample_settings, bot_env):
    """Bot settings on the shared sample index (read-only) and the suite's Redis."""
    return make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, **bot_env)


FRONT_DESK_DB = 9


@pytest.fixture
def front_desk_redis(redis_url) -> str:
    """A Redis database of its own, emptied, for tests that change what every user shares (fixed answers,
    leads): the suite's other tests keep the shipped front desk in database 0."""
    url = suite_db(redis_url, FRONT_DESK_DB)
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def fresh_index(tmp_path, built_sample_index):
    """A private copy of the sample index (conftest's built_sample_index), for tests that change the index."""
    index_dir = make_settings(tmp_path / "own").index_dir
    shutil.copytree(built_sample_index, index_dir)
    return index_dir


@pytest.fixture
def bot_app(bot_settings):
    from bot import create_app

    # The shared access token would leak between tests that each start their own API stand-in.
    redis.Redis.from_url(bot_settings.redis_url).delete(f"caselink:wechatpy:{APPID}_access_token")
    app = create_app(bot_settings)
    yield app
    app.extensions["caselink"].close()


@pytest.fixture
def wechat(bot_app) -> WeChatServer:
    """The WeChat server side, talking to the app through the Flask test client."""
    return WeChatServer(bot_app.test_client(), TOKEN, AES_KEY, APPID)


class RedisProcess:
    """A redis-server of our own that a test can stop (or kill) and start again on the same port.

    ``persistent`` turns on the append-only file as docker-compose.yml runs it (``appendfsync everysec``).
    """

    def __init__(self, workdir: Path, persistent: bool = False):
        self.workdir = workdir
        self.persistent = persistent
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            pytest.skip("redis-server is not installed")
        durability = ["--appendonly", "yes", "--appendfsync", "everysec"] if self.persistent else ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *durability],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for this Redis only: every key's TTL shrinks, and keys past it expire."""
        client = redis.Redis(port=self.port)
        for key in client.scan_iter(count=1000):
            left = client.pttl(key)
            if left > 0:
                if left <= seconds * 1000:
                    client.delete(key)
                else:
                    client.pexpire(key, left - int(seconds * 1000))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def kill(self) -> None:
        """End the server the hard way (a crash, a power cut): no chance to save anything."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server only this test uses, to stop and restart (outage tests)."""
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def persistent_redis(tmp_path):
    """A redis-server with the append-only file on, as in production, only for this test."""
    server = RedisProcess(tmp_path, persistent=True)
    server.start()
    yield server
    server.stop()


@contextlib.contextmanager
def run_gunicorn(redis_url: str, index_dir: Path, logdir: Path, **env: str) -> Iterator[str]:
    """The bot under gunicorn with gunicorn.conf.py (2 workers, preload) on a free port; yields its URL."""
    binary = shutil.which("gunicorn", path=str(PROJECT_ROOT / ".venv" / "bin")) or shutil.which("gunicorn")
    if not binary:
        pytest.skip("gunicorn is not installed")
    port = free_port()
    full_env = {
        **os.environ,
        "CASELINK_DEV": "1",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_APPID": APPID,
        "REDIS_URL": redis_url,
        "INDEX_DIR": str(index_dir),
        "CASELINK_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    log = logdir / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [binary, "-c", "gunicorn.conf.py"], cwd=PROJECT_ROOT, env=full_env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextlib.contextmanager
def serve_app(app, port: int = 0) -> Iterator[str]:
    """Serve a Flask app over real HTTP on 127.0.0.1 in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(5)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium, never a downloaded browser; no background traffic to the closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright (skipped when chromium is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
