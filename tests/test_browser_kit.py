"""The share kit page in a real headless Chromium (Debian's /usr/bin/chromium) at a phone's size:
every form shown, every copy button puts exactly its text on the clipboard. Writes
docs/screenshots/kit-phone.png (with UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import re

import pytest

from tests.bot_fixtures import AES_KEY, APPID, CHROMIUM, TOKEN, free_port, make_bot_settings, new_openid, serve_app
from tests.conftest import screenshot_dir
from tests.test_admin import ADMIN_TOKEN, Admin
from tests.wechat_client import WeChatServer

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

SCREENSHOT = screenshot_dir() / "kit-phone.png"
PHONE = {"width": 390, "height": 844}
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"
)
FORMS = ("朋友圈", "微博", "小红书", "抖音 / 视频号脚本", "私信客户")


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url, sample_settings):
    from bot import create_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_bot_settings(
        tmp_path_factory.mktemp("browser-kit"),
        redis_url,
        sample_settings.index_dir,
        PUBLIC_BASE_URL=base,
        COMPANY_NAME="青藤互动",
        ACCOUNT_NAME="青藤互动营销",
        CONTACT_LINE="电话 0571-8765 4321",
        ADMIN_TOKEN=ADMIN_TOKEN,
    )
    app = create_app(settings)
    with serve_app(app, port):
        yield base, app
    app.extensions["caselink"].close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        user_agent=WECHAT_UA,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    yield page
    context.close()


def kit_link(server, query: str, name: str = "") -> str:
    """Search as an employee in WeChat, send 分享 1 and take the kit page's link from the reply."""
    _, app = server
    user = new_openid("emp")
    app.extensions["caselink"].store.people.set_role(user, "employee", name=name)
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    wx.text(user, query)
    reply = wx.text(user, "分享 1").text
    return re.search(r'<a href="([^"]+/k/[^"]+)">打开分享页</a>', reply).group(1)


def test_the_kit_page_shows_all_five_forms_and_copies_each(server, phone):
    response = phone.goto(kit_link(server, "火锅 小程序", "陈佳"))
    assert response.status == 200
    forms = phone.locator("li.form")
    assert forms.count() == 5
    for n, name in enumerate(FORMS):
        form = forms.nth(n)
        assert form.locator("h2").inner_text().startswith(name)
        expected = form.locator("pre.copy").inner_text()
        assert expected.strip()
        button = form.locator("button")
        button.click()
        expect(button).to_have_text("已复制")
        assert phone.evaluate("navigator.clipboard.readText()") == expected
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    company = phone.locator("#company")  # whose page it is, for the client it is forwarded to
    expect(company).to_be_visible()
    expect(company).to_contain_text("来自公众号「青藤互动营销」")
    expect(company).to_contain_text("联系我们：电话 0571-8765 4321")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000


def test_no_other_script_runs_on_the_kit_page(server, phone):
    errors: list[str] = []
    phone.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    phone.goto(kit_link(server, "私域流量", "林一"))
    # A script injected without the page's nonce is blocked by the Content-Security-Policy.
    phone.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    assert phone.evaluate("window.injected") is None
    assert any("Content Security Policy" in e for e in errors)


def test_a_shared_link_opened_in_two_browsers_counts_two_opens_then_reaches_the_article(server, browser, phone):
    _, app = server
    store = app.extensions["caselink"].store
    phone.goto(kit_link(server, "火锅 小程序", "王小明"))
    moments = phone.locator("#copy-moments").inner_text()
    link = re.search(r"http://127\.0\.0\.1:\d+/s/\S+", moments).group(0)
    doc = "cases/hotpot-booking-mini-program"
    before = store.shares.report(7)["docs"].get(doc, {}).get("opens", 0)
    article = "https://www.qingteng.example/cases/hotpot-booking-mini-program/"
    for _ in range(2):  # two phones, each opening the link twice
        context = browser.new_context(viewport=PHONE, user_agent=WECHAT_UA, is_mobile=True, locale="zh-CN")
        page = context.new_page()
        seen: list[tuple[str, int, str | None]] = []
        requested: list[str] = []
        page.on("response", lambda r, seen=seen: seen.append((r.url, r.status, r.headers.get("location"))))
        page.on("request", lambda r, requested=requested: requested.append(r.url))
        for _ in range(2):
            # The article's host does not resolve here (no network): the browser following the 302
            # to it is the proof, and the failed lookup is what ends the navigation.
            with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
                page.goto(link)
        assert seen.count((link, 302, article)) == 2 and requested.count(article) == 2
        context.close()
    report = store.shares.report(7)
    assert report["docs"][doc]["opens"] - before == 2
    admin = Admin(app)
    assert admin.login().status_code == 302
    page = admin.get("/admin/shares").text
    opened = re.search(r'<section class="card" id="most-opened">(.*?)</section>', page, re.S).group(1)
    assert f'class="opens">{report["docs"][doc]["opens"]}</td>' in opened and "蜀香阁火锅" in opened


def test_the_shares_page_on_a_desktop(server, browser):
    base, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/admin/")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.goto(base + "/admin/shares")
    assert page.locator("svg.chart rect.bar").count() == 14  # 7 days × shares and opens
    assert page.locator("#most-shared tbody tr").count() >= 1
    shot = screenshot_dir() / "admin-shares.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    context.close()
