"""Articles admins forward to the account (``link`` messages), through the real webhook, a real index
and Redis; the forwarded pages are local stand-ins ("public" is the only one fetches may reach)."""

from __future__ import annotations

import json
import re

import pytest
import redis

from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer

HTML = {"Content-Type": "text/html; charset=utf-8"}
SECRET_PAGE = "<html><head><title>内部监控</title></head><body><p>绝密指标 xqzv 口令</p></body></html>"
ARTICLE = (
    "<html><head><title>{title}</title><meta name='description' content='{summary}'></head>"
    "<body><article><p>{body}</p></article></body></html>"
)


@pytest.fixture
def internal():
    """A service on the bot's machine that an attacker wants published (its /metrics, say)."""
    with StubServer({("GET", "/metrics"): (200, HTML, SECRET_PAGE)}) as stub:
        yield stub


@pytest.fixture
def public():
    """Plays the public web: the one loopback port the app's fetches may reach."""
    page = ARTICLE.format(title="直播复盘方法", summary="一场直播怎么复盘", body="直播复盘要看转化漏斗和停留时长。")
    with StubServer({("GET", "/post"): (200, HTML, page)}) as stub:
        yield stub


@pytest.fixture
def app(tmp_path, private_redis, fresh_index, public):
    """The bot on a Redis of its own: what it forwards must not reach other tests' builds."""
    from bot import create_app

    settings = make_bot_settings(tmp_path, private_redis.url, fresh_index).with_overrides(
        fetch_loopback_ports=frozenset({public.port})
    )
    app = create_app(settings)
    yield app
    app.extensions["caselink"].close()


@pytest.fixture
def wx(app) -> WeChatServer:
    return WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)


def listed(text: str) -> list[tuple[str, str]]:
    """The (url, title) of every result line of a reply."""
    return re.findall(r'<a href="([^"]*)">([^<]*)</a>', text)


def assert_unpublished(wx: WeChatServer, stub: StubServer, title: str) -> None:
    """Neither a client nor the admin finds the page: not by its words, its title or in 最新."""
    for user in (new_openid("client"), ADMIN):
        for words in ("绝密指标", title, "最新"):
            for url, shown in listed(wx.text(user, words).text):
                assert f":{stub.port}/" not in url and shown not in ("内部监控", title)


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/metrics",
        "http://2130706433:{port}/metrics",
        "http://localhost:{port}/metrics",
        "http://[::ffff:127.0.0.1]:{port}/metrics",
    ],
)
def test_a_forwarded_link_to_this_machine_is_refused_and_never_published(wx, internal, template):
    reply = wx.link(ADMIN, template.format(port=internal.port), title="看看这个", description="监控")
    assert "不能抓取" in reply.text
    assert internal.calls == []
    assert_unpublished(wx, internal, "看看这个")


def test_a_redirect_to_this_machine_is_refused(wx, internal, public):
    public.route("GET", "/moved", (302, {"Location": f"http://127.0.0.1:{internal.port}/metrics"}, ""))
    reply = wx.link(ADMIN, public.url + "/moved", title="跳转的文章")
    assert "不能抓取" in reply.text
    assert internal.calls == []
    assert_unpublished(wx, internal, "跳转的文章")


def test_a_page_that_cannot_be_read_is_not_published(wx, public):
    reply = wx.link(ADMIN, public.url + "/gone", title="失效的文章", description="打不开的页面")
    assert "没能收录" in reply.text and "404" in reply.text
    assert_unpublished(wx, public, "失效的文章")


def test_a_forwarded_article_is_kept_in_redis_and_found_by_clients(wx, public, private_redis):
    reply = wx.link(ADMIN, public.url + "/post", title="直播复盘方法", description="一场直播怎么复盘")
    assert reply.text == "已收录：直播复盘方法"
    kept = redis.Redis.from_url(private_redis.url).hget("caselink:content:forwarded", f"url:{public.url}/post")
    assert json.loads(kept)["doc"]["title"] == "直播复盘方法"
    assert "直播复盘方法" in [title for _, title in listed(wx.text(new_openid("client"), "直播复盘").text)]


def test_when_indexing_fails_the_admin_gets_a_reason_and_the_log_the_traceback(wx, app, public, caplog):
    index_dir = app.extensions["caselink"].settings.index_dir
    (index_dir / ".build.lock").unlink(missing_ok=True)
    (index_dir / ".build.lock").mkdir()  # the index directory is broken: no build can take its lock
    reply = wx.link(ADMIN, public.url + "/post", title="直播复盘方法")
    assert "文章已保存" in reply.text and "索引目录写不进去" in reply.text and "服务日志" in reply.text
    failures = [r for r in caplog.records if r.name == "bot.chat.forwarding" and r.levelname == "ERROR"]
    assert failures and failures[0].exc_info is not None  # the whole traceback is in the log
