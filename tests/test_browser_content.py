"""``/admin/content`` in a real headless Chromium (Debian's), at 1280 and 390 px: an admin hides one
document and marks another internal; a client's search in WeChat and the results page stop showing
them at once, an employee still finds the internal one, and a rebuild keeps both changes."""

from __future__ import annotations

import re

import pytest

from bot.links import ResultLink, make_token
from indexer import rebuild
from indexer.lock import build_lock
from tests.bot_fixtures import AES_KEY, APPID, CHROMIUM, TOKEN, make_bot_settings, new_openid, serve_app
from tests.conftest import screenshot_dir
from tests.wechat_client import WeChatServer

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

ADMIN_TOKEN = "caselink-browser-content"
EMPLOYEE = "o-admin-from-settings"
HIDE, INTERNAL = "一页纸社交媒体策略：先回答五个问题", "小红书种草不是铺量：笔记、关键词和评论区"
LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(tmp_path, private_redis, fresh_index):
    """The bot on its own Redis (overrides must not reach other tests) over real HTTP."""
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, fresh_index, ADMIN_TOKEN=ADMIN_TOKEN))
    with serve_app(app) as url:
        yield app, url
    app.extensions["caselink"].close()


def open_page(browser: Browser, viewport: dict) -> Page:
    return browser.new_context(viewport=viewport, locale="zh-CN").new_page()


def log_in(page: Page, url: str) -> None:
    page.goto(url + "/admin/content")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/content"))


def titles(wx: WeChatServer, user: str, words: str) -> list[str]:
    return [t.removeprefix("【内部】") for _, t in LINK.findall(wx.text(user, words).text)]


def results_page(app, query: str) -> str:
    token = make_token(app.extensions["caselink"].settings.secret_key, ResultLink(query, "client"))
    return app.test_client().get(f"/r/{token}").get_data(as_text=True)


def row(page: Page, title: str):
    return page.locator("#documents tbody tr", has=page.get_by_role("link", name=title, exact=True))


def test_hide_and_internal_in_the_browser_apply_at_once_and_survive_a_rebuild(browser, site):
    app, url = site
    svc = app.extensions["caselink"]
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    client = new_openid("client")
    assert HIDE in titles(wx, client, "社交媒体策略") and INTERNAL in titles(wx, client, "小红书种草")

    page = open_page(browser, {"width": 1280, "height": 900})
    log_in(page, url)
    page.fill("input[name=q]", "社交媒体")
    page.click("form[role=search] button[type=submit]")
    expect(row(page, HIDE)).to_have_count(1)
    with build_lock(svc.settings.index_dir, "test"):  # the index cannot change: only the overlay can act
        row(page, HIDE).get_by_role("button", name="隐藏").click()
        expect(page.locator(".flash")).to_contain_text("已隐藏")
        expect(row(page, HIDE).locator(".visibility")).to_have_text("已隐藏")
        page.goto(url + "/admin/content?q=小红书种草")
        row(page, INTERNAL).get_by_role("button", name="设为内部").click()
        expect(page.locator(".flash")).to_contain_text("已设为内部")
        expect(row(page, INTERNAL).locator(".visibility")).to_have_text("内部")
        # the next request of a client, in chat and on the results page, no longer shows them
        assert HIDE not in titles(wx, client, "社交媒体策略")
        assert INTERNAL not in titles(wx, client, "小红书种草")
        assert INTERNAL not in results_page(app, "小红书") and "小红书" in results_page(app, "小红书")
        assert HIDE not in results_page(app, "社交媒体策略")
        # an employee still finds the internal one (not the hidden one)
        assert INTERNAL in titles(wx, EMPLOYEE, "小红书种草")
        assert HIDE not in titles(wx, EMPLOYEE, "社交媒体策略")

    report = rebuild(svc.settings, shared=svc.store.content)  # the build lock is free again
    assert report.overrides["hidden"] == 1 and report.overrides["visibility"] == 1
    assert HIDE not in titles(wx, client, "社交媒体策略") and HIDE not in titles(wx, EMPLOYEE, "社交媒体策略")
    assert INTERNAL not in titles(wx, client, "小红书种草") and INTERNAL in titles(wx, EMPLOYEE, "小红书种草")
    page.goto(url + "/admin/content?visibility=hidden")
    expect(page.locator("#documents tbody tr")).to_have_count(1)
    expect(row(page, HIDE)).to_have_count(1)
    page.goto(url + "/admin/")
    expect(page.locator("#controls")).to_contain_text("隐藏 1 篇，改可见范围 1 篇")
    page.goto(url + "/admin/content?visibility=internal")
    expect(row(page, INTERNAL).locator(".settings")).to_contain_text("内部")
    page.screenshot(path=str(screenshot_dir() / "admin-content.png"), full_page=False)
    page.context.close()

    phone = open_page(browser, PHONE)
    log_in(phone, url)
    expect(phone.locator("#documents")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(screenshot_dir() / "admin-content-phone.png"), full_page=False)
    phone.context.close()
