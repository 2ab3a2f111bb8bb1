"""The conversation of DESIGN.md as clients, employees and admins have it, on the sample content,
a real Whoosh index and a real Redis; only the WeChat API is a local stand-in."""

from __future__ import annotations

import re
import time

import pytest

from bot import texts
from bot.chat.replies import TEXT_LIMIT, fit_list
from config.errors import IndexLocked
from indexer.search import Hit
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer

LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')


def links(text: str) -> list[tuple[str, str]]:
    return LINK.findall(text)


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^(\d+)\. <a ", text, re.M)]


@pytest.fixture
def internal_urls(searcher) -> set[str]:
    """URLs of every internal document in the sample content."""
    hits = searcher.latest(audience="employee", limit=1000)
    urls = {h.url for h in hits if h.visibility == "internal"}
    assert urls, "the sample content should hold internal documents"
    return urls


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("帮助", texts.HELP),
        ("幫助", texts.HELP),
        ("帮助。", texts.HELP),
        ("？", texts.HELP),
        ("?", texts.HELP),
        ("help", texts.HELP),
        ("   ", texts.EMPTY_QUERY),
        ("绑定", texts.BIND_USAGE),
    ],
)
def test_commands_are_matched_after_normalising(wechat, typed, expected):
    assert wechat.text(new_openid(), typed).text == expected


@pytest.mark.parametrize(("first", "again"), [("最新", "更多"), ("最新", "下一頁"), ("最新", "更多！")])
def test_paging_words_in_any_form(wechat, first, again):
    user = new_openid()
    assert numbers(wechat.text(user, first).text) == [1, 2, 3, 4, 5]
    assert numbers(wechat.text(user, again).text) == [6, 7, 8, 9, 10]


def test_full_width_number_picks_a_card(wechat):
    user = new_openid()
    listed = links(wechat.text(user, "私域流量").text)
    card = wechat.text(user, "２").article
    assert (card["Url"], card["Title"]) == listed[1]


def test_search_list_shape_and_paging(wechat):
    user = new_openid()
    first = wechat.text(user, "私域流量", "safe").text
    assert first.startswith("找到 ")
    assert "「私域流量」" in first
    assert numbers(first) == [1, 2, 3, 4, 5]
    assert re.search(r"（(文章|案例) · \d{4}-\d{2}-\d{2}）", first)
    assert first.endswith(texts.LIST_HINT + texts.MORE_HINT + "。")
    second = wechat.text(user, "更多", "safe").text
    assert numbers(second)[0] == 6
    assert not set(links(first)) & set(links(second))
    card = wechat.text(user, "7", "safe").article
    assert (card["Url"], card["Title"]) == links(second)[1]
    assert card["Description"]


@pytest.mark.parametrize(("command", "kind_name"), [("案例 品牌", "案例"), ("文章 品牌", "文章")])
def test_kind_filters(wechat, command, kind_name):
    text = wechat.text(new_openid(), command).text
    kinds = re.findall(r"（(文章|案例)", text)
    assert kinds
    assert set(kinds) == {kind_name}


def test_tag_filter(wechat, searcher):
    text = wechat.text(new_openid(), "#私域流量").text
    found = links(text)
    assert found
    for url, _ in found:
        hit = next(h for h in searcher.latest(audience="employee", limit=1000) if h.url == url)
        assert "私域流量" in hit.tags


def test_latest_by_kind(wechat):
    text = wechat.text(new_openid(), "最新 案例").text
    assert text.startswith("最新案例：")
    assert set(re.findall(r"（(文章|案例)", text)) == {"案例"}
    assert wechat.text(new_openid(), "案例").text.startswith("最新案例：")


def test_zero_results_suggest_tags_and_newest(wechat):
    user = new_openid()
    text = wechat.text(user, "量子纠缠望远镜").text
    assert text.startswith(texts.NOTHING.format(query="量子纠缠望远镜"))
    assert texts.LATEST_FOR_YOU in text
    assert "#" in text  # related tags
    assert numbers(text) == [1, 2, 3]
    assert wechat.text(user, "1").article["Url"] == links(text)[0][0]


def test_pinyin_typo_is_corrected(wechat):
    text = wechat.text(new_openid(), "营消").text
    assert texts.CORRECTED.format(corrected="营销") in text
    assert links(text)


def test_weak_results_are_offered_as_related_reading(wechat, searcher):
    query = next(q for q in ("小红书 量子", "抖音 火星基地", "社群 潜水艇", "品牌 恐龙") if searcher.search(q).weak)
    text = wechat.text(new_openid(), query).text
    assert text.startswith(texts.WEAK.format(query=query))
    assert links(text)


def test_traditional_characters_search_like_simplified(wechat):
    simplified = wechat.text(new_openid(), "私域流量").text
    traditional = wechat.text(new_openid(), "私域流量。").text
    assert links(simplified) == links(traditional)
    assert links(wechat.text(new_openid(), "營銷").text) == links(wechat.text(new_openid(), "营销").text)


def test_admin_commands_are_plain_searches_for_others(wechat):
    user = new_openid()
    for word in ("重建索引", "状态", "邀请", "热词"):
        text = wechat.text(user, word).text
        assert text.startswith(("找到 ", "没有")), text
        assert "邀请码" not in text and "已开始" not in text and "热门搜索" not in text


def test_a_number_without_a_list_is_searched(wechat):
    assert wechat.text(new_openid(), "2023").text.startswith(("找到 ", "没有"))


def test_stale_number_after_role_change_never_shows_internal(wechat, redis_url, internal_urls, bot_app):
    admin = WeChatServer(bot_app.test_client(), TOKEN, AES_KEY, APPID)
    user = new_openid("emp")
    name = "员工" + user[-6:]
    code = re.search(r"邀请码：(\w+)", admin.text(ADMIN, f"邀请 {name}").text).group(1)
    assert wechat.text(user, f"绑定 {code}").text == texts.BIND_OK.format(role="员工")
    shown = wechat.text(user, "私域流量").text
    shown += "\n" + wechat.text(user, "更多").text
    internal_numbers = [n for n, (url, _) in enumerate(LINK.findall(shown), 1) if url in internal_urls]
    assert internal_numbers, "an employee sees internal content"
    assert admin.text(ADMIN, f"撤销 {name}").text == texts.REVOKE_PERSON_OK.format(name=name, role="员工")
    for n in internal_numbers:
        assert wechat.text(user, str(n)).text == texts.PICK_GONE.format(n=n)
    page = wechat.text(user, "更多").text
    assert not {url for url, _ in links(page)} & internal_urls


def test_clients_never_see_internal_content(wechat, internal_urls, searcher):
    user = new_openid()
    internal_titles = [h.title for h in searcher.latest(audience="employee", limit=1000) if h.url in internal_urls]
    seen: set[str] = set()
    for query in ["私域流量", "复盘", "内部", "提案", "案例 母婴", "最新", "最新 案例", "#内部", *internal_titles]:
        text = wechat.text(user, query).text
        seen |= {url for url, _ in links(text)}
        for _ in range(3):
            more = wechat.text(user, "更多")
            seen |= {url for url, _ in links(more.text)}
        for n in range(1, 16):
            reply = wechat.text(user, str(n))
            if reply.fields.get("MsgType") == "news":
                seen.add(reply.article["Url"])
    assert seen
    assert not seen & internal_urls


def test_bind_codes_are_single_use_and_guesses_limited(wechat):
    code = re.search(r"邀请码：(\w+)", wechat.text(ADMIN, "邀请").text).group(1)
    first, second = new_openid(), new_openid()
    assert wechat.text(first, f"綁定 {code.lower()}").text == texts.BIND_OK.format(role="员工")
    assert wechat.text(second, f"绑定 {code}").text == texts.BIND_BAD
    guesser = new_openid()
    fresh = re.search(r"邀请码：(\w+)", wechat.text(ADMIN, "邀请").text).group(1)
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"):
        assert wechat.text(guesser, f"绑定 {guess}").text == texts.BIND_BAD
    assert wechat.text(guesser, f"绑定 {fresh}").text == texts.BIND_TOO_MANY
    assert wechat.text(new_openid(), f"绑定 {fresh}").text == texts.BIND_OK.format(role="员工")


def test_admin_invite_promotes(wechat):
    code = re.search(r"邀请码：(\w+)", wechat.text(ADMIN, "邀请 管理员").text).group(1)
    user = new_openid()
    assert wechat.text(user, f"绑定 {code}").text == texts.BIND_OK.format(role="管理员")
    assert wechat.text(user, "状态").text.startswith("索引：")


def test_unsubscribe_forgets_the_user(wechat):
    code = re.search(r"邀请码：(\w+)", wechat.text(ADMIN, "邀请").text).group(1)
    user = new_openid()
    wechat.text(user, f"绑定 {code}")
    wechat.text(user, "私域流量")
    assert wechat.event(user, "unsubscribe").success
    assert wechat.text(user, "更多").text == texts.NO_SESSION
    assert wechat.text(user, f"绑定 {code}").text == texts.BIND_BAD  # back to client; code used up


@pytest.mark.parametrize(
    ("key", "starts"), [("LATEST", "最新内容："), ("LATEST_CASES", "最新案例："), ("HELP", texts.HELP)]
)
def test_menu_clicks_run_their_commands(wechat, key, starts):
    assert wechat.event(new_openid(), "CLICK", key=key).text.startswith(starts)


def make_hit(n: int, title: str, url: str) -> Hit:
    return Hit(id=f"d{n}", kind="case", title=title, url=url, date="2024-01-0" + str(n % 9 + 1))


def test_lists_are_trimmed_by_whole_items_within_2048_bytes():
    long_title = "私域流量与社群运营的分层打法：福利群兴趣群会员群的节奏与规则详解" * 2
    hits = [make_hit(n, long_title, "https://例子.example/" + "案例路径" * 40 + f"/{n}") for n in range(5)]
    text, shown = fit_list("找到 5 条与「私域流量」相关的内容：", hits, 1, texts.LIST_HINT + "。")
    assert len(text.encode("utf-8")) <= TEXT_LIMIT
    assert 0 < shown < 5
    assert len(links(text)) == shown == text.count("<a href=") == text.count("</a>")
    assert text.endswith(texts.LIST_HINT + "。")


def test_a_hit_too_long_to_fit_is_listed_by_title_never_cut():
    hits = [
        make_hit(1, "很长的链接", "https://example.com/" + "x" * 3000),
        make_hit(2, "短标题", "https://example.com/ok"),
    ]
    text, shown = fit_list("结果：", hits, 1, "")
    assert shown == 2  # the page moves on: nothing is left behind for 更多 to repeat
    first = text.splitlines()[1]
    assert first.startswith("1. 很长的链接（案例") and first.endswith(texts.LINK_TOO_LONG.format(n=1))
    assert "x" * 100 not in text
    assert links(text) == [("https://example.com/ok", "短标题")]


def test_every_reply_in_a_long_session_fits(wechat):
    user = new_openid()
    for line in ["私域流量", "更多", "更多", "品牌", "最新", "更多", "案例 小程序", "营销"]:
        reply = wechat.text(user, line)
        if reply.fields.get("MsgType") == "text":
            assert len(reply.text.encode("utf-8")) <= TEXT_LIMIT


# --- the scripted conversation of the issue: client, employee, admin ------------------------------


@pytest.fixture
def api():
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "T", "expires_in": 7200},
            ("POST", "/cgi-bin/message/custom/send"): {"errcode": 0, "errmsg": "ok"},
        }
    ) as stub:
        yield stub


@pytest.fixture
def scripted_app(tmp_path, private_redis, fresh_index, api):
    """A Redis of its own: the hot words it checks are not crowded out by other modules' searches."""
    from bot import create_app

    settings = make_bot_settings(tmp_path, private_redis.url, fresh_index, WECHAT_API_BASE=api.url + "/cgi-bin/")
    app = create_app(settings)
    yield app
    app.extensions["caselink"].close()


def test_scripted_conversation(scripted_app, api, internal_urls):
    wx = WeChatServer(scripted_app.test_client(), TOKEN, AES_KEY, APPID)
    client, employee = new_openid("client"), new_openid("employee")
    unique = f"zqxv{int(time.time() * 1000) % 100000}"

    # a client searches, pages, picks the second result
    welcome = wx.event(client, "subscribe", mode="safe").text
    assert welcome.startswith("你好，欢迎关注青藤互动！") and welcome.endswith(texts.HELP)  # config/replies.yaml
    first = wx.text(client, "私域流量", "safe").text
    assert numbers(first) == [1, 2, 3, 4, 5]
    assert numbers(wx.text(client, "更多", "safe").text)[0] == 6
    card = wx.text(client, "2", "safe").article
    assert (card["Url"], card["Title"]) == links(first)[1]
    assert not {u for u, _ in links(first)} & internal_urls
    assert wx.text(client, unique, "safe").text.startswith("没有找到")
    assert not wx.text(client, "邀请", "safe").text.startswith("新的")

    # the admin invites; the employee binds and now sees internal content
    invite = wx.text(ADMIN, "邀请", "safe").text
    code = re.search(r"邀请码：(\w+)", invite).group(1)
    assert wx.text(employee, f"绑定 {code}", "safe").text == texts.BIND_OK.format(role="员工")
    seen = {u for u, _ in links(wx.text(employee, "私域流量", "safe").text)}
    seen |= {u for u, _ in links(wx.text(employee, "更多", "safe").text)}
    assert seen & internal_urls

    # the admin rebuilds in the background and is told when it is done; hot queries include ours
    assert wx.text(ADMIN, "重建索引", "safe").text == texts.REINDEX_STARTED
    deadline = time.monotonic() + 30
    while not api.calls_to("/cgi-bin/message/custom/send") and time.monotonic() < deadline:
        time.sleep(0.1)
    pushed = api.calls_to("/cgi-bin/message/custom/send")[0].json
    assert pushed["touser"] == ADMIN
    assert re.match(r"索引重建完成：\d+ 篇内容，0 个问题，版本 gen-", pushed["text"]["content"])
    hot = wx.text(ADMIN, "热词", "safe").text
    top, zero = hot.split(texts.HOT_ZERO)[:2]
    assert "私域流量" in top
    assert unique in zero
    assert wx.text(ADMIN, "状态", "safe").text.startswith("索引：")


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (IndexLocked("rebuild，进程 1@vm"), "索引正在被另一个构建任务占用（rebuild，进程 1@vm），请稍后再试"),
        (OSError(28, "No space left on device"), texts.UNEXPECTED_ERROR),
        (ValueError("bad"), texts.UNEXPECTED_ERROR),
    ],
)
def test_admins_see_failures_in_chinese(error, shown):
    assert texts.describe_error(error) == shown
