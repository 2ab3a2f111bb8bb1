"""The front desk's dashboard pages (/admin/replies, /admin/leads) in a real headless Chromium (Debian's
/usr/bin/chromium), at 1280 and 390 px, served over HTTP. Writes docs/screenshots/admin-replies*.png and
admin-leads*.png with UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import re

import pytest
import redis

from tests.bot_fixtures import AES_KEY, APPID, CHROMIUM, TOKEN, make_bot_settings, new_openid, serve_app
from tests.conftest import screenshot_dir, suite_db
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Page, expect

ADMIN_TOKEN = "caselink-browser-desk"
SCREENSHOTS = screenshot_dir()
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url, sample_settings):
    """The app over real HTTP on its own Redis database, with the WeChat API played locally."""
    from bot import create_app

    url = suite_db(redis_url, 10)
    redis.Redis.from_url(url).flushdb()
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "T", "expires_in": 7200},
            ("POST", "/cgi-bin/message/custom/send"): {"errcode": 48001, "errmsg": "api unauthorized"},
        }
    ) as api:
        tmp = tmp_path_factory.mktemp("browser-desk")
        settings = make_bot_settings(
            tmp, url, sample_settings.index_dir, ADMIN_TOKEN=ADMIN_TOKEN, WECHAT_API_BASE=api.url + "/cgi-bin/"
        )
        app = create_app(settings)
        with serve_app(app) as base:
            yield base, app
        app.extensions["caselink"].close()


def log_in(page: Page, base: str) -> None:
    page.goto(base + "/admin/login")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    expect(page).to_have_url(base + "/admin/")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    yield context.new_page()
    context.close()


def test_add_preview_reorder_and_delete_a_fixed_answer(desktop, server):
    base, app = server
    page = desktop
    log_in(page, base)
    page.click("nav >> text=固定回复")
    expect(page.locator("h1")).to_contain_text("固定回复")
    expect(page.locator("#rules tbody tr")).to_have_count(15)
    shot(page, "admin-replies.png")

    page.click("#new-rule")
    page.fill("input[name=name]", "档期")
    page.fill("textarea[name=keywords]", "双十一档期，618档期")
    page.fill("textarea[name=text]", "")
    page.click("#save-rule")
    expect(page.locator("#errors")).to_contain_text("回复的文字不能为空")
    expect(page.locator("textarea[name=keywords]")).to_have_value("双十一档期，618档期")  # nothing lost
    page.fill("textarea[name=text]", "大促档期请提前 8 周预约，回复「合作」留下需求。")
    page.click("#save-rule")
    expect(page.locator(".flash.ok")).to_contain_text("已保存「档期」")
    row = page.locator("#rules tbody tr", has_text="档期")
    expect(row).to_contain_text("双十一档期")

    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    assert wx.text(new_openid(), "618 档期").text == "大促档期请提前 8 周预约，回复「合作」留下需求。"

    page.fill("input[name=try]", "双十一档期！")
    page.click("#try button[type=submit]")
    expect(page.locator("#preview")).to_contain_text("「档期」（精确）回答，不搜索")
    expect(page.locator("#preview .bubble")).to_contain_text("大促档期请提前 8 周预约")

    before = page.locator("#rules tbody tr").all_inner_texts().index(row.inner_text())
    row.get_by_role("button", name="上移「档期」").click()
    rows = page.locator("#rules tbody tr").all_inner_texts()
    assert [i for i, text in enumerate(rows) if "双十一档期" in text] == [before - 1]

    page.locator("#rules tbody tr", has_text="档期").get_by_role("button", name="删除").click()
    expect(page.locator(".flash.ok")).to_contain_text("已删除「档期」")
    expect(page.locator("#rules tbody tr", has_text="双十一档期")).to_have_count(0)
    assert wx.text(new_openid(), "618 档期").text.startswith(("找到", "没有"))


def test_a_form_without_its_csrf_token_is_refused(desktop, server):
    base, app = server
    page = desktop
    log_in(page, base)
    page.goto(base + "/admin/replies/new")
    page.fill("textarea[name=keywords]", "伪造")
    page.fill("textarea[name=text]", "不该保存")
    page.evaluate("document.querySelector('#rule-form input[name=csrf_token]').remove()")
    page.click("#save-rule")
    expect(page.locator("h1")).to_contain_text("请求无效")
    store = app.extensions["caselink"].store
    assert not any("伪造" in r["keywords"] for r in store.answers.get()["rules"])


def test_a_lead_from_the_chat_on_the_leads_page(desktop, server):
    base, app = server
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    user = new_openid("client")
    for line in ["我想咨询合作", "张三", "山野茶事", "13812345678", "想做小红书种草，预算 20 万左右"]:
        reply = wx.text(user, line).text
    number = re.search(r"编号 (\d+)", reply).group(1)
    page = desktop
    log_in(page, base)
    expect(page.locator("#lead-badge")).to_have_text("1")  # WeChat refused the push (48001): the badge tells
    page.click("nav >> text=线索")
    row = page.locator(f"#lead-{number}")
    expect(row).to_contain_text("张三")
    expect(row).to_contain_text("13812345678")
    expect(row).to_contain_text("没能推送给管理员")
    shot(page, "admin-leads.png")
    row.locator("select[name=status]").select_option("contacted")
    row.locator("input[name=handler]").fill("李四")
    row.locator("input[name=notes]").fill("周三下午回电")
    row.get_by_role("button", name="保存").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"线索 #{number} 已保存：已联系")
    expect(page.locator("#lead-badge")).to_have_count(0)
    expect(page.locator(f"#lead-{number} input[name=handler]")).to_have_value("李四")
    csv = page.request.get(base + "/admin/leads.csv")
    assert csv.ok and "张三" in csv.text() and "周三下午回电" in csv.text()


@pytest.mark.parametrize(("path", "name"), [("/admin/replies", "admin-replies-phone.png"), ("/admin/leads", None)])
def test_the_front_desk_pages_fit_a_phone(phone, server, path, name):
    base, _ = server
    log_in(phone, base)
    phone.goto(base + path)
    widths = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{path} scrolls sideways on a phone: {widths}"
    if name:
        phone.screenshot(
            path=str(SCREENSHOTS / name), clip={"x": 0, "y": 0, "width": 390, "height": 1600}, full_page=True
        )
