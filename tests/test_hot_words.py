"""热词 counts real searches only, keeps their filter, counts clients and employees apart, and
reads 7 or 30 days — in chat and on the dashboard; on a Redis of its own, so the counts are exact."""

from __future__ import annotations

import re

import pytest
import redis

from bot import texts
from bot.chat.replies import TEXT_LIMIT
from config import clock
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.test_admin import Admin, section
from tests.wechat_client import WeChatServer

ADMIN_TOKEN = "caselink-热词-test"


@pytest.fixture
def hot(tmp_path, private_redis, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir, ADMIN_TOKEN=ADMIN_TOKEN))
    yield app, WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID), redis.Redis.from_url(private_redis.url)
    app.extensions["caselink"].close()


def listed(block: str) -> dict[str, int]:
    return {q: int(n) for q, n in re.findall(r"^\d+\. (.+)（(\d+) 次）$", block, re.M)}


def test_only_real_searches_are_counted_with_their_filter_and_audience(hot):
    app, wx, _ = hot
    client, employee, admin = new_openid("client"), new_openid("employee"), new_openid("admin")
    wx.text(employee, "绑定 " + re.search(r"邀请码：(\w+)", wx.text(ADMIN, "邀请").text).group(1))
    wx.text(admin, "绑定 " + re.search(r"邀请码：(\w+)", wx.text(ADMIN, "邀请 管理员").text).group(1))
    for line in [
        "私域流量",
        "更多",
        "1",
        "3",
        "2 3",
        "😀😀",
        "???",
        "。。。",
        "帮助",
        "最新",
        "案例 品牌",
        "#私域流量",
    ]:
        wx.text(client, line)
    wx.text(client, "私域流量")
    wx.text(client, "邀请")  # an admin command typed by a client is searched, not counted
    wx.text(employee, "复盘")
    wx.text(employee, "热词")
    for line in ("热次", "品牌建设"):  # an admin's typo of a command, and an admin's test search
        wx.text(admin, line)

    reply = wx.text(ADMIN, "热词").text
    clients, employees = reply.split("员工的热门搜索")
    assert clients.startswith("最近 7 天客户的热门搜索（共 4 次）：")
    assert listed(clients.split(texts.HOT_ZERO)[0]) == {"私域流量": 2, "案例 品牌": 1, "#私域流量": 1}
    assert "（共 1 次）" in employees and listed(employees) == {"复盘": 1}
    for noise in ("😀", "???", "。。。", "1（", "3（", "2 3", "帮助", "更多", "热次", "品牌建设", "邀请（"):
        assert noise not in reply, noise
    assert len(reply.encode("utf-8")) <= TEXT_LIMIT

    admin_page = Admin(app)
    admin_page.login(ADMIN_TOKEN)
    page = admin_page.get("/admin/queries").text
    clients_7 = section(page, "days-7").split('id="days-7-employee"')
    assert ">案例 品牌</a>" in clients_7[0] and ">复盘</a>" not in clients_7[0]
    assert ">复盘</a>" in clients_7[1] and ">私域流量</a>" not in clients_7[1]
    assert "共 4 次" in clients_7[0]


def test_a_filtered_search_with_no_results_is_listed_with_its_filter(hot):
    _, wx, _ = hot
    wx.text(new_openid(), "案例 量子纠缠望远镜")
    zero = wx.text(ADMIN, "热词").text.split(texts.HOT_ZERO)[1]
    assert listed(zero.split("\n\n")[0]) == {"案例 量子纠缠望远镜": 1}


def test_hot_words_over_30_days(hot):
    _, wx, raw = hot
    wx.text(new_openid(), "私域流量")
    tz = clock.zone()
    old = clock.day(tz, 20)
    raw.zadd(f"caselink:searches:{old}:c:all", {"二十天前的搜索": 3})
    raw.hset(f"caselink:searches:{old}:totals", "c", 3)
    week = wx.text(ADMIN, "热词").text
    assert "二十天前的搜索" not in week and week.startswith("最近 7 天客户的热门搜索（共 1 次）")
    month = wx.text(ADMIN, "热词 30天").text
    assert month.startswith("最近 30 天客户的热门搜索（共 4 次）") and "二十天前的搜索（3 次）" in month
    assert wx.text(ADMIN, "热词 30 天").text == month and wx.text(ADMIN, "热词 30").text == month
    for wrong in ("热词 31天", "热词 0", "热词 上个月"):
        assert wx.text(ADMIN, wrong).text == texts.HOT_USAGE


def test_nothing_searched_yet(hot):
    _, wx, _ = hot
    assert wx.text(ADMIN, "热词 30天").text == texts.HOT_EMPTY.format(days=30)


def test_client_text_in_hot_words_is_not_a_link_and_the_reply_fits(hot):
    _, wx, _ = hot
    lure = '<a href="https://evil.example/login">重新登录</a>'
    wx.text(new_openid(), lure)
    for n in range(40):  # many long searches: the reply still fits one message
        wx.text(new_openid(), f"很长很长的搜索词第{n}个私域流量社群运营分层打法细节")
    reply = wx.text(ADMIN, "热词").text
    assert "<a" not in reply and "＜a href" in reply  # listed, but as text
    assert len(reply.encode("utf-8")) <= TEXT_LIMIT


def test_a_flood_of_distinct_searches_is_capped_per_day_and_old_days_are_rolled_up(hot):
    from bot.store.analytics import DAY_CAP, KEEP_PER_DAY

    _, wx, raw = hot
    tz = clock.zone()
    today, yesterday = clock.day(tz), clock.day(tz, 1)
    listed_today = f"caselink:searches:{today}:c:all"
    raw.zadd(listed_today, {f"洪水{n}": 1 for n in range(DAY_CAP - 1)} | {"私域流量": 5})
    raw.set(f"caselink:searches:{today}:rolled", 0)
    old = f"caselink:searches:{yesterday}:c:all"
    raw.zadd(old, {f"昨天{n}": 1 for n in range(KEEP_PER_DAY + 500)} | {"昨天最热": 9})
    raw.hset(f"caselink:searches:{yesterday}:totals", mapping={"c": KEEP_PER_DAY + 509})
    raw.set(f"caselink:searches:{yesterday}:rolled", 0)  # a day with searches, not rolled up yet

    for query in ("私域流量", "一个新词", "又一个新词"):
        wx.text(new_openid(), query)
    assert raw.zcard(listed_today) == DAY_CAP  # full: new searches are counted, not listed
    assert raw.zscore(listed_today, "私域流量") == 6 and raw.zscore(listed_today, "又一个新词") is None
    assert raw.hget(f"caselink:searches:{today}:totals", "c:over") == b"2"

    raw.delete(f"caselink:searches:{today}:rolled")  # the first search of a new day rolls the past up
    wx.text(new_openid(), "品牌")
    assert raw.zcard(old) == KEEP_PER_DAY and raw.zscore(old, "昨天最热") == 9
    assert raw.hget(f"caselink:searches:{yesterday}:totals", "c:over") == b"501"  # what was dropped, counted
    wx.text(new_openid(), "品牌")
    assert raw.hget(f"caselink:searches:{yesterday}:totals", "c:over") == b"501"  # rolled up once
    month = wx.text(ADMIN, "热词 30天").text
    assert "私域流量（6 次）" in month and "昨天最热（9 次）" in month
    assert 0 < raw.ttl(listed_today) <= 35 * 86400
