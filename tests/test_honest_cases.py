"""Honest about cases (issue 12.3): a blog with no case says so and shows the matching articles
instead of "内容库里还没有内容"; posts tagged 案例 become cases through the group rule."""

from __future__ import annotations

import re

import pytest

from bot import texts
from indexer import rebuild
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.wechat_client import WeChatServer

LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')
POSTS = {
    "2024-1-1-brand.md": ("个人品牌从一句话开始", "[个人品牌]", "个人品牌的第一步是说清你是谁。"),
    "2024-1-2-ceo.md": ("CEO 要不要做个人品牌", "[个人品牌, CEO]", "CEO 的个人品牌和公司品牌。"),
    "2024-1-3-ai.md": ("用 AI 写周报", "[AI]", "周报的三段式。"),
}


def blog(tmp_path, extra: dict | None = None):
    posts = tmp_path / "content" / "_posts"
    posts.mkdir(parents=True)
    for name, (title, tags, body) in {**POSTS, **(extra or {})}.items():
        (posts / name).write_text(f"---\ntitle: {title}\ntags: {tags}\n---\n{body}\n", encoding="utf-8")
    return tmp_path / "content"


@pytest.fixture
def make_bot(tmp_path, redis_url):
    from bot import create_app

    apps = []

    def make(extra: dict | None = None, **env: str) -> WeChatServer:
        content = blog(tmp_path / f"site{len(apps)}", extra)
        settings = make_bot_settings(
            tmp_path / f"bot{len(apps)}", redis_url, content.parent / "index", CONTENT_DIR=str(content), **env
        )
        rebuild(settings)
        apps.append(create_app(settings))
        return WeChatServer(apps[-1].test_client(), TOKEN, AES_KEY, APPID)

    yield make
    for app in apps:
        app.extensions["caselink"].close()


def titles(text: str) -> list[str]:
    return [title for _, title in LINK.findall(text)]


@pytest.mark.parametrize("typed", ["案例", "最新 案例", "最新案例"])
def test_without_cases_the_newest_articles_are_shown_and_it_says_why(make_bot, typed):
    wx = make_bot()
    reply = wx.text(new_openid(), typed).text
    assert reply.startswith(texts.NO_CASES + "\n1. ")
    assert titles(reply) == ["用 AI 写周报", "CEO 要不要做个人品牌", "个人品牌从一句话开始"]
    assert texts.NO_CONTENT not in reply


def test_the_menu_button_for_the_newest_cases_says_so_too(make_bot):
    wx = make_bot()
    reply = wx.event(new_openid(), "CLICK", key="LATEST_CASES").text
    assert reply.startswith(texts.NO_CASES) and len(titles(reply)) == 3


def test_a_case_search_with_no_case_shows_the_matching_articles(make_bot):
    wx = make_bot()
    user = new_openid()
    reply = wx.text(user, "案例 个人品牌").text
    assert reply.startswith(texts.NO_CASES_FOUND.format(query="个人品牌") + "\n")
    assert set(titles(reply)) == {"个人品牌从一句话开始", "CEO 要不要做个人品牌"}
    assert wx.text(user, "1").article["Title"] in {"个人品牌从一句话开始", "CEO 要不要做个人品牌"}


def test_posts_tagged_as_cases_are_cases_through_the_group_rule(make_bot):
    wx = make_bot({"2024-1-4-story.md": ("一个客户的个人品牌故事", "[案例, 个人品牌]", "客户故事。")})
    reply = wx.text(new_openid(), "案例").text
    assert reply.startswith("最新案例：") and titles(reply) == ["一个客户的个人品牌故事"]
    found = wx.text(new_openid(), "案例 个人品牌").text
    assert titles(found) == ["一个客户的个人品牌故事"]


DESK_CONTACT = "想了解我们做过的案例，欢迎联系：电话 0571-8765 4321 · hello@qingteng.example"  # config/replies.yaml


@pytest.mark.parametrize("typed", ["案例 个人品牌", "案例", "最新案例"])
def test_articles_shown_instead_of_cases_end_with_how_to_ask_for_cases(make_bot, typed):
    reply = make_bot().text(new_openid(), typed).text
    listed, _, after = reply.rpartition("</a>")
    assert DESK_CONTACT in after and DESK_CONTACT not in listed  # after the list, before the hint
    assert after.strip().endswith("。") and texts.LIST_HINT in after


def test_the_contact_line_setting_is_what_it_says(make_bot):
    wx = make_bot(CONTACT_LINE="微信 qingteng-hello")
    reply = wx.text(new_openid(), "案例 个人品牌").text
    assert "想了解我们做过的案例，欢迎联系：微信 qingteng-hello" in reply and "0571" not in reply


def test_a_case_that_is_found_needs_no_contact_line(make_bot):
    wx = make_bot({"2024-1-4-story.md": ("一个客户的个人品牌故事", "[案例, 个人品牌]", "客户故事。")})
    for typed in ("案例 个人品牌", "案例"):
        assert "欢迎联系" not in wx.text(new_openid(), typed).text
