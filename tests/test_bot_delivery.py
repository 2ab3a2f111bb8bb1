"""Deadlines, retries and the customer-service fallback chain, against a local WeChat API stand-in.

The slow path is real: an admin forwards an article whose page (served by the stand-in) is held
back until the test lets it go — after the reply budget has run out — so the answer must be pushed
through the API. No test sleeps past a deadline to get there.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from bot import texts
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.conftest import SAMPLE_CONTENT, make_settings
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer, message_xml

PAGE = """<html><head><title>慢慢打开的文章</title><meta name="description" content="一篇用来测试超时的文章">
</head><body><article><p>私域运营的第一步是分层。这是一段足够长的正文，让抓取器认为页面有内容。</p></article></body></html>"""


# What the bot answers once the page is read: it asks how to publish (bot.chat.forwarding).
ASKED = "读到了：《慢慢打开的文章》"


def held_page(gate: threading.Event):
    """The article page, served once the test sets ``gate``."""

    def respond(call):
        gate.wait(10)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE

    return respond


@pytest.fixture
def api():
    """The WeChat API stand-in: stable_token and message/custom/send succeed unless a test says otherwise.

    ``api.page_gate`` holds the article page back until it is set.
    """
    gate = threading.Event()
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "ACCESS-TOKEN-1", "expires_in": 7200},
            ("POST", "/cgi-bin/message/custom/send"): {"errcode": 0, "errmsg": "ok"},
            ("GET", "/article"): held_page(gate),
        }
    ) as stub:
        stub.page_gate = gate
        try:
            yield stub
        finally:
            gate.set()  # let a held page go, so the stand-in can stop


@pytest.fixture(scope="module")
def delivery_index(tmp_path_factory):
    """One private index for this module: forwarded articles are added to it, never to the shared one."""
    from indexer.build import rebuild

    settings = make_settings(tmp_path_factory.mktemp("delivery"), CONTENT_DIR=str(SAMPLE_CONTENT))
    rebuild(settings)
    return settings.index_dir


@pytest.fixture
def make_app(tmp_path, redis_url, delivery_index, api):
    """Build apps wired to the stand-in; they are closed before the stand-in stops."""
    from bot import create_app

    apps = []
    # A token left by another test would spare the stand-in the token call these tests look at.
    redis.Redis.from_url(redis_url).delete(f"caselink:wechatpy:{APPID}_access_token")

    def make(name: str = "app", **env):
        env = {k.upper(): str(v) for k, v in env.items()}
        settings = make_bot_settings(
            tmp_path / name, redis_url, delivery_index, WECHAT_API_BASE=api.url + "/cgi-bin/", **env
        ).with_overrides(fetch_loopback_ports=frozenset({api.port}))  # the forwarded article's stand-in
        apps.append(create_app(settings))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["caselink"].close()
    # The forwarded article's question stays open for ADMIN, whom other tests share: close it.
    redis.Redis.from_url(redis_url).delete(f"caselink:flow:{ADMIN}")


def finish(app) -> None:
    """Wait for the app's background work (late answers) to end."""
    app.extensions["caselink"].jobs.shutdown()


def link_xml(user: str, url: str, msg_id: int) -> str:
    fields = {
        "ToUserName": "gh_caselink",
        "FromUserName": user,
        "CreateTime": int(time.time()),
        "MsgType": "link",
        "Title": "慢慢打开的文章",
        "Description": "一篇用来测试超时的文章",
        "Url": url,
        "MsgId": msg_id,
    }
    return message_xml(fields)


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_over_the_deadline_answers_success_and_pushes(make_app, api):
    app = make_app(reply_deadline=0.5)
    wechat = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    reply = wechat.post_xml(link_xml(ADMIN, api.url + "/article", int(time.time() * 1000)), "safe")
    assert reply.success  # the page is still held: only the deadline can have ended this (no clock needed)
    assert not api.calls_to("/cgi-bin/message/custom/send")
    api.page_gate.set()
    sent = wait_for(lambda: api.calls_to("/cgi-bin/message/custom/send"))
    assert sent[0].query["access_token"] == "ACCESS-TOKEN-1"
    assert (sent[0].json["touser"], sent[0].json["msgtype"]) == (ADMIN, "text")
    assert sent[0].json["text"]["content"].startswith(ASKED)
    token_call = api.calls_to("/cgi-bin/stable_token")[0]
    assert token_call.json == {"grant_type": "client_credential", "appid": APPID, "secret": "caselink-test-secret"}
    finish(app)


@pytest.mark.parametrize("errcode", [48001, 45015, 45047])
def test_refused_push_is_delivered_with_the_next_message(make_app, api, errcode):
    api.route("POST", "/cgi-bin/message/custom/send", {"errcode": errcode, "errmsg": "refused"})
    app = make_app(reply_deadline=0.5)
    wechat = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    assert wechat.post_xml(link_xml(ADMIN, api.url + "/article", int(time.time() * 1000)), "safe").success
    api.page_gate.set()
    wait_for(lambda: api.calls_to("/cgi-bin/message/custom/send"))
    finish(app)  # the late answer has been handled (kept)
    nxt = wechat.text(ADMIN, "帮助", "safe")
    assert nxt.text.startswith(texts.PENDING_PREFIX + "\n" + ASKED)
    assert nxt.text.endswith(texts.ADMIN_HELP)
    assert wechat.text(ADMIN, "帮助").text == texts.ADMIN_HELP  # delivered once


def test_unreachable_api_keeps_the_answer_too(make_app, api):
    api.route("POST", "/cgi-bin/stable_token", (502, {"Content-Type": "text/plain"}, "bad gateway"))
    app = make_app(reply_deadline=0.5)
    wechat = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    assert wechat.post_xml(link_xml(ADMIN, api.url + "/article", int(time.time() * 1000))).success
    api.page_gate.set()
    wait_for(lambda: api.calls_to("/cgi-bin/stable_token"))
    finish(app)
    assert ASKED in wechat.text(ADMIN, "帮助").text


def test_retry_during_processing_is_processed_once_with_the_identical_reply(make_app, api):
    app = make_app()  # default 4 s budget: the page is let go well within it
    xml = link_xml(ADMIN, api.url + "/article", int(time.time() * 1000))
    replies = {}

    def deliver(name: str) -> None:
        # Each delivery is its own HTTP request with its own nonce, as WeChat's retries are.
        server = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        replies[name] = server.post_xml(xml, "safe")

    first = threading.Thread(target=deliver, args=("first",))
    first.start()
    wait_for(lambda: api.calls_to("/article"))  # the first delivery is fetching the page
    retries = [threading.Thread(target=deliver, args=(name,)) for name in ("retry", "late")]
    for t in retries:
        t.start()
    time.sleep(0.2)  # the retries are now waiting for the first delivery's reply
    api.page_gate.set()
    for t in [first, *retries]:
        t.join()
    assert replies["first"].text.startswith(ASKED)
    assert replies["first"].body == replies["retry"].body == replies["late"].body  # byte-identical XML
    assert len(api.calls_to("/article")) == 1
    assert not api.calls_to("/cgi-bin/message/custom/send")


def test_retry_after_a_late_answer_gets_success_and_no_second_push(make_app, api):
    app = make_app(reply_deadline=0.5)
    xml = link_xml(ADMIN, api.url + "/article", int(time.time() * 1000))
    wechat = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    assert wechat.post_xml(xml).success
    assert wechat.post_xml(xml).success  # the retry, while the answer is still being made
    api.page_gate.set()
    wait_for(lambda: api.calls_to("/cgi-bin/message/custom/send"))
    finish(app)
    assert len(api.calls_to("/cgi-bin/message/custom/send")) == 1
    assert len(api.calls_to("/article")) == 1


def test_workers_share_one_access_token(make_app, api):
    api.route(
        "POST",
        "/cgi-bin/stable_token",
        lambda call: (time.sleep(0.3), {"access_token": "SHARED", "expires_in": 7200})[1],
    )
    apps = [make_app(f"worker{i}") for i in range(3)]
    threads = [
        threading.Thread(target=a.extensions["caselink"].delivery.push, args=(new_openid(), _text("hi"))) for a in apps
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(api.calls_to("/cgi-bin/stable_token")) == 1
    sends = api.calls_to("/cgi-bin/message/custom/send")
    assert len(sends) == 3
    assert {c.query["access_token"] for c in sends} == {"SHARED"}


def test_only_the_worker_holding_the_lock_refreshes_the_token(redis_url, api):
    # Five workers want a token at once and the token call is slower than their wait for the lock:
    # those without the lock must wait for the shared token, not fetch their own.
    from bot.store import Store
    from bot.wechat.client import SharedTokenClient

    api.route(
        "POST",
        "/cgi-bin/stable_token",
        lambda call: (time.sleep(1.0), {"access_token": "SHARED-SLOW", "expires_in": 7200})[1],
    )
    redis.Redis.from_url(redis_url).delete(f"caselink:wechatpy:{APPID}_access_token")
    stores = [Store(redis.Redis.from_url(redis_url)) for _ in range(5)]
    clients = [
        SharedTokenClient(
            APPID,
            "caselink-test-secret",
            api_base=api.url + "/cgi-bin/",
            session=s.token_storage(),
            lock=s.lock,
            lock_wait=0.2,
        )
        for s in stores
    ]
    tokens = []
    threads = [threading.Thread(target=lambda c=c: tokens.append(c.access_token)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(api.calls_to("/cgi-bin/stable_token")) == 1
    assert tokens == ["SHARED-SLOW"] * 5
    for c in clients:
        c.close()


def test_card_push_uses_a_news_message(make_app, api):
    from bot.chat.replies import Card

    app = make_app()
    user = new_openid()
    card = Card(title="标题", description="摘要", url="https://example.com/a", image="https://example.com/c.png")
    assert app.extensions["caselink"].delivery.push(user, card)
    sent = api.calls_to("/cgi-bin/message/custom/send")[0].json
    assert sent["msgtype"] == "news"
    assert sent["news"]["articles"] == [
        {"title": "标题", "description": "摘要", "url": "https://example.com/a", "picurl": "https://example.com/c.png"}
    ]


def _text(content: str):
    from bot.chat.replies import Text

    return Text(content)


def test_a_rejected_token_is_fetched_again_and_the_push_retried_once(make_app, api):
    sends = iter([{"errcode": 40001, "errmsg": "invalid credential"}, {"errcode": 0, "errmsg": "ok"}])
    api.route("POST", "/cgi-bin/message/custom/send", lambda call: next(sends))
    app = make_app("token-retry")
    app.extensions["caselink"].delivery.push(new_openid(), _text("你好"))
    assert len(api.calls_to("/cgi-bin/message/custom/send")) == 2
    assert len(api.calls_to("/cgi-bin/stable_token")) == 2  # the rejected token was dropped and fetched again
    finish(app)


def test_a_token_wechat_keeps_rejecting_is_not_retried_without_end(make_app, api):
    api.route("POST", "/cgi-bin/message/custom/send", {"errcode": 40001, "errmsg": "invalid credential"})
    app = make_app("token-refused")
    app.extensions["caselink"].delivery.push(new_openid(), _text("你好"))
    assert len(api.calls_to("/cgi-bin/message/custom/send")) == 2
    finish(app)
