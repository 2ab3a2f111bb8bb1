"""Done-when check of the WeChat protocol with a client that is neither wechatpy nor ours.

node-webot's `wechat-crypto` (npm) signs and encrypts every sample in ../shared/wechat-samples/plain
exactly as the WeChat server does, in plaintext, compatible and safe mode, against the bot served over
real HTTP; it verifies each reply's signature and decrypts it. `.ci/run` and `make test` install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from bot import texts
from config.settings import PROJECT_ROOT
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, WELCOME, make_bot_settings, serve_app
from tests.conftest import shared_path
from tests.test_bot_protocol import SAMPLES

CLIENT = PROJECT_ROOT / "tests" / "independent_client"


@pytest.fixture
def served(bot_app):
    with serve_app(bot_app) as url:
        yield url + "/wechat"


@pytest.fixture
def served_plain(tmp_path, redis_url, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, WECHAT_MESSAGE_MODE="plain"))
    with serve_app(app) as url:
        yield url + "/wechat"
    app.extensions["caselink"].close()


def run_client(url: str, samples, modes: str = "plain,compat,safe") -> list[dict]:
    node = shutil.which("node")
    if not node or not (CLIENT / "node_modules" / "wechat-crypto").is_dir():
        pytest.skip("node and tests/independent_client/node_modules are needed (make test installs them)")
    env = {**os.environ, "BOT_URL": url, "TOKEN": TOKEN, "AES_KEY": AES_KEY, "APPID": APPID, "SAMPLES": str(samples)}
    env["MODES"] = modes
    proc = subprocess.run([node, "client.js"], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_independent_client_gets_correct_replies_in_every_mode(served, served_plain):
    # The bot in safe mode (the default with an AES key) for compat and safe pushes, in plain mode for plain.
    samples = shared_path("wechat-samples", "plain")
    results = run_client(served, samples, "compat,safe") + run_client(served_plain, samples, "plain")
    assert len(results) == 3 * len(SAMPLES)
    for r in results:
        kind, expected = SAMPLES[r["sample"]]
        where = f"{r['sample']} ({r['mode']})"
        assert r["status"] == 200, where
        if kind == "success":
            assert r["success"], where
            continue
        assert not r["success"], where
        if r["mode"] != "plain":
            assert r["verified"] and r["appid"] == APPID, where
        assert r["msgtype"] == "text" and r["to"] == r["user"], where
        assert r["content"], where
        if kind == "text" and expected in (texts.VOICE_WITHOUT_TEXT, texts.UNSUPPORTED, WELCOME, texts.HELP):
            assert r["content"] == expected, where
