"""Who shared what: employees' cards and kits link through /s/<token>, which counts distinct opens and
302s to the article; /admin/shares shows it (7/30 days, chart, CSV). A client's links are never
tracked. Each test has a Redis of its own, so the counts are exact."""

from __future__ import annotations

import re

import pytest

from bot import shares, texts
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.test_admin import ADMIN_TOKEN, Admin
from tests.wechat_client import WeChatServer

BASE = "https://bot.example.cn"
SECRET = "caselink-test-secret-key"
HOTPOT = "cases/hotpot-booking-mini-program"
HOTPOT_URL = "https://www.qingteng.example/cases/hotpot-booking-mini-program/"
WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI"


@pytest.fixture
def app(tmp_path, private_redis, sample_settings):
    from bot import create_app

    settings = make_bot_settings(
        tmp_path, private_redis.url, sample_settings.index_dir, PUBLIC_BASE_URL=BASE, ADMIN_TOKEN=ADMIN_TOKEN
    )
    app = create_app(settings)
    yield app
    app.extensions["caselink"].close()


@pytest.fixture
def wechat(app) -> WeChatServer:
    return WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)


@pytest.fixture
def store(app):
    return app.extensions["caselink"].store


def employee(store, name: str = "王小明") -> str:
    user = new_openid("emp")
    store.people.set_role(user, "employee", name=name)
    return user


def browser(app):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = WECHAT_UA
    return client


def test_an_employees_card_links_through_s_and_counts_one_share_a_day(wechat, store, app):
    user = employee(store)
    wechat.text(user, "火锅 小程序")
    card = wechat.text(user, "1").article
    assert card["Url"].startswith(f"{BASE}/s/")
    doc_id, sharer = shares.read_share_token(SECRET, card["Url"].rsplit("/", 1)[1])
    assert doc_id == HOTPOT and sharer == app.extensions["caselink"].user_hash(user)
    wechat.text(user, "1")  # the same card again today
    wechat.text(user, "分享 1")  # and its kit: still the same share
    report = store.shares.report(7)
    assert report["docs"][HOTPOT]["shares"] == 1
    assert report["sharers"][sharer] == {"openid": user, "shares": 1, "opens": 0}
    assert report["days"][-1][1] == 1


def test_a_clients_cards_and_kits_carry_no_tracking(wechat, store):
    user = new_openid("client")
    wechat.text(user, "火锅 小程序")
    assert wechat.text(user, "1").article["Url"] == HOTPOT_URL
    assert "/s/" not in wechat.text(user, "分享 1").text
    assert store.shares.report(30)["docs"] == {}


def test_opens_count_distinct_browsers_then_redirect(wechat, store, app):
    user = employee(store)
    wechat.text(user, "火锅 小程序")
    path = wechat.text(user, "1").article["Url"].removeprefix(BASE)
    first, second = browser(app), browser(app)
    for client in (first, first, second, second, second):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == HOTPOT_URL
        assert response.headers["Cache-Control"] == "no-store"
    cookie = first.get_cookie("caselink_v", path="/s/")
    assert cookie is not None and cookie.http_only
    robot = app.test_client()
    robot.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (compatible; bingbot/2.0)"
    assert robot.get(path).status_code == 302  # robots are sent on, not counted
    report = store.shares.report(7)
    sharer = app.extensions["caselink"].user_hash(user)
    assert report["docs"][HOTPOT]["opens"] == 2
    assert report["sharers"][sharer]["opens"] == 2
    assert report["days"][-1][2] == 2
    keys = {k.decode() for k in store.db.redis.keys("caselink:shares:*")}
    assert not any(WECHAT_UA in k or "127.0.0.1" in k for k in keys)  # nothing about the reader


def test_bad_internal_and_removed_links(app, searcher):
    client = browser(app)
    good = shares.make_share_token(SECRET, HOTPOT, "abc1234567")
    assert client.get(f"/s/{good[:-2]}xx").status_code == 403
    assert client.get("/s/nonsense").status_code == 403
    internal = next(h for h in searcher.latest(audience="employee", limit=100) if h.visibility == "internal")
    page = client.get(f"/s/{shares.make_share_token(SECRET, internal.id, 'abc1234567')}")
    assert page.status_code == 404 and internal.url not in page.text and "Location" not in page.headers
    gone = client.get(f"/s/{shares.make_share_token(SECRET, 'cases/removed', 'abc1234567')}")
    assert gone.status_code == 404 and "内容已下线" in gone.text


def test_shared_links_still_redirect_when_redis_is_down(app, private_redis):
    path = f"/s/{shares.make_share_token(SECRET, HOTPOT, 'abc1234567')}"
    private_redis.stop()
    response = browser(app).get(path)
    assert response.status_code == 302 and response.headers["Location"] == HOTPOT_URL
    private_redis.start()


def test_without_redis_sharing_and_titles_say_what_still_works(app, wechat, private_redis):
    user = employee(app.extensions["caselink"].store)
    wechat.text(user, "火锅 小程序")
    private_redis.stop()
    assert wechat.text(user, "分享 1").text == texts.SHARE_UNAVAILABLE
    ideas = wechat.text(user, "标题 青藤互动").text  # no conversation to remember, but ideas all the same
    assert ideas.count("青藤互动") >= 5
    assert wechat.text(user, "换一批").text == texts.TITLES_UNAVAILABLE
    private_redis.start()


def test_the_results_page_share_button_counts_a_share(app, store):
    from bot.links import ResultLink, make_token

    client = app.test_client()  # not WeChat's browser: no trip through web authorisation
    page = client.get(f"/r/{make_token(SECRET, ResultLink('火锅 小程序', 'employee', user='abc1234567'))}")
    kit = re.search(r'<p class="share"><a href="(/k/[^"]+)">', page.text).group(1)
    assert client.get(kit).status_code == 200
    assert store.shares.report(7)["sharers"]["abc1234567"]["shares"] == 1


def test_the_shares_page_shows_content_people_chart_and_csv(wechat, store, app):
    wang, li = employee(store, "王小明"), employee(store, "李小红")
    for user, query in ((wang, "火锅 小程序"), (li, "火锅 小程序"), (li, "私域流量")):
        wechat.text(user, query)
        card = wechat.text(user, "1").article
    for _ in range(3):
        browser(app).get(card["Url"].removeprefix(BASE))  # three readers of 李小红's last card
    admin = Admin(app)
    assert admin.login().status_code == 302
    page = admin.get("/admin/shares").text
    shared = re.search(r'<section class="card" id="most-shared">(.*?)</section>', page, re.S).group(1)
    assert re.search(r"蜀香阁火锅[^<]*</td><td[^>]*>2</td>", shared)
    people = re.search(r'<section class="card" id="people">(.*?)</section>', page, re.S).group(1)
    assert re.search(r">李小红</td><td[^>]*>2</td><td[^>]*>3</td>", people)
    assert re.search(r">王小明</td><td[^>]*>1</td><td[^>]*>0</td>", people)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert svg.count('class="bar shares"') == 7 and 'data-count="3"' in svg
    assert "<script" not in page
    assert admin.get("/admin/shares?days=30").text.count('class="bar shares"') == 30
    csv = admin.get("/admin/shares.csv?days=30")
    assert csv.mimetype == "text/csv" and csv.headers["Content-Disposition"].endswith("caselink-shares-30d.csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "类型,编号,名称,最近 30 天分享,最近 30 天打开人数"
    assert f"内容,{HOTPOT}," in csv.text and "员工," in csv.text and ",李小红,2,3" in csv.text


def test_an_empty_window_says_so(app):
    admin = Admin(app)
    admin.login()
    page = admin.get("/admin/shares").text
    assert "这段时间还没有人分享" in page and page.count('class="bar shares"') == 7


def test_content_shared_but_never_opened_is_not_listed_as_most_opened(wechat, store, app):
    user = employee(store)
    wechat.text(user, "火锅 小程序")
    wechat.text(user, "分享 1")
    admin = Admin(app)
    admin.login()
    page = admin.get("/admin/shares").text
    opened = re.search(r'<section class="card" id="most-opened">(.*?)</section>', page, re.S).group(1)
    assert "这段时间还没有人打开分享的链接" in opened and "蜀香阁" not in opened
    shared = re.search(r'<section class="card" id="most-shared">(.*?)</section>', page, re.S).group(1)
    assert "蜀香阁" in shared


def test_help_and_texts_name_the_commands():
    assert "分享 序号" in texts.HELP and "标题 品牌" in texts.EMPLOYEE_HELP
