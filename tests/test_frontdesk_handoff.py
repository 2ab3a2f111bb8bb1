"""A person when needed: 转人工 / 人工 / 客服 in working hours and outside them (SITE_TIMEZONE), with and
without WeChat's customer-service system (HANDOFF=kf), and the offer after three misses in a row."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from bot.chat.frontdesk import editing, handoff
from bot.chat.frontdesk.hours import DAY_NAMES
from tests.bot_fixtures import make_bot_settings, new_openid
from tests.stubs import StubServer

PUSH = "/cgi-bin/message/custom/send"
CONTACT = {"company": "青藤互动", "phone": "0571-8765 4321", "email": "hello@qingteng.example"}
WEAK = "小红书 量子"


@pytest.fixture
def api():
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "T", "expires_in": 7200},
            ("POST", PUSH): {"errcode": 0, "errmsg": "ok"},
        }
    ) as stub:
        yield stub


@pytest.fixture
def bot_env() -> dict:
    return {}


@pytest.fixture
def bot_settings(tmp_path, front_desk_redis, sample_settings, api, bot_env):
    env = {"WECHAT_API_BASE": api.url + "/cgi-bin/", "SITE_TIMEZONE": "Asia/Shanghai", **bot_env}
    return make_bot_settings(tmp_path, front_desk_redis, sample_settings.index_dir, **env)


@pytest.fixture
def services(bot_app):
    return bot_app.extensions["caselink"]


def today() -> dt.datetime:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai"))


def open_all_day(services) -> None:
    editing.save_contact(services, CONTACT, {"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "24:00"})


def closed_today(services) -> str:
    """Working hours on tomorrow's weekday only; returns when the bot should say someone answers."""
    tomorrow = (today() + dt.timedelta(days=1)).isoweekday()
    editing.save_contact(services, CONTACT, {"days": [tomorrow], "start": "09:30", "end": "18:30"})
    return f"（{DAY_NAMES[tomorrow]} 9:30–18:30），同事会在明天 9:30后回复你"


@pytest.mark.parametrize("typed", ["转人工", "人工", "客服", "人工客服！", "我要投诉"])
def test_asking_for_a_person_in_working_hours_gives_the_contact_card(wechat, services, typed):
    open_all_day(services)
    reply = wechat.text(new_openid(), typed).text
    assert reply.startswith("好的，请直接联系我们的同事：\n青藤互动\n电话：0571-8765 4321")
    assert "工作时间：每天 0:00–24:00" in reply


def test_outside_working_hours_the_reply_says_when_someone_answers(wechat, services):
    expected = closed_today(services)
    reply = wechat.text(new_openid(), "转人工").text
    assert reply.startswith("现在是非工作时间" + expected)
    assert "电话：0571-8765 4321" in reply


def test_a_word_that_merely_contains_it_is_searched(wechat):
    assert wechat.text(new_openid(), "人工智能").text.startswith(("找到", "没有"))


@pytest.mark.parametrize("bot_env", [{"HANDOFF": "kf"}])
def test_with_the_customer_service_system_the_message_is_transferred(wechat, services, api):
    open_all_day(services)
    reply = wechat.text(new_openid(), "转人工", "safe")
    assert reply.fields["MsgType"] == "transfer_customer_service"
    time.sleep(0.2)
    assert api.calls_to(PUSH) == []


@pytest.mark.parametrize("bot_env", [{"HANDOFF": "kf"}])
def test_transferred_outside_hours_the_client_is_told_when(wechat, services, api):
    expected = closed_today(services)
    user = new_openid()
    assert wechat.text(user, "客服").fields["MsgType"] == "transfer_customer_service"
    deadline = time.monotonic() + 10
    while not api.calls_to(PUSH) and time.monotonic() < deadline:
        time.sleep(0.05)
    pushed = api.calls_to(PUSH)[0].json
    assert pushed["touser"] == user
    assert pushed["text"]["content"].startswith("已转给客服。现在是非工作时间" + expected)


def test_three_misses_in_a_row_offer_a_person(wechat, searcher):
    assert searcher.search(WEAK).weak
    user = new_openid()
    offer = handoff.OFFER.format(word="转人工")
    assert not wechat.text(user, WEAK).text.endswith(offer)
    assert not wechat.text(user, "量子纠缠望远镜").text.endswith(offer)  # says 「人工」 already
    third = wechat.text(user, WEAK).text
    assert third.endswith("\n\n" + offer)
    assert not wechat.text(user, WEAK).text.endswith(offer)  # the count starts again


def test_a_search_that_finds_something_ends_the_streak(wechat):
    user = new_openid()
    offer = handoff.OFFER.format(word="转人工")
    for typed in (WEAK, WEAK, "私域流量", WEAK, WEAK):
        assert not wechat.text(user, typed).text.endswith(offer)
    assert wechat.text(user, WEAK).text.endswith(offer)


def test_no_offer_when_no_rule_reaches_a_person(wechat, services):
    wechat.text(new_openid(), "你好")  # seeds the shipped rules
    rule = next(r for r in editing.current(services).document.rules if r.action == "handoff")
    editing.delete_rule(services, rule.id)
    user = new_openid()
    replies = [wechat.text(user, WEAK).text for _ in range(3)]
    assert not any("找同事聊" in r for r in replies)
