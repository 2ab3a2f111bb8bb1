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


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory):
    """Settings whose index holds the sample content, built once per test session."""
    from indexer.build import rebuild

    settings = make_settings(tmp_path_factory.mktemp("sample"))
    rebuild(settings)
    return settings


@pytest.fixture(scope="session")
def searcher(sample_settings):
    from indexer.search import open_searcher

    return open_searcher(sample_settings.index_dir)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not listen on {port}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: REDIS_URL when set, else a private redis-server on a free port."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("no REDIS_URL and no redis-server binary (.ci/run installs it)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
