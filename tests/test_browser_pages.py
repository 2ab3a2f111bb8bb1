"""The results page in a real headless Chromium (Debian's /usr/bin/chromium, never a downloaded one)
at a phone's size, served over HTTP on 127.0.0.1. Writes docs/screenshots/results-phone.png."""

from __future__ import annotations

import re
import socket

import pytest
import redis

from bot import texts
from bot.links import ResultLink, make_token
from tests.bot_fixtures import AES_KEY, APPID, CHROMIUM, TOKEN, make_bot_settings, new_openid, serve_app
from tests.conftest import screenshot_dir
from tests.teaching_helpers import PICKS
from tests.test_pages import expired_token
from tests.wechat_client import WeChatServer

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Page

SECRET_KEY = "caselink-test-secret-key"
SCREENSHOT = screenshot_dir() / "results-phone.png"
PHONE = {"width": 390, "height": 844}
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, redis_url, sample_settings):
    """The app over real HTTP; its replies link to itself. No AppSecret: web authorisation is off."""

    from bot import create_app

    # Picks lift what people chose for a query: those other modules made on this worker's Redis would
    # reorder 私域流量 here, so the page shows the index's own ranking.
    raw = redis.Redis.from_url(redis_url)
    for key in raw.scan_iter(PICKS + "*"):
        raw.delete(key)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = tmp_path_factory.mktemp("browser-pages")
    settings = make_bot_settings(
        tmp,
        redis_url,
        sample_settings.index_dir,
        PUBLIC_BASE_URL=base,
        WECHAT_SECRET="",
        SECRET_KEY=SECRET_KEY,
        ACCOUNT_NAME="青藤互动",
    )
    app = create_app(settings)
    with serve_app(app, port):
        yield base, app
    app.extensions["caselink"].close()


@pytest.fixture
def phone(browser) -> Page:
    """A phone-sized page that looks like WeChat's in-app browser."""
    context = browser.new_context(
        viewport=PHONE, user_agent=WECHAT_UA, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def internal(searcher) -> tuple[set[str], set[str]]:
    hits = [h for h in searcher.latest(audience="employee", limit=1000) if h.visibility == "internal"]
    assert any("internal" in h.id for h in hits)
    return {h.url for h in hits}, {h.title for h in hits}


def link_from_reply(server, query: str) -> tuple[str, int]:
    """Search as a WeChat user and take the "查看全部 N 条" link from the reply."""
    base, app = server
    reply = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID).text(new_openid("phone"), query, "safe").text
    match = re.search(r'<a href="([^"]+)">查看全部 (\d+) 条</a>$', reply)
    assert match, reply
    assert match.group(1).startswith(base + "/r/")
    return match.group(1), int(match.group(2))


def test_results_page_on_a_phone(server, phone):
    url, total = link_from_reply(server, "私域流量")
    response = phone.goto(url)
    assert response.status == 200
    assert phone.title() == f"「私域流量」的搜索结果（{total} 条）"
    items = phone.locator("li")
    assert items.count() == total
    first = items.first
    assert first.locator("h2 a").get_attribute("href").startswith("https://")
    assert first.locator(".chip.kind").inner_text() in ("文章", "案例")
    assert first.locator("time").inner_text()
    assert phone.locator(".snippet mark").count() >= total // 2
    # The typed words are highlighted in the first hit (beside any synonym the window also shows).
    assert any(w in m for m in first.locator(".snippet mark").all_inner_texts() for w in ("私域", "流量"))
    # Fits the phone: nothing sticks out sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    boxes = phone.evaluate("[...document.querySelectorAll('li')].map(e => e.getBoundingClientRect().right)")
    assert max(boxes) <= PHONE["width"]
    company = phone.locator("#company")
    assert "来自公众号「青藤互动」" in company.inner_text() and "联系我们：电话 0571-8765 4321" in company.inner_text()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000


def test_expired_and_tampered_links_are_refused_kindly(server, phone):
    base, _ = server
    response = phone.goto(f"{base}/r/{expired_token()}")
    assert response.status == 410
    assert phone.locator("h1").inner_text() == "链接已过期"
    assert "重新发送关键词" in phone.locator("body").inner_text()
    assert "来自公众号「青藤互动」" in phone.locator("#company").inner_text()  # whose page, even expired
    phone.screenshot(path=str(SCREENSHOT.parent / "results-expired-phone.png"))
    good = make_token(SECRET_KEY, ResultLink("私域流量", "client"))
    response = phone.goto(f"{base}/r/{good[:-4]}AAAA")
    assert response.status == 403
    assert phone.locator("h1").inner_text() == "链接无效"
    assert "Traceback" not in phone.content()


def test_a_client_link_never_shows_internal_cases(server, phone, internal):
    urls, titles = internal
    url, total = link_from_reply(server, "复盘")  # a client's search
    assert phone.goto(url).status == 200
    assert phone.locator("li").count() == total > 0
    hrefs = phone.locator("li h2 a").evaluate_all("links => links.map(a => a.href)")
    assert not set(hrefs) & urls
    assert not any("/internal/" in h for h in hrefs)
    shown = set(phone.locator("li h2").all_inner_texts())
    assert not shown & titles
    assert phone.locator(".chip.internal").count() == 0


def test_an_employee_link_opened_without_verification_shows_public_hits(server, phone, internal):
    base, _ = server
    token = make_token(SECRET_KEY, ResultLink("复盘", "employee"))
    assert phone.goto(f"{base}/r/{token}").status == 200  # no AppSecret here: no trip through WeChat
    hrefs = phone.locator("li h2 a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and not set(hrefs) & internal[0]
    assert texts.PAGE_INTERNAL_NOTE in phone.locator(".note").all_inner_texts()
