"""The Redis-backed state: keys, TTLs, single use, and life through a Redis outage."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
import redis

from bot import texts
from bot.chat.replies import Card, Text, from_dict, merge, to_dict
from bot.store import Store
from bot.store.messages import NEW, REPLAY, RETRY
from bot.store.sessions import SESSION_TTL
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, WELCOME, make_bot_settings, new_openid
from tests.wechat_client import WeChatServer

PREFIX = f"caselink-test-{uuid.uuid4().hex[:8]}:"  # these tests look at raw keys: keep them apart


@pytest.fixture
def raw(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    keys = list(client.scan_iter(PREFIX + "*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def store(raw):
    return Store(raw, prefix=PREFIX)


def test_messages_are_claimed_once_and_replies_kept_for_the_whole_window(store, raw):
    assert store.messages.claim("1700000000", "n1", "body-1", "m1", ttl=600) == NEW
    assert store.messages.claim("1700000001", "n2", "body-2", "m1", ttl=600) == RETRY  # a retry, new nonce
    assert store.messages.stored_reply("m1") is None  # still being processed
    store.messages.store_reply("m1", "<xml>reply</xml>")
    assert store.messages.stored_reply("m1") == "<xml>reply</xml>"
    assert 590 < raw.ttl(PREFIX + "msg:m1") <= 600  # storing the reply keeps the claim's TTL
    assert 590 < raw.ttl(PREFIX + "nonce:1700000000:n1") <= 600


def test_a_nonce_is_reused_only_by_the_same_signed_request(store):
    assert store.messages.claim("1700000000", "n1", "body-1", "m1", ttl=600) == NEW
    assert store.messages.claim("1700000000", "n1", "body-1", "m1", ttl=600) == RETRY
    assert store.messages.claim("1700000000", "n1", "body-2", "m2", ttl=600) == REPLAY
    # A replay gives back the claim it took: the genuine m2 is still new.
    assert store.messages.claim("1700000005", "n5", "body-2", "m2", ttl=600) == NEW
    assert store.messages.claim("1700000009", "n9", "GET", None, ttl=600) == NEW
    assert store.messages.claim("1700000009", "n9", "GET", None, ttl=600) == REPLAY


def test_sessions_expire_after_30_minutes(store, raw):
    assert store.sessions.save("u", {"q": "品牌", "ids": ["a"]})
    assert store.sessions.get("u") == {"q": "品牌", "ids": ["a"]}
    assert 0 < raw.ttl(PREFIX + "session:u") <= SESSION_TTL


def test_invites_are_single_use_and_expire_in_7_days(store, raw):
    code = store.people.create_invite("employee", "admin")
    assert len(code) == 6
    assert 6 * 86400 < raw.ttl(PREFIX + "invite:" + code) <= 7 * 86400
    assert store.people.redeem_invite(code)["role"] == "employee"
    assert store.people.redeem_invite(code) is None


def test_pending_answers_round_trip_in_order(store):
    store.messages.push_pending("u", to_dict(Text("一")))
    store.messages.push_pending("u", to_dict(Card("标题", "摘要", "https://e.com", "")))
    _, held = store.role_and_pending("u")
    assert [from_dict(d) for d in held] == [Text("一"), Card("标题", "摘要", "https://e.com", "")]
    assert store.role_and_pending("u") == (None, [])


def test_merge_joins_texts_that_fit_and_sends_cards_alone():
    card = Card("t", "d", "https://e.com")
    assert merge([Text("a"), Text("b")]) == (Text("a\n\nb"), [])
    assert merge([card, Text("b")]) == (card, [Text("b")])
    assert merge([Text("a"), card]) == (Text("a"), [card])
    big = Text("字" * 600)
    reply, rest = merge([big, Text("b")])
    assert reply == Text(big.content + "\n\nb")
    reply, rest = merge([big, big])
    assert (reply, rest) == (big, [big])


def test_analytics_by_day_and_audience(store):
    for q, total, weak in [("品牌", 3, False), ("品牌", 3, False), ("zzz", 0, False), ("模糊", 2, True)]:
        store.analytics.log_search(q, "client", total, weak)
    store.analytics.log_search("内部复盘", "employee", 4, False)
    assert store.analytics.top("client") == [("品牌", 2), ("zzz", 1), ("模糊", 1)]
    assert store.analytics.top("client", "zero") == [("zzz", 1)]
    assert store.analytics.top("client", "weak") == [("模糊", 1)]
    assert store.analytics.top("employee") == [("内部复盘", 1)]
    assert store.analytics.totals("client") == (4, 0) and store.analytics.totals("employee", 30) == (1, 0)


def test_forget_deletes_the_users_keys(store):
    store.sessions.save("u", {"q": "x"})
    store.people.set_role("u", "employee")
    store.messages.push_pending("u", to_dict(Text("x")))
    store.forget("u")
    assert store.sessions.get("u") is None and store.people.role("u") is None
    assert store.role_and_pending("u") == (None, [])


def test_state_without_redis_returns_defaults_and_recovers(private_redis, caplog):
    store = Store(redis.Redis.from_url(private_redis.url, socket_connect_timeout=0.2), retry_after=0.2)
    assert store.sessions.save("u", {"q": "x"})
    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="bot.store.connection"):
        assert store.sessions.get("u") is None
        # Replay checks go on in the process: they are not skipped.
        assert store.messages.claim("1", "2", "body", "m9", ttl=60) == NEW
        assert store.messages.claim("1", "2", "body", "m9", ttl=60) == RETRY
        assert store.messages.claim("1", "2", "other", "m10", ttl=60) == REPLAY
        assert store.people.create_invite("employee", "a") is None
        assert store.analytics.top("client") == []
        assert not store.available
    assert sum("Redis 不可用" in r.getMessage() for r in caplog.records) == 1
    private_redis.start()
    time.sleep(0.3)
    assert store.sessions.save("u", {"q": "y"})
    assert store.available
    assert store.sessions.get("u") == {"q": "y"}


def test_bot_keeps_answering_through_a_redis_outage(tmp_path, private_redis, sample_settings, caplog):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir))
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    user = new_openid()
    before = wx.text(user, "私域流量", "safe").text
    assert before.endswith(texts.LIST_HINT + texts.MORE_HINT + "。")

    private_redis.stop()
    with caplog.at_level(logging.INFO):
        during = wx.text(user, "私域流量", "safe").text
        assert during.startswith("找到 ") and "<a href=" in during
        assert texts.LIST_HINT not in during  # no paging or picking without Redis
        assert wx.text(user, "更多", "safe").text == texts.PAGING_UNAVAILABLE
        assert wx.text(user, "绑定 ABCDEF", "safe").text == texts.BIND_UNAVAILABLE
        again = wx.text_xml(user, "品牌")
        assert wx.post_xml(again).text == wx.post_xml(again).text  # the retry: de-duplicated in the process
        assert wx.event(user, "subscribe").text == WELCOME  # the shipped front desk
    assert sum("Redis 不可用" in r.getMessage() for r in caplog.records) == 1
    assert any("outcome=retry" in r.getMessage() for r in caplog.records)

    private_redis.start()
    time.sleep(1.1)  # the state retries Redis a second after the last failure
    with caplog.at_level(logging.WARNING, logger="bot.store.connection"):
        after = wx.text(user, "私域流量", "safe").text
    assert after.endswith(texts.LIST_HINT + texts.MORE_HINT + "。")
    assert any("Redis 已恢复" in r.getMessage() for r in caplog.records)
    assert wx.text(user, "更多", "safe").text.startswith("找到 ")
    app.extensions["caselink"].close()


def test_healthz_reports_index_and_redis(wechat, tmp_path, private_redis, sample_settings):
    body = wechat.client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["redis"] is True and body["index_generation"].startswith("gen-")
    from bot import create_app

    degraded = create_app(make_bot_settings(tmp_path / "a", private_redis.url, sample_settings.index_dir))
    missing = create_app(make_bot_settings(tmp_path / "b", private_redis.url, tmp_path / "no-index"))
    private_redis.stop()
    res = degraded.test_client().get("/healthz")  # searches still work without Redis: 200
    assert res.status_code == 200
    assert res.get_json()["status"] == "degraded" and res.get_json()["redis"] is False
    res = missing.test_client().get("/healthz")  # nothing to search: 503, with the reason in Chinese
    assert res.status_code == 503
    body = res.get_json()
    assert body["status"] == "unavailable" and body["redis"] is False and body["index_generation"] is None
    assert "python -m indexer rebuild" in body["reason"]


def test_without_an_index_the_bot_says_it_is_preparing(tmp_path, redis_url):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, tmp_path / "no-index"))
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    assert wx.text(new_openid(), "品牌").text == texts.INDEX_NOT_READY
    assert wx.text(new_openid(), "帮助").text == texts.HELP
    assert APPID  # the app still verifies and decrypts as usual


def test_admin_commands_that_need_redis_say_unavailable_while_it_is_down(tmp_path, private_redis, fresh_index):
    from bot import create_app
    from indexer import generations

    app = create_app(make_bot_settings(tmp_path, private_redis.url, fresh_index))
    try:
        wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        before = generations.current_name(fresh_index)
        private_redis.stop()
        for command in ("邀请", "邀请 管理员 张三", "邀请码", "员工", "撤销 ABCDEF", "撤销 张三", "重建索引", "热词"):
            reply = wx.text(ADMIN, command).text
            assert reply.startswith("暂时不可用"), (command, reply)
        assert not app.extensions["caselink"].jobs.running("reindex")  # no build nobody else could see
        assert "Redis：不可用" in wx.text(ADMIN, "状态").text  # reading the status needs no Redis
        assert wx.text(new_openid(), "私域流量").text.startswith("找到 ")  # searches go on
        assert generations.current_name(fresh_index) == before
    finally:
        app.extensions["caselink"].close()
