"""Guessing invite codes: 40 guesses sent at once try no more codes than the limits allow,
per user and for everyone together (issue 8.10), through the webhook on a Redis of its own."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import redis

from bot import texts
from bot.store.bind_attempts import GLOBAL, PER_USER
from bot.store.people import INVITE_ALPHABET
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.wechat_client import WeChatServer

GUESSES = 40


@pytest.fixture
def app(tmp_path, private_redis, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir))
    yield app
    app.extensions["caselink"].close()


def guess_at_once(app, senders: list[str]) -> Counter:
    """Every sender sends one wrong code, all released together; the replies counted."""
    barrier = threading.Barrier(len(senders))
    replies: list[str] = [""] * len(senders)

    def send(i: int) -> None:
        wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        wrong = "".join(INVITE_ALPHABET[(i * 7 + k) % len(INVITE_ALPHABET)] for k in range(6))
        xml = wx.text_xml(senders[i], f"绑定 {wrong}")
        barrier.wait()
        replies[i] = wx.post_xml(xml).text

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(senders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return Counter(replies)


def test_forty_guesses_at_once_by_one_user_try_only_the_hourly_limit(app, private_redis):
    guesser = new_openid("guesser")
    counts = guess_at_once(app, [guesser] * GUESSES)
    assert counts[texts.BIND_BAD] == PER_USER  # exactly: each attempt is counted before it is tried
    assert counts[texts.BIND_TOO_MANY] == GUESSES - PER_USER
    assert redis.Redis.from_url(private_redis.url).get(f"caselink:bindfail:{guesser}") == str(PER_USER).encode()


def test_forty_users_guessing_at_once_try_only_the_global_limit(app):
    counts = guess_at_once(app, [new_openid("guesser") for _ in range(GUESSES)])
    assert counts[texts.BIND_BAD] == GLOBAL
    assert counts[texts.BIND_TOO_MANY] == GUESSES - GLOBAL
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    assert wx.text(new_openid(), "绑定 ZZZZZZ").text == texts.BIND_TOO_MANY  # for the rest of the hour


def test_a_right_code_is_not_counted_as_a_guess(app, private_redis):
    from tests.bot_fixtures import ADMIN

    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    raw = redis.Redis.from_url(private_redis.url)
    for _ in range(GLOBAL + 5):  # more binds than the global limit of wrong codes
        code = wx.text(ADMIN, "邀请").text.split("邀请码：")[1][:6]
        assert wx.text(new_openid(), f"绑定 {code}").text == texts.BIND_OK.format(role="员工")
    assert int(raw.get("caselink:bindguess") or 0) == 0
