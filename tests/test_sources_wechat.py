"""The account's published articles, read from a local stand-in for the WeChat API."""

from __future__ import annotations

import datetime as dt

import pytest
from wechatpy import WeChatClient

from indexer.sources import SiteInfo, WeChatAPIClient, WeChatPublished, collect
from tests.stubs import Call, StubServer

TOTAL = 23  # two pages: 20 + 3
STAMP = 1700000000  # 2023-11-15 06:13 in China


def article(n: int) -> dict:
    """One published item; item 21 holds a deleted second article."""
    news = [
        {
            "title": f"文章{n}",
            "author": "编辑部",
            "digest": f"摘要{n}" if n % 2 else "",
            "content": f"<p>第{n}篇的<strong>正文</strong></p><p>第二段</p>",
            "content_source_url": "",
            "thumb_media_id": f"media{n}",
            "thumb_url": f"https://mmbiz.qpic.cn/{n}.jpg",
            "url": f"https://mp.weixin.qq.com/s/{n}",
            "is_deleted": False,
        }
    ]
    if n == 21:
        news.append({**news[0], "title": "已删除", "url": "https://mp.weixin.qq.com/s/gone", "is_deleted": True})
        news.append({**news[0], "title": "同一次发布的第三篇", "url": "https://mp.weixin.qq.com/s/21-3"})
    return {"article_id": f"A{n}", "content": {"news_item": news}, "update_time": STAMP}


def batchget(call: Call) -> dict:
    offset, count = call.json["offset"], call.json["count"]
    items = [article(n) for n in range(1, TOTAL + 1)][offset : offset + count]
    return {"total_count": TOTAL, "item_count": len(items), "item": items}


def token(call: Call) -> dict:
    return {"access_token": f"TOKEN{len(call.json)}", "expires_in": 7200}


@pytest.fixture
def stub():
    routes = {("POST", "/cgi-bin/stable_token"): token, ("POST", "/cgi-bin/freepublish/batchget"): batchget}
    with StubServer(routes) as server:
        yield server


def client_for(stub: StubServer, **kwargs) -> WeChatAPIClient:
    return WeChatAPIClient("wxappid", "secret", api_base=stub.url + "/cgi-bin/", **kwargs)


def test_reads_every_page_and_skips_deleted_articles(stub):
    result = WeChatPublished(client_for(stub)).read(timeout=5)
    assert result.problems == []
    ids = [d.id for d in result.documents]
    assert len(ids) == TOTAL + 1
    assert ids[:2] == ["wx:A1:1", "wx:A2:1"]
    assert ids[20:23] == ["wx:A21:1", "wx:A21:3", "wx:A22:1"]  # the deleted wx:A21:2 is skipped
    first, second = result.documents[:2]
    assert (first.title, first.url, first.summary) == ("文章1", "https://mp.weixin.qq.com/s/1", "摘要1")
    assert (first.body, first.cover) == ("第1篇的正文\n第二段", "https://mmbiz.qpic.cn/1.jpg")
    assert (first.kind, first.visibility, first.date) == ("article", "public", dt.date(2023, 11, 15))
    assert second.summary == "第2篇的正文 第二段"  # no digest: the start of the text

    assert [c.path for c in stub.calls] == [
        "/cgi-bin/stable_token",
        "/cgi-bin/freepublish/batchget",
        "/cgi-bin/freepublish/batchget",
    ]
    token_call, page1, page2 = stub.calls
    # stable_token, not token: a plain token call would invalidate the running bot's token
    assert token_call.json == {"grant_type": "client_credential", "appid": "wxappid", "secret": "secret"}
    assert [page1.json, page2.json] == [
        {"offset": 0, "count": 20, "no_content": 0},
        {"offset": 20, "count": 20, "no_content": 0},
    ]
    assert page1.query["access_token"] == page2.query["access_token"] == "TOKEN3"


def test_plain_wechatpy_client_pointed_at_the_stub(stub):
    client = WeChatClient("wxappid", "secret", access_token="PRESET")
    client.API_BASE_URL = stub.url + "/cgi-bin/"
    result = WeChatPublished(client).read(timeout=5)
    assert len(result.documents) == TOTAL + 1
    assert {c.query["access_token"] for c in stub.calls} == {"PRESET"}


@pytest.mark.parametrize(
    ("errcode", "words"),
    [(48001, "没有这个接口的权限"), (40164, "白名单"), (45009, "次数")],
)
def test_api_error_is_one_problem(stub, errcode, words):
    stub.route("POST", "/cgi-bin/freepublish/batchget", {"errcode": errcode, "errmsg": "api unauthorized"})
    result = WeChatPublished(client_for(stub)).read(timeout=5)
    assert result.documents == []
    (problem,) = result.problems
    assert (problem.path, problem.category) == (stub.url + "/cgi-bin/freepublish/batchget", "api")
    assert str(errcode) in problem.reason and words in problem.reason


def test_error_on_a_later_page_keeps_what_was_read(stub):
    def second_page_fails(call: Call) -> dict:
        return batchget(call) if call.json["offset"] == 0 else {"errcode": -1, "errmsg": "system error"}

    stub.route("POST", "/cgi-bin/freepublish/batchget", second_page_fails)
    result = WeChatPublished(client_for(stub)).read(timeout=5)
    assert len(result.documents) == 20
    (problem,) = result.problems
    assert problem.category == "api" and "已读取 20 篇" in problem.reason


def test_rejected_token_is_refreshed_once_then_reported(stub):
    stub.route("POST", "/cgi-bin/freepublish/batchget", {"errcode": 40001, "errmsg": "invalid credential"})
    result = WeChatPublished(client_for(stub, auto_retry=False)).read(timeout=5)
    (problem,) = result.problems
    assert problem.category == "api" and "40001" in problem.reason
    assert [c.path.rsplit("/", 1)[1] for c in stub.calls] == ["stable_token", "batchget", "stable_token", "batchget"]


def test_token_error_is_one_problem(stub):
    stub.route("POST", "/cgi-bin/stable_token", {"errcode": 40013, "errmsg": "invalid appid"})
    result = WeChatPublished(client_for(stub)).read(timeout=5)
    (problem,) = result.problems
    assert problem.category == "api" and "40013" in problem.reason


def test_http_error_and_unreachable_api_are_problems(stub):
    stub.route("POST", "/cgi-bin/freepublish/batchget", (502, {"Content-Type": "text/plain"}, "bad gateway"))
    assert [p.category for p in WeChatPublished(client_for(stub)).read(timeout=5).problems] == ["api"]
    with StubServer() as gone:
        client = WeChatClient("wxappid", "secret", access_token="PRESET")
        client.API_BASE_URL = gone.url + "/cgi-bin/"
    (problem,) = WeChatPublished(client).read(timeout=2).problems
    assert problem.category == "api" and "连不上" in problem.reason


def test_collect_adds_wechat_articles_and_drops_duplicate_ids(tmp_path, stub):
    (tmp_path / "a.md").write_text("---\ntitle: 本地\nid: wx:A1:1\n---\n正文", encoding="utf-8")
    result = collect(tmp_path, site=SiteInfo("https://x.cn"), wechat=WeChatPublished(client_for(stub)))
    assert result.documents[0].title == "本地"
    assert len(result.documents) == TOTAL + 1  # 1 local + 24 published - 1 duplicate
    (problem,) = result.problems
    assert (problem.category, problem.path) == ("duplicate", "https://mp.weixin.qq.com/s/1")
    assert "a.md" in problem.reason
