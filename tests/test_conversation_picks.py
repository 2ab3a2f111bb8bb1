"""Picking and paging the way people type, on the sample content, a real index and a real Redis:
ordinals, several numbers at once, 上一页, numbers past the list, after it expired, after long paging,
and a hit too long for a reply (issues 12.4 and 14.5)."""

from __future__ import annotations

import re
import time

import pytest
import redis

from bot import texts
from indexer.build import rebuild
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.conftest import make_settings
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer

LINK = re.compile(r'^(\d+)\. <a href="([^"]*)">([^<]*)</a>', re.M)
PUSH = "/cgi-bin/message/custom/send"


def listed(text: str) -> dict[int, tuple[str, str]]:
    return {int(n): (url, title) for n, url, title in LINK.findall(text)}


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
def bot_env(api) -> dict:
    return {"WECHAT_API_BASE": api.url + "/cgi-bin/"}


@pytest.fixture
def store(bot_app):
    return bot_app.extensions["caselink"].store


@pytest.mark.parametrize("typed", ["2", "２", "第二个", "第2条", "第二篇", "二", "第 2 个", "第二条。"])
def test_ordinals_pick_from_the_list(wechat, typed):
    user = new_openid()
    shown = listed(wechat.text(user, "私域流量").text)
    card = wechat.text(user, typed).article
    assert (card["Url"], card["Title"]) == shown[2]


@pytest.mark.parametrize("typed", ["2和3", "2 3", "第二、第三篇", "2，3", "第2和第3个"])
def test_several_numbers_give_one_card_and_the_others_as_links(wechat, api, typed):
    user = new_openid()
    shown = listed(wechat.text(user, "私域流量").text)
    card = wechat.text(user, typed).article  # WeChat shows one article per reply
    assert (card["Url"], card["Title"]) == shown[2]
    deadline = time.monotonic() + 10
    while not api.calls_to(PUSH) and time.monotonic() < deadline:
        time.sleep(0.05)
    pushed = api.calls_to(PUSH)[0].json
    assert pushed["touser"] == user
    body = pushed["text"]["content"]
    assert body.startswith(texts.PICK_OTHERS)
    assert listed(body) == {3: shown[3]}


def test_previous_page_and_forward_again(wechat):
    user = new_openid()
    first = listed(wechat.text(user, "私域流量").text)
    second = listed(wechat.text(user, "更多").text)
    assert sorted(first) == [1, 2, 3, 4, 5] and sorted(second) == [6, 7, 8, 9, 10]
    assert listed(wechat.text(user, "上一页").text) == first
    assert wechat.text(user, "上一页").text == texts.FIRST_PAGE
    assert listed(wechat.text(user, "下一页").text) == second
    assert sorted(listed(wechat.text(user, "更多").text)) == [11, 12, 13, 14, 15]
    assert wechat.text(user, "7").article["Url"] == second[7][0]


def test_previous_page_of_the_newest(wechat):
    user = new_openid()
    first = listed(wechat.text(user, "最新").text)
    wechat.text(user, "更多")
    assert listed(wechat.text(user, "上一页").text) == first


def test_a_number_past_the_list_says_how_many_there_are(wechat, searcher):
    query = next(q for q in ("火锅 小程序", "老字号", "保险 公众号") if searcher.search(q, limit=100).total == 2)
    user = new_openid()
    assert sorted(listed(wechat.text(user, query).text)) == [1, 2]
    for typed in ("3", "第三个", "2和3"):
        assert wechat.text(user, typed).text == texts.PICK_RANGE.format(count=2)
    assert wechat.text(user, "1").article  # the list is still there
    assert wechat.text(user, "618").text.startswith(("找到", "没有"))  # far past the list: a search


def test_a_number_listed_on_the_results_page_but_not_in_chat_yet(wechat):
    user = new_openid()
    wechat.text(user, "私域流量")
    twelfth = wechat.text(user, "12").article
    for _ in range(2):
        page = listed(wechat.text(user, "更多").text)
    assert (twelfth["Url"], twelfth["Title"]) == page[12]


def test_a_number_after_the_list_expired_says_so(wechat, redis_url):
    user = new_openid()
    wechat.text(user, "私域流量")
    redis.Redis.from_url(redis_url).delete(f"caselink:session:{user}")  # as if 30 minutes passed
    assert wechat.text(user, "2").text == texts.PICK_EXPIRED
    assert wechat.text(user, "第二个").text == texts.PICK_EXPIRED
    assert wechat.text(user, "2023").text.startswith(("找到", "没有"))


def test_without_any_list_picks_say_so_and_larger_numbers_search(wechat):
    user = new_openid()
    assert wechat.text(user, "第二个").text == texts.PICK_NO_LIST
    assert wechat.text(user, "1").text == texts.PICK_NO_LIST  # not "找到 2 条与「1」直接相关"
    assert wechat.text(user, "5").text == texts.PICK_NO_LIST
    assert wechat.text(user, "12").text.startswith(("找到", "没有"))


def test_after_paging_past_fifty_items_every_number_still_picks_its_item(wechat, store):
    user = new_openid("employee")
    code = store.people.create_invite("employee", "test")
    wechat.text(user, f"绑定 {code}")
    pages = [listed(wechat.text(user, "最新").text)]
    for _ in range(10):  # 54 documents for an employee: eleven pages of five
        pages.append(listed(wechat.text(user, "更多").text))
    shown = {n: item for page in pages for n, item in page.items()}
    assert max(shown) > 50 and sorted(shown) == list(range(1, max(shown) + 1))
    for number in (1, 5, 50, 51, max(shown)):
        card = wechat.text(user, str(number)).article
        assert (card["Url"], card["Title"]) == shown[number], number


LONG_URL_CATALOG = """cases:
  - id: huge-link
    title: 超长链接的案例：一个会被分享的投放追踪地址
    tags: [追踪链接]
    url: https://www.qingteng.example/cases/huge/?utm={long}
    summary: 追踪链接很长。
    date: 2024-02-01
  - id: normal-1
    title: 追踪链接的第二个案例
    tags: [追踪链接]
    url: https://www.qingteng.example/cases/normal-1/
    summary: 追踪链接。
    date: 2024-01-01
"""


def test_a_hit_too_long_for_a_reply_does_not_stop_the_page(tmp_path, redis_url):
    from bot import create_app

    content = tmp_path / "content" / "cases"
    content.mkdir(parents=True)
    (content / "long.yaml").write_text(LONG_URL_CATALOG.format(long="x" * 2100), encoding="utf-8")
    rebuild(make_settings(tmp_path / "idx", CONTENT_DIR=str(content.parent)))
    app = create_app(make_bot_settings(tmp_path, redis_url, tmp_path / "idx" / "index"))
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    try:
        user = new_openid()
        first = wx.text(user, "追踪链接").text
        assert listed(first) == {1: ("https://www.qingteng.example/cases/normal-1/", "追踪链接的第二个案例")}
        second = wx.text(user, "更多").text  # the long one leads the next page, by its title
        assert len(second.encode("utf-8")) <= 2048
        assert "2. 超长链接的案例" in second and texts.LINK_TOO_LONG.format(n=2) in second
        assert "xxxxxxxxxx" not in second
        assert wx.text(user, "更多").text == texts.NO_MORE.format(query="追踪链接")  # moved on, no repeat
        card = wx.text(user, "2").article  # the number still gives the card, with the whole link
        assert card["Url"].endswith("x" * 2100)
    finally:
        app.extensions["caselink"].close()
