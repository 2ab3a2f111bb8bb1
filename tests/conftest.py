"""Shared fixtures: real Redis, real Whoosh indexes in temp dirs, settings pointing at them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT, load_settings

pytest_plugins = ["tests.bot_fixtures"]

SHARED = Path(os.environ.get("CASELINK_SHARED") or PROJECT_ROOT.parent / "shared")  # a worktree names it
SAMPLE_CONTENT = PROJECT_ROOT / "content"
BROKEN_CONTENT = PROJECT_ROOT / "tests" / "fixtures" / "broken_content"


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip the test when the shared folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (shared data lives beside the repo)")
    return path


def screenshot_dir() -> Path:
    """Where browser tests save screenshots: docs/screenshots with UPDATE_SCREENSHOTS=1 (make screenshots),
    else a temp folder, so a test run does not rewrite the README's pictures."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        path = PROJECT_ROOT / "docs" / "screenshots"
    else:
        path = Path(tempfile.gettempdir()) / "caselink-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def make_settings(tmp: Path, **env) -> object:
    """Settings for a test: dev secrets, a temp index dir, the sample content unless told otherwise."""
    base = {
        "CASELINK_DEV": "1",
        "INDEX_DIR": str(tmp / "index"),
        "CONTENT_DIR": str(SAMPLE_CONTENT),
        "URLS_FILE": str(tmp / "no-urls.txt"),
    }
    base.update({k: str(v) for k, v in env.items()})
    return load_settings(base)


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


def write_post(content, name: str, title: str, body: str, extra: str = "") -> None:
    """A Jekyll post in ``content``/_posts (``extra``: more front matter lines)."""
    path = content / "_posts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\ntags: [测试]\n{extra}---\n\n{body}\n", encoding="utf-8")


@pytest.fixture
def three_posts(tmp_path):
    """Settings and content folder of three short posts (小程序, 抖音直播, 危机公关), nothing built yet."""
    content = tmp_path / "content"
    write_post(content, "2021-1-1-mini.md", "小程序会员体系", "会员小程序的积分与等级设计。")
    write_post(content, "2021-2-1-douyin.md", "抖音直播团队", "直播间的主播、场控和投手分工。")
    write_post(content, "2021-3-1-crisis.md", "危机公关手册", "舆情出现后的前二十四小时怎么做。")
    return make_settings(tmp_path, CONTENT_DIR=content, SITE_URL="https://blog.example.cn"), content


@pytest.fixture(scope="session")
def built_sample_index(tmp_path_factory) -> Path:
    """An index of the sample content, built once per test session, that nobody opens: the shared sample
    index and every fresh_index are copies of it (a copy is the index a rebuild of the same content gives:
    the build lock, CURRENT and the generation folder; nothing in it names its own path)."""
    from indexer.build import rebuild

    settings = make_settings(tmp_path_factory.mktemp("template"))
    rebuild(settings)
    return settings.index_dir


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory, built_sample_index):
    """Settings whose index holds the sample content (shared by the session: tests only read it)."""
    settings = make_settings(tmp_path_factory.mktemp("sample"))
    shutil.copytree(built_sample_index, settings.index_dir)
    return settings


@pytest.fixture(scope="session")
def searcher(sample_settings):
    from indexer.search import open_searcher

    return open_searcher(sample_settings.index_dir)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(binary: str, workdir: Path) -> tuple[subprocess.Popen, int]:
    """A redis-server on a free port. The port is only free when we looked: if another process took it
    meanwhile, our server exits at once, so try another rather than talk to someone else's Redis."""
    for _ in range(5):
        port = _free_port()
        options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        proc = subprocess.Popen(
            [binary, *options, "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if _serves(proc, port):
            return proc, port
        proc.kill()
        proc.wait(timeout=10)
    raise RuntimeError("redis-server did not start on a free port (5 tries)")


def _serves(proc: subprocess.Popen, port: int, timeout: float = 10.0) -> bool:
    """Whether ``proc`` itself answers on ``port`` (not another process that took the port first)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(port=port, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return client.info("server")["process_id"] == proc.pid
        except redis.ConnectionError:
            time.sleep(0.05)
        finally:
            client.close()
    return False


def xdist_worker() -> int:
    """This pytest-xdist worker's number (gw0 -> 0); 0 when the suite runs in one process."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


# The databases the suite uses on its Redis: 0 for everyday state, 9-12 for modules that empty their own.
SUITE_DBS = (0, 9, 10, 11, 12)


def suite_db(redis_url: str, db: int) -> str:
    """The URL of the suite's database ``db`` (one of SUITE_DBS) on the server of ``redis_url``.

    Without REDIS_URL every xdist worker starts its own redis-server, so the numbers are used as they are.
    With REDIS_URL the workers share one server: worker 0 keeps the numbers, and each other worker gets
    five of the spare databases (15, 14, 13, 8, 7 for worker 1) instead, so no worker sees (or empties)
    another's state."""
    if db not in SUITE_DBS:
        raise ValueError(f"database {db} is not one of the suite's {SUITE_DBS}")
    base = redis_url.rpartition("/")[0]
    worker = xdist_worker()
    if not os.environ.get("REDIS_URL") or worker == 0:
        return redis_url if db == 0 else f"{base}/{db}"
    taken = {*SUITE_DBS, int(os.environ["REDIS_URL"].rpartition("/")[2] or 0)}
    spare = [n for n in range(15, -1, -1) if n not in taken]  # from the top: low numbers are the ones people use
    mine = spare[(worker - 1) * len(SUITE_DBS) : worker * len(SUITE_DBS)]
    if len(mine) < len(SUITE_DBS):
        raise pytest.UsageError("REDIS_URL has databases for 3 xdist workers at most: use -n 2, or unset REDIS_URL")
    return f"{base}/{mine[SUITE_DBS.index(db)]}"


# The modules that take longest (a bench run, a Sentinel failover, browsers, CLI subprocesses, whole builds)
# start first: the many short modules then fill the workers around them, instead of one of these ending the
# run alone on one worker while the others wait.
SLOW_FIRST = (
    "test_bench_smoke",
    "test_topk",
    "test_sentinel",
    "test_browser_admin",
    "test_build_writer",
    "test_browser_frontdesk",
    "test_admin",
    "test_bot_protocol",
    "test_bot_fuzz",
    "test_browser_kit",
)


def pytest_collection_modifyitems(items) -> None:
    first = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: first.get(item.path.stem, len(first)))  # stable: the rest keep their order


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: one worker more than there are cores (about a fifth of the suite waits on browsers, servers
    and subprocesses), but no more than suite_db has databases for when they share REDIS_URL."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores + 1, 3) if os.environ.get("REDIS_URL") else cores + 1


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: REDIS_URL (a database of this xdist worker's) when set, else a private redis-server."""
    if os.environ.get("REDIS_URL"):
        yield suite_db(os.environ["REDIS_URL"], 0)
        return
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("no REDIS_URL and no redis-server binary (.ci/run installs it)")
    proc, port = _start_redis(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
