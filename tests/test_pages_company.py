"""Results pages speak for the company (issue 12.7): whose page it is, how to follow, how to get in touch
— on the results page and on the expired and invalid ones — and snippets without Markdown."""

from __future__ import annotations

import re

import pytest

from bot import links, shares
from config.errors import ConfigError
from tests.bot_fixtures import make_bot_settings
from tests.conftest import make_settings
from tests.test_pages import expired_token

QR = "https://www.qingteng.example/assets/img/qr-qingteng.png"
LINE = "电话 0571-8765 4321 · 微信 qingteng-hello"
COMPANY = {"ACCOUNT_NAME": "青藤互动", "ACCOUNT_QR_URL": QR, "CONTACT_LINE": LINE}


SECRET = "caselink-test-secret-key"


def token(query: str) -> str:
    return links.make_token(SECRET, links.ResultLink(query, "client"))


def kit(doc_id: str) -> str:
    return shares.make_kit_token(SECRET, shares.KitLink(doc_id, "abc1234567"))


@pytest.fixture
def bot_env() -> dict:
    return COMPANY


@pytest.fixture
def client(bot_app):
    return bot_app.test_client()


def company_block(html: str) -> str:
    match = re.search(r'<aside class="company" id="company">(.*?)</aside>', html, re.S)
    assert match, "no company block"
    return match.group(1)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/r/{token('私域流量')}", 200),
        (f"/r/{expired_token()}", 410),
        (f"/r/{token('私域流量')[:-4]}AAAA", 403),
        (f"/k/{kit('cases/hotpot-booking-mini-program')}", 200),  # the share kit (issue 11)
        (f"/k/{kit('cases/hotpot-booking-mini-program')[:-4]}AAAA", 403),
        (f"/k/{kit('cases/no-such-case')}", 404),
    ],
    # The tokens hold the time: ids must not (xdist workers compare what they collected), so r-200, k-404…
    ids=lambda value: value.split("/")[1] if isinstance(value, str) else None,
)
def test_every_page_says_whose_it_is_how_to_follow_and_how_to_reach_them(client, path, status):
    page = client.get(path)
    assert page.status_code == status
    block = company_block(page.text)
    assert "来自公众号「青藤互动」" in block
    assert f'<img src="{QR}" alt="青藤互动的二维码"' in block and "长按二维码关注" in block
    assert "联系我们：电话 0571-8765 4321 · 微信 qingteng-hello" in block
    assert "img-src 'self' https: data:" in page.headers["Content-Security-Policy"]  # a QR under /static too


def test_without_settings_the_contact_comes_from_the_front_desk(tmp_path, redis_url, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, COMPANY_NAME="青藤互动"))
    try:
        block = company_block(app.test_client().get(f"/r/{expired_token()}").text)
        assert "来自公众号「青藤互动」" in block and "在微信里搜索「青藤互动」关注公众号" in block
        assert "<img" not in block
        assert "联系我们：电话 0571-8765 4321 · hello@qingteng.example" in block
    finally:
        app.extensions["caselink"].close()


MARKDOWN_CATALOG = """cases:
  - id: md-1
    title: 社群运营复盘
    tags: [社群]
    url: https://www.qingteng.example/cases/md-1/
    summary: 一次社群运营的复盘。
    body: "**社群分层**是关键：先做 `福利群`，再做 [兴趣群](https://x.example/)，最后才是 __会员群__。"
    date: 2024-03-01
"""


def test_snippets_show_no_markdown(tmp_path, redis_url):
    from bot import create_app
    from indexer.build import rebuild
    from indexer.search import open_searcher

    content = tmp_path / "content" / "cases"
    content.mkdir(parents=True)
    (content / "md.yaml").write_text(MARKDOWN_CATALOG, encoding="utf-8")
    rebuild(make_settings(tmp_path / "idx", CONTENT_DIR=str(content.parent)))
    index = tmp_path / "idx" / "index"
    assert "**" in open_searcher(index).search("社群分层").hits[0].snippet  # the source kept its Markdown
    app = create_app(make_bot_settings(tmp_path, redis_url, index))
    try:
        html = app.test_client().get(f"/r/{token('社群分层')}").text
    finally:
        app.extensions["caselink"].close()
    snippet = re.search(r'<p class="snippet">(.*?)</p>', html, re.S).group(1)
    assert not any(mark in snippet for mark in ("**", "__", "`", "](", "[兴趣群"))
    assert snippet.startswith("<mark>社群分层</mark>是关键：先做 福利群，再做 兴趣群，最后才是 会员群")


@pytest.mark.parametrize(
    ("env", "ok"),
    [
        ({"ACCOUNT_QR_URL": "/static/qr.png"}, True),
        ({"ACCOUNT_QR_URL": QR}, True),
        ({"ACCOUNT_QR_URL": "http://insecure.example/qr.png"}, False),
        ({"ACCOUNT_QR_URL": "//cdn.example/qr.png"}, False),
        ({"ACCOUNT_NAME": "一个非常非常长的名字" * 4}, False),
        ({"CONTACT_LINE": "<script>"}, False),
    ],
)
def test_company_settings_are_checked(tmp_path, env, ok):
    if ok:
        make_settings(tmp_path, **env)
    else:
        with pytest.raises(ConfigError):
            make_settings(tmp_path, **env)
