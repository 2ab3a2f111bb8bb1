"""``分享 N`` in chat and the kit page ``/k/<token>``: copy within WeChat's and the platforms' limits,
【内部】 marks, no kit for internal content, and no kit for anything a client could not see."""

from __future__ import annotations

import re

import pytest

from bot import shares, texts
from bot.chat.replies import TEXT_LIMIT, size
from creative import weibo_length
from tests.bot_fixtures import new_openid

BASE = "https://bot.example.cn"
LINE = re.compile(r'^(\d+)\. <a href="([^"]+)">(.*?)</a>', re.M)
KIT_LINK = re.compile(r'<a href="https://bot\.example\.cn(/k/[^"]+)">打开分享页</a>')
SECRET = "caselink-test-secret-key"


@pytest.fixture
def bot_env() -> dict:
    return {"PUBLIC_BASE_URL": BASE, "COMPANY_NAME": "青藤互动"}


@pytest.fixture
def store(bot_app):
    return bot_app.extensions["caselink"].store


@pytest.fixture
def employee(store) -> str:
    user = new_openid("emp")
    store.people.set_role(user, "employee")
    return user


@pytest.fixture
def internal(searcher) -> dict[str, str]:
    """Title → id of every internal document of the sample content."""
    return {h.title: h.id for h in searcher.latest(audience="employee", limit=1000) if h.visibility == "internal"}


def listed(reply: str) -> list[tuple[int, str, str]]:
    return [(int(n), url, title) for n, url, title in LINE.findall(reply)]


def section(reply: str, head: str) -> str:
    """The copy under a 【…】 heading of a share reply."""
    block = reply.split(head, 1)[1].split("\n\n", 1)[0]
    return block.split("\n", 1)[1]


def test_an_employee_searches_and_shares_result_1(wechat, employee, client, searcher):
    results = listed(wechat.text(employee, "火锅 小程序").text)
    _, url, title = results[0]
    reply = wechat.text(employee, "分享 1").text
    assert size(reply) <= TEXT_LIMIT
    assert reply.startswith(texts.SHARE_HEAD.format(title=title))
    moments = section(reply, texts.SHARE_MOMENTS)
    weibo = section(reply, "【微博】")
    shared = re.search(r"https://bot\.example\.cn/s/\S+", moments).group(0)  # the employee's counted link
    assert len(moments.split("\n")) <= 4 and moments.endswith(shared)
    assert weibo_length(weibo) <= 140 and shared in weibo
    assert re.search(r"#[^#\s]+#", weibo)
    opened = client.get(shared.removeprefix(BASE))
    assert opened.status_code == 302 and opened.headers["Location"] == url
    page = KIT_LINK.search(reply)
    assert page, reply
    html = client.get(page.group(1)).get_data(as_text=True)
    for name in ("朋友圈", "微博", "小红书", "抖音 / 视频号脚本", "私信客户"):
        assert f"<h2>{name}" in html
    assert html.count('<button type="button" class="copy-btn"') == 5
    assert moments.replace("＜", "<") in html.replace("&lt;", "<")


def test_the_kit_page_allows_only_its_own_script(wechat, employee, client):
    wechat.text(employee, "火锅 小程序")
    path = KIT_LINK.search(wechat.text(employee, "分享 1").text).group(1)
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy).group(1)
    html = response.get_data(as_text=True)
    assert html.count("<script") == 1 and f'<script nonce="{nonce}">' in html
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy
    assert response.headers["Cache-Control"] == "private, no-store"
    again = client.get(path).headers["Content-Security-Policy"]
    assert again != policy  # a fresh nonce every time


QUIET_INTERNAL = """---
kind: case
title: 驰远汽车经销商返点与投放明细
tags: [抖音直播, 报价]
date: 2024-02-01
visibility: internal
url: https://www.qingteng.example/internal/cases/dealer-rebates/
summary: 经销商直播项目的返点比例和各渠道投放明细，复盘用。
---

返点按季度结算，直播间留资达到目标的经销商再加 2%。投放里信息流占六成，达人合作占三成。
"""


@pytest.fixture(scope="module")
def quiet_index(tmp_path_factory):
    """The sample content plus an internal case whose title does not say 内部."""
    import shutil

    from indexer.build import rebuild
    from tests.conftest import SAMPLE_CONTENT, make_settings

    root = tmp_path_factory.mktemp("quiet")
    shutil.copytree(SAMPLE_CONTENT, root / "content")
    (root / "content" / "cases" / "dealer-rebates.md").write_text(QUIET_INTERNAL, encoding="utf-8")
    settings = make_settings(root, CONTENT_DIR=str(root / "content"))
    rebuild(settings)
    return settings.index_dir


def test_internal_results_are_marked_for_employees_and_get_no_kit(tmp_path, redis_url, quiet_index):
    from bot import create_app
    from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings
    from tests.wechat_client import WeChatServer

    app = create_app(make_bot_settings(tmp_path, redis_url, quiet_index, PUBLIC_BASE_URL=BASE))
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    employee = new_openid("emp")
    app.extensions["caselink"].store.people.set_role(employee, "employee")
    reply = wx.text(employee, "驰远汽车 返点").text
    results = listed(reply)
    n, _, title = next(r for r in results if "经销商返点与投放明细" in r[2])
    assert title == "【内部】驰远汽车经销商返点与投放明细"
    assert all(t.startswith("【内部") == ("/internal/" in url) for _, url, t in results)
    refused = wx.text(employee, f"分享 {n}").text
    assert refused == texts.SHARE_INTERNAL.format(title=title)
    assert "/k/" not in refused and "【朋友圈】" not in refused
    card = wx.text(employee, str(n)).article
    assert card["Title"] == "【内部】驰远汽车经销商返点与投放明细"
    client = new_openid("client")
    assert "经销商返点" not in wx.text(client, "驰远汽车 返点").text
    app.extensions["caselink"].close()


def test_an_internal_title_is_marked_once(wechat, employee, internal):
    wechat.text(employee, "驰远汽车直播报价")
    reply = wechat.text(employee, "最新 案例").text
    titles = [title for _, _, title in listed(reply)]
    assert not any(t.startswith("【内部】【内部") for t in titles)
    assert any(t.startswith("【内部") for t in titles)


def test_a_client_shares_public_results_without_tracking(wechat):
    user = new_openid("client")
    results = listed(wechat.text(user, "复盘").text)
    assert results and not any(t.startswith("【内部") for _, _, t in results)
    reply = wechat.text(user, "分享 1").text
    _, url, _ = results[0]
    assert url in section(reply, "【微博】") and "/s/" not in reply


def test_a_client_never_gets_a_kit_for_internal_content(wechat, bot_app, store, internal, client):
    user = new_openid("ex-employee")
    store.people.set_role(user, "employee")
    reply = wechat.text(user, "复盘").text
    n = next(n for n, _, title in listed(reply) if title.startswith("【内部"))
    store.people.revoke_role(user)  # now a client holding a list with internal numbers
    assert wechat.text(user, f"分享 {n}").text == texts.PICK_GONE.format(n=n)
    # A kit link forged (well, signed) for an internal document shows nothing of it.
    for title, doc_id in internal.items():
        token = shares.make_kit_token(SECRET, shares.KitLink(doc_id, "", counts=True))
        page = client.get(f"/k/{token}")
        html = page.get_data(as_text=True)
        assert page.status_code == 404 and "内容已下线" in html
        assert title not in html and "/internal/" not in html


def test_tampered_or_unknown_kit_links_are_refused(client):
    good = shares.make_kit_token(SECRET, shares.KitLink("cases/hotpot-booking-mini-program"))
    assert client.get(f"/k/{good}").status_code == 200
    assert client.get(f"/k/{good[:-3]}abc").status_code == 403
    assert client.get("/k/not-a-token").status_code == 403
    other = shares.make_kit_token("another-secret-key-123", shares.KitLink("cases/hotpot-booking-mini-program"))
    assert client.get(f"/k/{other}").status_code == 403
    gone = shares.make_kit_token(SECRET, shares.KitLink("cases/no-such-case"))
    assert client.get(f"/k/{gone}").status_code == 404


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("分享", texts.SHARE_USAGE),
        ("分享 1", texts.SHARE_NO_LIST),
        ("分享1", texts.SHARE_NO_LIST),
    ],
)
def test_share_before_any_search(wechat, typed, expected):
    assert wechat.text(new_openid(), typed).text == expected


def test_share_numbers_the_way_people_type_them(wechat):
    user = new_openid()
    total = len(listed(wechat.text(user, "私域流量").text))
    for typed in ("分享2", "分享 第2条", "分享 2", "分享第2个"):
        assert "【朋友圈】" in wechat.text(user, typed).text, typed
    assert wechat.text(user, "分享 9").text == texts.SHARE_OUT_OF_RANGE.format(n=9, count=total)
    assert wechat.text(user, "分享 会员").text.startswith(("找到 ", "没有"))  # words after 分享 are searched


def test_client_results_pages_have_no_share_buttons_and_employee_pages_only_for_public_hits(
    wechat, employee, client, internal
):
    from bot.links import ResultLink, make_token

    for audience, expect_buttons in (("client", False), ("employee", True)):
        token = make_token(SECRET, ResultLink("复盘", audience, user="abc1234567"))
        html = client.get(f"/r/{token}").get_data(as_text=True)
        assert ('class="share"' in html) == expect_buttons
        for item in re.findall(r"<li>(.*?)</li>", html, re.S):
            if "chip internal" in item:
                assert 'class="share"' not in item
    # An employee's page opened without verification shows public hits, each with a kit to open.
    token = make_token(SECRET, ResultLink("复盘", "employee", user="abc1234567"))
    html = client.get(f"/r/{token}").get_data(as_text=True)
    kit = re.search(r'<p class="share"><a href="(/k/[^"]+)">分享</a>', html).group(1)
    assert client.get(kit).status_code == 200
    assert shares.read_kit_token(SECRET, kit.removeprefix("/k/")).sharer == "abc1234567"


def test_without_public_base_url_the_reply_has_no_page_link(tmp_path, redis_url, sample_settings):
    from bot import create_app
    from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings
    from tests.wechat_client import WeChatServer

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir))
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    user = new_openid()
    wx.text(user, "火锅 小程序")
    reply = wx.text(user, "分享 1").text
    assert "【朋友圈】" in reply and "【微博】" in reply and "打开分享页" not in reply
    app.extensions["caselink"].close()


@pytest.fixture
def client(bot_app):
    return bot_app.test_client()


@pytest.mark.parametrize("value", ["{品牌}", "青藤互动<a>", "一" * 21])
def test_company_name_must_be_a_plain_short_name(value):
    from config.errors import ConfigError
    from config.settings import load_settings

    with pytest.raises(ConfigError, match="COMPANY_NAME"):
        load_settings({"COMPANY_NAME": value})
    assert load_settings({"COMPANY_NAME": "青藤互动", "COMPANY_INDUSTRY": "数字营销"}).company_industry == "数字营销"
