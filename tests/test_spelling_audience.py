"""Typo help never leaks internal words: a client's correction data holds public words only (issue 8.9)."""

from __future__ import annotations

import pytest

from bot import texts
from indexer.build import rebuild, update
from indexer.search import open_searcher
from tests.bot_fixtures import make_bot_settings, new_openid
from tests.conftest import make_settings, write_post


def post(content, name: str, title: str, body: str, visibility: str = "public") -> None:
    write_post(content, name, title, body, f"visibility: {visibility}\n")


@pytest.fixture
def mixed(tmp_path):
    """Public posts, and internal notes that alone use 私董会 (a domain word) and 驰远汽车."""
    content = tmp_path / "content"
    post(content, "2021-1-1-a.md", "会员运营手册", "会员体系、积分与等级。")
    post(content, "2021-2-1-b.md", "案例复盘方法", "每个项目结束后怎样复盘。")
    post(content, "2021-3-1-c.md", "私董会纪要", "本期私董会讨论驰远汽车的直播预算。", "internal")
    post(content, "2021-4-1-d.md", "私董会议程", "下期私董会：驰远汽车复盘。", "internal")
    settings = make_settings(tmp_path, CONTENT_DIR=content, SITE_URL="https://blog.example.cn")
    rebuild(settings)
    return settings, content


def test_a_homophone_of_an_internal_only_word_is_not_corrected_for_a_client(mixed):
    settings, _ = mixed
    searcher = open_searcher(settings.index_dir)
    employee = searcher.search("私懂会", audience="employee")
    assert employee.corrected == "私董会" and employee.hits  # the data is there, for employees
    client = searcher.search("私懂会", audience="client")
    assert client.corrected is None and not client.hits


def test_a_word_made_public_later_is_corrected_for_clients_after_the_update(mixed):
    settings, content = mixed
    post(content, "2021-5-1-e.md", "私董会是什么", "私董会是一种企业家互助学习的形式。")
    update(settings)
    client = open_searcher(settings.index_dir).search("私懂会", audience="client")
    assert client.corrected == "私董会" and [h.title for h in client.hits] == ["私董会是什么"]


def test_the_bot_never_tells_a_client_the_internal_word(mixed, tmp_path, redis_url):
    from bot.app import create_app
    from tests.bot_fixtures import AES_KEY, APPID, TOKEN
    from tests.wechat_client import WeChatServer

    settings, _ = mixed
    app = create_app(make_bot_settings(tmp_path / "bot", redis_url, settings.index_dir))
    try:
        wechat = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        reply = wechat.text(new_openid(), "私懂会").text
        assert "私董会" not in reply and texts.CORRECTED.split("「")[0] not in reply
    finally:
        app.extensions["caselink"].close()
