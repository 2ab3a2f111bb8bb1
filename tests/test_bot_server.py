"""The real thing: gunicorn with gunicorn.conf.py, driven over HTTP by the independent client,
plus the simulator and the command line."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from bot import texts
from bot.cli import cli
from bot.wechat.simulator import Simulator, app_transport, render, repl
from config.settings import PROJECT_ROOT
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, WELCOME, new_openid, run_gunicorn
from tests.conftest import shared_path
from tests.test_bot_protocol import MODES, SAMPLES, personalise
from tests.wechat_client import HttpClient, WeChatServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_url(redis_url, sample_settings, tmp_path_factory):
    """The bot under gunicorn (2 workers, preload) on a free port."""
    with run_gunicorn(redis_url, sample_settings.index_dir, tmp_path_factory.mktemp("gunicorn")) as url:
        yield url


@pytest.mark.parametrize("mode", MODES)
def test_running_server_answers_every_sample(gunicorn_url, mode):
    server = WeChatServer(HttpClient(gunicorn_url), TOKEN, AES_KEY, APPID)
    for sample, (kind, expected) in sorted(SAMPLES.items()):
        raw = shared_path("wechat-samples", "plain", sample).read_text(encoding="utf-8")
        reply = server.post_xml(personalise(raw, new_openid("http")), mode)
        if mode == "plain":  # the server runs in safe mode (the default with an AES key)
            assert (reply.status, reply.body) == (403, "forbidden"), sample
            continue
        assert reply.status == 200, sample
        if kind == "success":
            assert reply.success, sample
        else:
            assert expected in reply.text, sample
            assert reply.encrypted == (mode != "plain")


def test_running_server_pages_across_workers(gunicorn_url):
    # Both workers share the conversation through Redis: paging works whichever worker answers.
    server = WeChatServer(HttpClient(gunicorn_url), TOKEN, AES_KEY, APPID)
    user = new_openid()
    assert server.text(user, "私域流量", "safe").text.startswith("找到 ")
    for _ in range(3):
        assert server.text(user, "更多", "safe").text.startswith(("找到 ", "「私域流量」的结果已经全部显示"))
    assert server.verify(echostr="ok").text == "ok"
    assert server.text(user, "x", "plain", timestamp=int(time.time()) - 3600).status == 403


def test_render_shows_links_and_cards_readably():
    text = (
        "<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA["
        '1. <a href="https://e.com/a">标题一</a>（文章）]]></Content></xml>'
    )
    assert render(text) == "1. 标题一 <https://e.com/a>（文章）"
    news = (
        "<xml><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount><Articles><item>"
        "<Title><![CDATA[卡片标题]]></Title><Description><![CDATA[摘要]]></Description>"
        "<PicUrl><![CDATA[https://e.com/c.png]]></PicUrl><Url><![CDATA[https://e.com/a]]></Url></item></Articles></xml>"
    )
    box = render(news).splitlines()
    assert box[0].startswith("┌") and box[-1].startswith("└")
    assert "│ 卡片标题" in box and "│ 链接：https://e.com/a" in box and "│ 封面：https://e.com/c.png" in box


@pytest.mark.parametrize(
    ("encrypt", "bot_env"), [(False, {"WECHAT_MESSAGE_MODE": "plain"}), (True, {})], ids=["plain", "safe"]
)
def test_simulator_repl_in_process(bot_app, encrypt, bot_env):
    sim = Simulator(app_transport(bot_app), TOKEN, AES_KEY, APPID, encrypt=encrypt, user=new_openid())
    lines = iter(["私域流量", "2", "/event subscribe", "/click HELP", "/user someone-else", "更多", "/quit"])
    out: list[str] = []
    repl(sim, read=lambda prompt: next(lines), write=out.append)
    replies = out[1:]
    assert re.search(r"^1\. .+ <https?://\S+>（", replies[0], re.M)
    assert replies[1].startswith("┌")
    assert replies[2].strip() == WELCOME
    assert replies[3].strip() == texts.HELP
    assert replies[4].strip() == texts.NO_SESSION  # a different user has no search to page


def test_chat_command_over_http(gunicorn_url):
    env = {"CASELINK_DEV": "1", "WECHAT_TOKEN": TOKEN, "WECHAT_AES_KEY": AES_KEY, "WECHAT_APPID": APPID}
    result = CliRunner(env=env).invoke(
        # No --encrypt: with an AES key the bot is in safe mode, and the simulator follows it.
        cli,
        ["chat", "--url", gunicorn_url + "/wechat", "--user", new_openid()],
        input="品牌\n帮助\n",
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^1\. .+ <https?://\S+>", result.output, re.M)
    assert texts.HELP.splitlines()[0] in result.output


def test_python_m_bot_help():
    out = subprocess.run([sys.executable, "-m", "bot", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert out.returncode == 0
    assert all(cmd in out.stdout for cmd in ("serve", "chat", "menu"))


def test_importing_bot_needs_no_environment():
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    code = "import bot, bot.app, bot.wechat.webhook, bot.cli, bot.wechat.simulator; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
