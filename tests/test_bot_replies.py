"""Replies within WeChat's limits and free of planted links: every text reply ≤ 2048 bytes, no link
cut in half, and nothing someone else typed becomes a live ``<a href>`` in anybody's chat."""

from __future__ import annotations

import re

import pytest

from bot import texts
from bot.chat import router
from bot.chat.replies import TEXT_LIMIT, Text, escape, fit_text, size
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer

PLANTED = '<a href="http://evil.example/login">重新登录</a>'
LINK = re.compile(r"<a\s[^>]*>.*?</a>", re.S)


def live_links(text: str) -> list[str]:
    """The hrefs WeChat would render as links."""
    return re.findall(r'<a\s+href="([^"]*)"', text)


def assert_fits_with_whole_links(text: str) -> None:
    assert size(text) <= TEXT_LIMIT, size(text)
    assert text.count("<a ") == text.count("</a>") == len(LINK.findall(text))


@pytest.fixture
def private_wechat(tmp_path, private_redis, sample_settings):
    """A bot whose Redis holds only this test's searches (so its 热词 are ours alone)."""
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir))
    yield WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    app.extensions["caselink"].close()


def test_a_link_a_client_types_is_inert_in_the_admins_hot_words(private_wechat):
    client = new_openid("client")
    echoed = private_wechat.text(client, PLANTED).text
    assert "「＜a href=" in echoed and "evil.example" not in " ".join(live_links(echoed))
    hot = private_wechat.text(ADMIN, "热词").text
    assert '＜a href="http://evil.example/login"＞重新登录＜/a＞' in hot
    assert not live_links(hot)


def test_an_oversized_admin_reply_is_trimmed_by_whole_lines(private_wechat):
    for n in range(12):  # long queries: more 热词 than one reply holds
        private_wechat.text(new_openid("client"), f"{n:02d}" + "零结果的很长很长的查询" * 5)
    hot = private_wechat.text(ADMIN, "热词").text
    assert size(hot) <= TEXT_LIMIT
    assert hot.endswith(texts.TRIMMED)
    assert hot.splitlines()[-2].endswith("次）")  # the last line shown is whole


def test_a_held_answer_with_its_prefix_is_trimmed_without_cutting_a_link(tmp_path, redis_url, sample_settings):
    from bot import create_app

    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "T", "expires_in": 7200},
            ("POST", "/cgi-bin/message/custom/send"): {"errcode": 45015, "errmsg": "response out of time limit"},
        }
    ) as api:
        settings = make_bot_settings(
            tmp_path, redis_url, sample_settings.index_dir, WECHAT_API_BASE=api.url + "/cgi-bin/"
        )
        app = create_app(settings)
        # A result list that just fits, as fit_list makes them, then held because pushing is refused.
        line = (
            '{}. <a href="https://example.com/articles/{}/a-long-path-to-make-the-line-long">一篇文章的标题</a>（文章）'
        )
        lines, n = ["找到 40 条与「品牌」相关的内容："], 0
        while size("\n".join([*lines, line.format(n + 1, n)])) <= TEXT_LIMIT:
            n += 1
            lines.append(line.format(n, n - 1))
        listing = Text("\n".join(lines))
        assert TEXT_LIMIT - 30 < size(listing.content) <= TEXT_LIMIT  # fits alone, not with the prefix
        assert app.extensions["caselink"].delivery.push(ADMIN, listing) is False
        wechat = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        reply = wechat.text(ADMIN, "帮助").text
        app.extensions["caselink"].close()
    assert reply.startswith(texts.PENDING_PREFIX + "\n找到 40 条")
    assert_fits_with_whole_links(reply)
    assert reply.endswith(texts.TRIMMED)


def test_no_command_echoes_a_live_link(wechat):
    # Whatever a command or interpreter repeats back, as an admin or a client, stays inert.
    admin, client = ADMIN, new_openid("client")
    words = sorted(w for w in router.COMMANDS if w != "重建索引")  # starts a real build; echoes nothing
    for user in (admin, client):
        for word in [*words, "#品牌", "", "更多", "2"]:
            for text in (f"{word} {PLANTED}", PLANTED):  # the second goes to any flow the first opened
                reply = wechat.text(user, text)
                assert reply.status == 200, (word, reply.body)
                if reply.fields.get("MsgType") == "text":
                    assert "evil.example" not in " ".join(live_links(reply.text)), (user, word, reply.text)


@pytest.mark.parametrize(
    ("content", "kept"),
    [
        ("短消息", "短消息"),
        ("a]]>b", "a]] >b"),  # would close the CDATA it is rendered into
        ("\n".join(["第一行", "字" * 700, "最后一行"]), "第一行"),  # whole lines only
    ],
)
def test_fit_text(content, kept):
    fitted = fit_text(content)
    assert size(fitted) <= TEXT_LIMIT and fitted.startswith(kept)
    assert fitted == kept or (size(content) > TEXT_LIMIT and fitted.endswith(texts.TRIMMED))


def test_one_line_too_long_is_cut_between_characters_never_inside_a_link():
    link = '<a href="https://example.com/' + "x" * 200 + '">标题</a>'
    for prefix in ("字" * 600, "字" * 630, "字" * 640):
        fitted = Text(prefix + link + "尾" * 100).content
        assert_fits_with_whole_links(fitted)
        assert fitted.endswith(texts.TRIMMED)


def test_escape_leaves_no_markup_or_entities():
    assert escape('<a href="x">&lt;</a>') == '＜a href="x"＞＆lt;＜/a＞'
    assert escape(42) == "42"
