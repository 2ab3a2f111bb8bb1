"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, never a downloaded one),
served over HTTP on 127.0.0.1. Writes the README's screenshots to docs/screenshots/."""

from __future__ import annotations

import re
import shutil

import pytest
import redis

from tests.bot_fixtures import CHROMIUM, make_bot_settings, serve_app
from tests.conftest import BROKEN_CONTENT, SAMPLE_CONTENT, screenshot_dir

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

ADMIN_TOKEN = "caselink-browser-admin"
SCREENSHOTS = screenshot_dir()
# Broken files added to the sample content, so that the build report has something to show.
BROKEN_FILES = [
    "_posts/2020-3-1-gbk-post.md",
    "_posts/2020-3-2-broken-yaml.md",
    "_posts/2020-3-3-empty-body.md",
    "_posts/2020-3-8-binary.md",
    "cases/broken.yaml",
    "pages/empty.html",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url):
    """The app over real HTTP, on the sample content plus a few broken files, with a built index."""

    from bot import create_app
    from indexer.build import rebuild

    tmp = tmp_path_factory.mktemp("browser")
    content = tmp / "content"
    shutil.copytree(SAMPLE_CONTENT, content)
    for name in BROKEN_FILES:
        shutil.copy(BROKEN_CONTENT / name, content / name)
    settings = make_bot_settings(tmp, redis_url, tmp / "index", ADMIN_TOKEN=ADMIN_TOKEN, CONTENT_DIR=str(content))
    rebuild(settings)
    redis.Redis.from_url(redis_url).delete("caselink:loginfail:127.0.0.1")  # the browser's address
    app = create_app(settings)
    with serve_app(app) as url:
        yield url
    app.extensions["caselink"].close()


@pytest.fixture
def page(browser: Browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def log_in(page: Page, server: str, token: str = ADMIN_TOKEN) -> None:
    page.goto(server + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.fill("#token", token)
    page.click("button[type=submit]")


def screenshot(page: Page, name: str, height: int | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height} if height else None
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True, clip=clip)


def test_a_wrong_token_stays_on_the_login_page(page, server):
    log_in(page, server, "不是这个口令")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    expect(page.locator("#login-error")).to_have_text("口令不对，请重新输入。")
    expect(page.locator("#status")).to_have_count(0)
    page.goto(server + "/admin/invites")  # still not logged in
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/invites"))


def test_log_in_and_see_the_build_report(page, server):
    log_in(page, server)
    expect(page).to_have_url(server + "/admin/")
    expect(page.locator("h1")).to_have_text("概览")
    expect(page.locator("#status .facts div", has_text="Redis")).to_contain_text("正常")
    report = page.locator("#report")
    expect(report.locator(".facts div", has_text="跳过的文件")).to_contain_text("5 个")
    skipped = report.locator("tr.skipped")
    expect(skipped).to_have_count(5)
    expect(skipped.first).to_contain_text("跳过")
    expect(report.locator("tr", has_text="2020-3-2-broken-yaml.md")).to_contain_text("YAML 无法解析")
    expect(report.locator("tr", has_text="2020-3-1-gbk-post.md")).to_contain_text("已索引")
    screenshot(page, "admin-overview.png")


def test_reindex_shows_progress_until_done(page, server):
    log_in(page, server)
    before = page.locator("#status .subtitle .mono").inner_text()
    page.click("#reindex")
    expect(page).to_have_url(server + "/admin/reindex")
    # the page refreshes itself while the build runs, and stops once it is done
    expect(page.locator(".state.done")).to_be_visible(timeout=30_000)
    expect(page.locator(".state.done")).to_contain_text("重建完成")
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
    expect(page.locator("#report")).to_contain_text("最近一次构建报告")
    page.goto(server + "/admin/reindex")  # the same page, without the one-time "started" message
    screenshot(page, "admin-reindex.png")
    page.goto(server + "/admin/")
    assert page.locator("#status .subtitle .mono").inner_text() != before


def test_create_an_invite_code_and_see_it_listed(page, server):
    log_in(page, server)
    page.click("nav >> text=邀请码")
    page.check("input[value=admin]")
    page.click("#create-invite")
    code = page.locator("#new-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    row = page.locator("#invites tr", has_text=code)
    expect(row).to_contain_text("管理员")
    expect(row).to_contain_text("管理后台")
    row.locator("button", has_text="撤销").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"邀请码 {code} 已撤销")
    expect(page.locator("#invites tr", has_text=code)).to_have_count(0)


@pytest.mark.parametrize("path", ["/admin/", "/admin/search?q=私域流量", "/admin/queries", "/admin/invites"])
def test_pages_fit_a_phone_without_horizontal_scrolling(browser, server, path):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, server)
        page.goto(server + path)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways on a phone: {widths}"
        if path == "/admin/":
            # the problem table turns into one card per file, labelled
            cell = page.locator("#report td[data-label=文件]").first
            assert page.evaluate("el => getComputedStyle(el).display", cell.element_handle()) == "block"
            screenshot(page, "admin-phone.png", height=1400)  # the status and the first problem cards
    finally:
        context.close()
