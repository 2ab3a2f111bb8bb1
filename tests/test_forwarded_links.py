"""Articles admins forward to the account (``link`` messages), through the real webhook, a real index
and Redis; the forwarded pages are local stand-ins ("public" is the only one fetches may reach)."""

from __future__ import annotations

import json
import re

import pytest
import redis

from bot import shares, texts
from bot.chat.forwarding import index_failed_note
from bot.links import ResultLink, make_token
from config.errors import CaseLinkError
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


def titles(wx: WeChatServer, user: str, words: str) -> list[str]:
    """The titles listed in the reply to ``words`` (without the 【内部】 mark employees see)."""
    reply = wx.text(user, words)
    shown = [title for _, title in listed(reply.text)] if reply.fields.get("MsgType") == "text" else []
    return [title.removeprefix(texts.INTERNAL_MARK) for title in shown]


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


def test_a_page_that_cannot_be_read_offers_the_card_and_publishes_nothing_unasked(wx, public):
    reply = wx.link(ADMIN, public.url + "/gone", title="失效的文章", description="打不开的页面")
    assert reply.text.startswith("只读到了转发卡片上的标题和摘要：《失效的文章》（网页没能打开：网页返回 HTTP 404")
    assert texts.FORWARD_ASK in reply.text
    assert_unpublished(wx, public, "失效的文章")  # the admin's searches meanwhile leave it out, too
    assert "已收录" not in wx.text(ADMIN, "1").body  # the question went away with the admin's searches
    assert_unpublished(wx, public, "失效的文章")


def test_a_forwarded_article_asks_first_and_is_published_as_answered(wx, public, private_redis):
    reply = wx.link(ADMIN, public.url + "/post", title="直播复盘方法", description="一场直播怎么复盘")
    assert reply.text == "读到了：《直播复盘方法》，正文 16 字。\n" + texts.FORWARD_ASK
    kept = redis.Redis.from_url(private_redis.url)
    assert kept.hget("caselink:content:forwarded", f"url:{public.url}/post") is None  # nothing published yet
    assert "直播复盘方法" not in titles(wx, new_openid("client"), "直播复盘")
    assert wx.text(ADMIN, "1").text == (
        "已收录为公开文章：《直播复盘方法》。客户和员工都能搜到。\n回复「撤回」可以撤下。"
    )
    stored = json.loads(kept.hget("caselink:content:forwarded", f"url:{public.url}/post"))
    assert (stored["doc"]["title"], stored["doc"]["visibility"], stored["by"]) == ("直播复盘方法", "public", ADMIN)
    assert "直播复盘方法" in titles(wx, new_openid("client"), "直播复盘")


@pytest.mark.parametrize(
    ("answer", "visibility", "kind"),
    [
        ("2", "internal", "article"),
        ("内部", "internal", "article"),
        ("2 3", "internal", "case"),
        ("公开案例", "public", "case"),
    ],
)
def test_answers_in_words_or_numbers(wx, public, private_redis, answer, visibility, kind):
    wx.link(ADMIN, public.url + "/post", title="直播复盘方法")
    assert wx.text(ADMIN, answer).text.startswith("已收录为")
    stored = json.loads(
        redis.Redis.from_url(private_redis.url).hget("caselink:content:forwarded", f"url:{public.url}/post")
    )
    assert (stored["doc"]["visibility"], stored["doc"]["kind"]) == (visibility, kind)


def test_zero_cancels(wx, public, private_redis):
    wx.link(ADMIN, public.url + "/post", title="直播复盘方法")
    assert wx.text(ADMIN, "0").text == texts.FORWARD_CANCELLED
    assert redis.Redis.from_url(private_redis.url).hlen("caselink:content:forwarded") == 0
    assert "直播复盘方法" not in titles(wx, ADMIN, "直播复盘")


def test_an_article_answered_internal_is_never_seen_by_a_client(wx, app, public):
    wx.link(ADMIN, public.url + "/post", title="直播复盘方法（内部）")
    assert wx.text(ADMIN, "2 内部").text.startswith("已收录为内部文章：《直播复盘方法（内部）》。只有员工能搜到")
    title = "直播复盘方法（内部）"
    client = new_openid("client")
    for words in ("直播复盘", "直播复盘方法", "转化漏斗", "最新", "文章", "文章 直播复盘", "更多"):
        assert title not in titles(wx, client, words), words
    for number in range(1, 8):
        for typed in (str(number), f"分享 {number}"):
            assert title not in wx.text(client, typed).body, typed
    assert title in titles(wx, ADMIN, "直播复盘") and title in titles(wx, ADMIN, "最新")
    svc = app.extensions["caselink"]
    doc = next(h for h in svc.index.searcher().search("直播复盘", audience="employee").hits if h.title == title)
    secret = svc.settings.secret_key
    for path in (  # its share kit and counted link, even signed, as a client would be sent them
        f"/k/{shares.make_kit_token(secret, shares.KitLink(doc.id, 'abc1234567', counts=True))}",
        f"/s/{shares.make_share_token(secret, doc.id, 'abc1234567')}",
    ):
        page = app.test_client().get(path)
        assert page.status_code == 404 and title not in page.text and "Location" not in page.headers
    for audience in ("client", "employee"):  # a link a client was given, or an employee's opened by a client
        token = make_token(svc.settings.secret_key, ResultLink("直播复盘", audience, None, None, "x"))
        page = app.test_client().get(f"/r/{token}")
        assert page.status_code == 200 and "直播复盘" in page.get_data(as_text=True)
        assert title not in page.get_data(as_text=True)


def test_an_article_labelled_internal_is_proposed_as_internal(wx, public, private_redis):
    page = ARTICLE.format(title="内部分享：报价策略", summary="内部分享，请勿外传", body="我们的报价底线和折扣规则。")
    public.route("GET", "/share", (200, HTML, page))
    reply = wx.link(ADMIN, public.url + "/share", title="内部分享：报价策略")
    assert "建议回复 2：标题里写着「内部分享」" in reply.text
    assert wx.text(ADMIN, "3").text.startswith("已收录为内部案例：《内部分享：报价策略》")
    assert "内部分享：报价策略" not in titles(wx, new_openid("client"), "报价策略")
    assert "内部分享：报价策略" in titles(wx, ADMIN, "报价策略")


def test_another_forward_replaces_an_unanswered_one(wx, public, private_redis):
    wx.link(ADMIN, public.url + "/post", title="第一篇")
    public.route("GET", "/second", (200, HTML, ARTICLE.format(title="第二篇", summary="", body="第二篇的正文。")))
    reply = wx.link(ADMIN, public.url + "/second", title="第二篇")
    assert texts.FORWARD_REPLACED.format(title="第一篇") in reply.text
    wx.text(ADMIN, "1")
    stored = redis.Redis.from_url(private_redis.url).hkeys("caselink:content:forwarded")
    assert stored == [f"url:{public.url}/second".encode()]


def test_moving_on_leaves_the_article_out_and_says_so(wx, public, private_redis):
    wx.link(ADMIN, public.url + "/post", title="直播复盘方法")
    reply = wx.text(ADMIN, "帮助").text
    assert reply.startswith(texts.FORWARD_DROPPED.format(title="直播复盘方法"))
    assert redis.Redis.from_url(private_redis.url).hlen("caselink:content:forwarded") == 0


def test_withdraw_takes_back_the_admins_last_forward(wx, public):
    wx.link(ADMIN, public.url + "/post", title="直播复盘方法")
    wx.text(ADMIN, "1")
    assert "直播复盘方法" in titles(wx, new_openid("client"), "直播复盘")
    assert wx.text(ADMIN, "撤回").text == "已撤回：《直播复盘方法》，客户和员工都搜不到了。"
    assert "直播复盘方法" not in titles(wx, new_openid("client"), "直播复盘")
    assert "直播复盘方法" not in titles(wx, ADMIN, "直播复盘")
    assert wx.text(ADMIN, "撤回").text == texts.WITHDRAW_NONE
    assert wx.text(new_openid("client"), "撤回").text != texts.WITHDRAW_NONE  # a client's 撤回 is a search


def test_withdraw_by_keyword_lists_and_takes_back_the_one_picked(wx, public):
    for n, title in enumerate(("社群运营笔记", "社群分层方法", "直播复盘方法")):
        body = f"{title}的正文，第{n}篇。"
        public.route("GET", f"/p{n}", (200, HTML, ARTICLE.format(title=title, summary="", body=body)))
        wx.link(ADMIN, f"{public.url}/p{n}", title=title)
        wx.text(ADMIN, "1")
    listing = wx.text(ADMIN, "撤回 社群").text
    assert listing.startswith("标题里含「社群」的转发文章：\n1. 《社群分层方法》（公开文章 · ")
    assert "\n2. 《社群运营笔记》" in listing and "直播复盘" not in listing
    assert listing.endswith(texts.WITHDRAW_PICK)
    assert wx.text(ADMIN, "5").text == texts.WITHDRAW_OUT_OF_RANGE.format(n=2)
    assert wx.text(ADMIN, "2").text == "已撤回：《社群运营笔记》，客户和员工都搜不到了。"
    left = titles(wx, new_openid("client"), "社群")
    assert "社群分层方法" in left and "社群运营笔记" not in left
    assert wx.text(ADMIN, "撤回 不存在的词").text == texts.WITHDRAW_NOTHING.format(words="不存在的词")


def test_when_indexing_fails_the_admin_gets_a_reason_and_the_log_the_traceback(wx, app, public, caplog):
    index_dir = app.extensions["caselink"].settings.index_dir
    (index_dir / ".build.lock").unlink(missing_ok=True)
    (index_dir / ".build.lock").mkdir()  # the index directory is broken: no build can take its lock
    wx.link(ADMIN, public.url + "/post", title="直播复盘方法")
    reply = wx.text(ADMIN, "1")
    assert "已收录为公开文章" in reply.text and "索引目录写不进去" in reply.text and "服务日志" in reply.text
    failures = [r for r in caplog.records if r.name == "bot.chat.forwarding" and r.levelname == "ERROR"]
    assert failures and failures[0].exc_info is not None  # the whole traceback is in the log


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (CaseLinkError('内容目录 <a href="http://evil.example/">点这里</a> 读不了'), "＜a href="),
        (CaseLinkError("R&D 目录 &lt;坏了&gt;"), "R＆D 目录 ＆lt;坏了＆gt;"),
        (IsADirectoryError(21, "Is a directory"), "索引目录写不进去（Is a directory）"),
    ],
)
def test_why_indexing_failed_is_told_without_markup(error, shown):
    note = index_failed_note(error)
    assert shown in note and "服务日志" in note
    assert "<" not in note and "&" not in note  # an error text cannot add a link or an entity to the reply
