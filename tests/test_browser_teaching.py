"""教它 in a real headless Chromium: from the hot words to a rewrite and a pin, and what a WeChat user
gets right after (the app over real HTTP, real Redis, the sample index)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import redis

from tests.bot_fixtures import AES_KEY, APPID, CHROMIUM, TOKEN, make_bot_settings, new_openid, serve_app
from tests.conftest import screenshot_dir
from tests.teaching_helpers import SHUANGWEI_TITLE, forget_rules, listed
from tests.wechat_client import HttpClient, WeChatServer

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Browser, expect

__all__ = ["forget_rules"]

ADMIN_TOKEN = "caselink-browser-teach"
# A term the vocabulary does not know and the sample content never uses: it finds nothing, so it is
# listed under 没有结果 on the hot words page however many other searches the suite logged. (两微一端
# now finds the 微博/微信 posts through config/concepts.txt, and showed only in the capped top list.)
QUERY = "三微一端"


@pytest.fixture(autouse=True)
def _clean(forget_rules):
    yield


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url, sample_settings):
    from bot import create_app

    tmp = tmp_path_factory.mktemp("browser-teach")
    settings = make_bot_settings(tmp, redis_url, sample_settings.index_dir, ADMIN_TOKEN=ADMIN_TOKEN)
    redis.Redis.from_url(redis_url).delete("caselink:loginfail:127.0.0.1")
    app = create_app(settings)
    with serve_app(app) as url:
        yield url
    app.extensions["caselink"].close()


def test_teach_a_query_from_the_hot_words_in_a_browser(browser: Browser, server):
    wechat = WeChatServer(HttpClient(server), TOKEN, AES_KEY, APPID)
    word, client = QUERY, new_openid()
    wechat.text(client, word, "safe")  # a search: now it is on the hot words page

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(server + "/admin/login")
        page.fill("#token", ADMIN_TOKEN)
        page.click("button[type=submit]")
        page.goto(server + "/admin/queries")
        page.locator("#days-7 li", has_text=word).first.get_by_role("link", name="教它").click()
        expect(page).to_have_url(re.compile(rf"/admin/search\?q={quote(word)}#teach$"))

        page.fill("#teach input[name=target]", "双微一抖")
        page.click("#add-rewrite")
        expect(page.locator(".flash.ok")).to_contain_text(f"已添加：搜索「{word}」时也搜索「双微一抖」")
        expect(page.locator("#teach table.rules")).to_contain_text("管理后台")
        expect(page.locator("#client")).to_contain_text(SHUANGWEI_TITLE)

        page.fill("#teach input[name=pin_q]", "一页纸社交媒体策略")
        page.locator("#teach button[type=submit]", has_text="查找").click()
        candidate = page.locator("#pin-candidates li").first
        title = candidate.locator("a").first.inner_text()
        candidate.get_by_role("button", name="置顶").click()
        expect(page.locator(".flash.ok")).to_contain_text("已置顶")
        expect(page.locator("#client .hits li").first).to_contain_text(title)
        expect(page.locator("#teach table.rules tbody tr")).to_have_count(2)
        page.locator("#teach").screenshot(path=str(screenshot_dir() / "admin-teach.png"))

        answer = listed(wechat.text(client, word, "safe").text)
        assert answer[0][2] == title and SHUANGWEI_TITLE in [t for _, _, t in answer]

        page.locator("#teach tr", has_text="也搜索").get_by_role("button", name="删除").click()
        expect(page.locator(".flash.ok")).to_contain_text("规则已删除")
        expect(page.locator("#teach table.rules tbody tr")).to_have_count(1)
        assert listed(wechat.text(client, word, "safe").text)[0][2] == title
    finally:
        context.close()
