"""The admin dashboard (/admin) through the Flask test client, on a real index and a real Redis."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
import uuid

import pytest
import redis

from bot import texts
from bot.store.admin_sessions import SESSION_IDLE, SESSION_MAX
from bot.web.admin.auth import MAX_LOGIN_FAILURES
from indexer import generations
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid, prefixed_store
from tests.conftest import BROKEN_CONTENT, make_settings
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer

ADMIN_TOKEN = "caselink-管理口令-test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
INTERNAL_TITLE = "【内部】驰远汽车直播项目报价与投放数据明细"
INTERNAL_URL = "https://www.qingteng.example/internal/cases/auto-live-budget/"
INTERNAL_QUERY = "驰远汽车直播报价"


@pytest.fixture
def bot_env() -> dict:
    return {"ADMIN_TOKEN": ADMIN_TOKEN}


class Admin:
    """One dashboard user (its own cookie jar and client address) over the Flask test client."""

    def __init__(self, app, ip: str | None = None):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = ip or "10." + ".".join(str(secrets.randbelow(250)) for _ in "abc")

    def csrf(self, path: str = "/admin/invites") -> str:
        return CSRF.search(self.client.get(path).text).group(1)

    def login(self, token: str = ADMIN_TOKEN):
        return self.client.post("/admin/login", data={"token": token, "csrf_token": self.csrf("/admin/login")})

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, data: dict | None = None, *, token: bool = True, follow: bool = True):
        form = {"csrf_token": self.csrf(), **(data or {})} if token else dict(data or {})
        return self.client.post(path, data=form, follow_redirects=follow)


@pytest.fixture
def admin(bot_app) -> Admin:
    user = Admin(bot_app)
    assert user.login().status_code == 302
    return user


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, element_id: str) -> str:
    """The inner HTML of the <section id=...> (sections are not nested)."""
    match = re.search(rf'<section[^>]*id="{element_id}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section {element_id}"
    return match.group(1)


# --- login ---------------------------------------------------------------------------------------


def test_login_with_the_token_opens_a_session_cookie(bot_app):
    user = Admin(bot_app)
    response = user.login()
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = user.get("/admin/")
    assert page.status_code == 200
    assert "索引状态" in page.text and "最近一次构建报告" in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"
    # logging out ends it
    assert user.post("/admin/logout").request.path == "/admin/login"
    assert user.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("错误的口令", 401, "口令不对"),
        ("caselink-管理口令", 401, "口令不对"),
        ("", 400, "请输入管理口令"),
        ("   ", 400, "请输入"),
    ],
)
def test_a_wrong_or_missing_token_shows_the_login_page_and_no_data(bot_app, sample_settings, typed, status, message):
    user = Admin(bot_app)
    response = user.login(typed)
    assert response.status_code == status
    assert message in response.text and 'type="password"' in response.text
    generation = generations.current_name(sample_settings.index_dir)
    assert generation not in response.text and "索引状态" not in response.text
    assert "admin" not in user_session(user)
    assert user.get("/admin/").status_code == 302


def user_session(user: Admin) -> dict:
    with user.client.session_transaction() as sess:
        return dict(sess)


def test_the_token_field_is_required_even_without_a_form(bot_app):
    user = Admin(bot_app)
    response = user.client.post("/admin/login", data={"csrf_token": user.csrf("/admin/login")})
    assert response.status_code == 400 and "请输入管理口令" in response.text


def test_failed_logins_are_limited_per_client_address(bot_app):
    user = Admin(bot_app)
    for _ in range(MAX_LOGIN_FAILURES):
        assert user.login("猜一猜").status_code == 401
    blocked = user.login()  # even the right token, from this address, for 10 minutes
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.text and "Traceback" not in blocked.text
    assert "admin" not in user_session(user)
    assert Admin(bot_app).login().status_code == 302  # another address is not affected


def test_secure_cookie_behind_https(tmp_path, redis_url, sample_settings):
    from bot import create_app

    settings = make_bot_settings(
        tmp_path,
        redis_url,
        sample_settings.index_dir,
        ADMIN_TOKEN=ADMIN_TOKEN,
        PUBLIC_BASE_URL="https://bot.example.cn",
    )
    app = create_app(settings)
    try:
        response = Admin(app).login()
        assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]
    finally:
        app.extensions["caselink"].close()


def session_key(user: Admin) -> str:
    """The Redis key of a dashboard user's server-side session."""
    sid = user_session(user)["sid"]
    return "caselink:adminsession:" + hashlib.sha256(sid.encode("ascii")).hexdigest()[:40]


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(bot_app, redis_url):
    user = Admin(bot_app)
    user.login()
    stolen_cookie = user.client.get_cookie("caselink_admin").value
    stolen_form = user.csrf()  # a form token seen in the page, with the cookie it belongs to
    assert user.post("/admin/logout").request.path == "/admin/login"

    thief = Admin(bot_app)
    thief.client.set_cookie("caselink_admin", stolen_cookie)
    before = redis.Redis.from_url(redis_url).zcard("caselink:invites")
    minted = thief.post("/admin/invites", {"role": "admin", "csrf_token": stolen_form}, token=False, follow=False)
    assert minted.status_code == 302 and minted.headers["Location"].startswith("/admin/login")
    assert redis.Redis.from_url(redis_url).zcard("caselink:invites") == before
    assert thief.get("/admin/invites").status_code == 302


def test_a_session_ends_after_an_idle_hour_after_12_hours_and_with_a_new_token(
    bot_app, tmp_path, redis_url, sample_settings
):
    from bot import create_app

    raw = redis.Redis.from_url(redis_url)
    user = Admin(bot_app)
    user.login()
    key = session_key(user)
    assert 0 < raw.ttl(key) <= SESSION_IDLE
    raw.hset(key, "last", int(time.time()) - SESSION_IDLE - 1)  # nobody used it for an hour
    assert user.get("/admin/").status_code == 302
    assert not raw.exists(key)

    user.login()
    key = session_key(user)
    raw.hset(key, mapping={"created": int(time.time()) - SESSION_MAX - 1})  # in use all day long
    assert user.get("/admin/").status_code == 302

    user.login()
    assert user.get("/admin/").status_code == 200
    assert raw.ttl(session_key(user)) <= SESSION_IDLE  # the idle hour starts again with every page
    rotated = create_app(
        make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, ADMIN_TOKEN="another-admin-token")
    )
    try:
        other = rotated.test_client()
        other.set_cookie("caselink_admin", user.client.get_cookie("caselink_admin").value)
        assert other.get("/admin/").status_code == 302  # same SECRET_KEY, but ADMIN_TOKEN changed
    finally:
        rotated.extensions["caselink"].close()
    assert user.get("/admin/").status_code == 302  # and the session is gone for good


def test_the_session_cookie_holds_only_a_random_id(bot_app):
    user = Admin(bot_app)
    user.login()
    held = user_session(user)
    assert set(held) <= {"sid", "csrf_token", "_permanent", "_flashes"}
    assert ADMIN_TOKEN not in str(held)


ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/reindex"),
    ("GET", "/admin/search?q=" + INTERNAL_QUERY),
    ("GET", "/admin/queries"),
    ("GET", "/admin/invites"),
    ("GET", "/admin/employees"),
    ("GET", "/admin/rules"),
    ("POST", "/admin/reindex"),
    ("POST", "/admin/invites"),
    ("POST", "/admin/invites/ABCDEF/revoke"),
    ("POST", "/admin/employees/revoke"),
    ("POST", "/admin/rules/rewrite"),
    ("POST", "/admin/rules/pin"),
    ("POST", "/admin/rules/remove"),
    ("POST", "/admin/logout"),
    ("GET", "/admin/replies"),
    ("GET", "/admin/replies/new"),
    ("GET", "/admin/replies/ABCDEF"),
    ("POST", "/admin/replies"),
    ("POST", "/admin/replies/ABCDEF"),
    ("POST", "/admin/replies/ABCDEF/delete"),
    ("POST", "/admin/replies/ABCDEF/move"),
    ("POST", "/admin/replies/contact"),
    ("GET", "/admin/leads"),
    ("GET", "/admin/leads.csv"),
    ("POST", "/admin/leads/ABCDEF"),
    ("GET", "/admin/content"),
    ("POST", "/admin/content/set"),
    ("GET", "/admin/titles"),
    ("POST", "/admin/titles"),
    ("GET", "/admin/titles/ABCDEF"),
    ("POST", "/admin/titles/ABCDEF"),
    ("POST", "/admin/titles/ABCDEF/remove"),
    ("POST", "/admin/titles/ABCDEF/restore"),
    ("GET", "/admin/shares"),
    ("GET", "/admin/shares.csv"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_page_requires_login(bot_app, sample_settings, method, path):
    user = Admin(bot_app)
    token = user.csrf("/admin/login")  # even a valid CSRF token opens nothing
    data = {"csrf_token": token, "role": "employee", "openid": "o-someone"}
    response = user.client.open(path, method=method, data=data if method == "POST" else None)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")
    body = response.text
    for secret in (INTERNAL_TITLE, generations.current_name(sample_settings.index_dir), "邀请码", "openid"):
        assert secret not in body
    # and the login page it leads to shows none of it either
    login = user.client.get(response.headers["Location"])
    assert login.status_code == 200 and INTERNAL_TITLE not in login.text and "索引状态" not in login.text


def test_the_route_table_above_covers_every_dashboard_route(bot_app):
    rules = {
        (method, re.sub(r"<[^>]+>", "ABCDEF", rule.rule))
        for rule in bot_app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and rule.endpoint != "admin.login"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {(m, p.split("?")[0]) for m, p in ROUTES}


def test_a_forged_cookie_opens_nothing(bot_app):
    client = bot_app.test_client()
    client.set_cookie("caselink_admin", "eyJhZG1pbiI6IngiLCJzaW5jZSI6OTk5OTk5OTk5OX0.forged.signature")
    assert client.get("/admin/").status_code == 302


# --- CSRF and the webhook ---------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused(admin):
    before = {i["code"] for i in invites_of(admin)}
    refused = admin.post("/admin/invites", {"role": "employee"}, token=False)
    assert refused.status_code == 400
    assert "表单已过期" in refused.text and "Traceback" not in refused.text
    wrong = admin.post("/admin/invites", {"role": "employee", "csrf_token": "forged"}, token=False)
    assert wrong.status_code == 400
    assert {i["code"] for i in invites_of(admin)} == before

    accepted = admin.post("/admin/invites", {"role": "employee"})
    assert accepted.status_code == 200 and "新的邀请码" in accepted.text


def test_a_csrf_token_of_another_session_is_refused(bot_app, admin):
    other = Admin(bot_app)
    other.login()
    stolen = other.csrf()
    response = admin.post("/admin/invites", {"role": "employee", "csrf_token": stolen}, token=False)
    assert response.status_code == 400


def test_the_webhook_takes_posts_without_csrf_even_next_to_a_session(admin):
    # the same client (with an admin session cookie) plays WeChat: no CSRF token, as WeChat sends
    wx = WeChatServer(admin.client, TOKEN, AES_KEY, APPID)
    reply = wx.text(new_openid(), "私域流量", "safe")
    assert reply.text.startswith("找到")
    assert wx.text(new_openid(), "帮助").text == texts.HELP


def test_unknown_pages_and_methods_get_friendly_chinese_pages(admin):
    missing = admin.get("/admin/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    wrong_method = admin.get("/admin/invites/ABCDEF/revoke")
    assert wrong_method.status_code == 405 and "不支持的操作" in wrong_method.text
    bad_code = admin.post("/admin/invites/not-a-code/revoke")
    assert bad_code.status_code == 404
    bad_role = admin.post("/admin/invites", {"role": "root"})
    assert bad_role.status_code == 400
    for response in (missing, wrong_method, bad_code, bad_role):
        assert "Traceback" not in response.text and response.mimetype == "text/html"


# --- overview and build report ----------------------------------------------------------------


def test_overview_shows_index_status_and_redis(admin, sample_settings):
    page = admin.get("/admin/").text
    status = text_of(section(page, "status"))
    assert generations.current_name(sample_settings.index_dir) in status
    assert re.search(r"文档 \d+ 篇", status)
    assert "文章" in status and "案例" in status and "公开" in status and "内部" in status
    assert "Redis 正常" in status
    assert "没有问题" in section(page, "report")  # the sample content is clean


@pytest.fixture
def broken_app(tmp_path, redis_url):
    from bot import create_app
    from indexer.build import rebuild

    rebuild(make_settings(tmp_path / "own", CONTENT_DIR=str(BROKEN_CONTENT)))
    settings = make_bot_settings(
        tmp_path, redis_url, tmp_path / "own" / "index", ADMIN_TOKEN=ADMIN_TOKEN, CONTENT_DIR=str(BROKEN_CONTENT)
    )
    app = create_app(settings)
    yield app
    app.extensions["caselink"].close()


SKIPPED = [
    ("_posts/2020-3-2-broken-yaml.md", "YAML 无法解析"),
    ("_posts/2020-3-3-empty-body.md", "没有正文"),
    ("_posts/2020-3-5-duplicate-too.md", "id 重复"),
    ("_posts/2020-3-8-binary.md", "无法读取"),
    ("cases/broken.yaml", "YAML 无法解析"),
    ("cases/catalog.csv", "格式不对"),
    ("cases/catalog.yaml", "缺少字段"),
    ("pages/empty.html", "没有正文"),
]


def test_the_report_lists_skipped_files_and_why(broken_app):
    user = Admin(broken_app)
    user.login()
    report = section(user.get("/admin/").text, "report")
    rows = {
        (path, category, result)
        for path, category, result in re.findall(
            r'data-label="文件"[^>]*>([^<]+)</td>\s*<td data-label="类别">([^<]+)</td>\s*'
            r'<td data-label="原因">[^<]*</td>\s*<td data-label="结果"><span[^>]*>([^<]+)</span>',
            report,
        )
    }
    for path, category in SKIPPED:
        assert (path, category, "跳过") in rows
    assert ("_posts/2020-3-1-gbk-post.md", "编码不是 UTF-8", "已索引") in rows
    assert "跳过的文件 8 个" in text_of(report)
    assert "第 3 行有 13 列" in report  # the reason, in the source's own words


# --- reindex ------------------------------------------------------------------------------------

SLOW_PAGE = (
    "<html><head><title>慢慢打开的网页</title><meta name='description' content='测试用的慢网页'></head>"
    "<body><p>这个网页要等测试放行才返回，重建索引在这段时间里一直在进行。</p></body></html>"
)


@pytest.fixture
def gate():
    """A web page in the URL list that answers only when the test opens the gate."""
    opened = threading.Event()

    def page(call):
        opened.wait(20)
        return SLOW_PAGE

    with StubServer({("GET", "/slow"): page}) as stub:
        stub.opened = opened
        yield stub
        opened.set()


@pytest.fixture
def build_settings(tmp_path, redis_url, fresh_index, gate):
    urls = tmp_path / "urls.txt"
    urls.write_text(gate.url + "/slow\n", encoding="utf-8")
    return make_bot_settings(
        tmp_path, redis_url, fresh_index, ADMIN_TOKEN=ADMIN_TOKEN, URLS_FILE=str(urls)
    ).with_overrides(
        fetch_loopback_ports=frozenset({gate.port})  # the URL list's page is a local stand-in
    )


@pytest.fixture
def workers(build_settings):
    """Two apps on one Redis and one index: two gunicorn workers, as far as the dashboard can tell."""
    from bot import create_app

    apps = [create_app(build_settings) for _ in range(2)]
    yield apps
    for app in apps:
        app.extensions["caselink"].close()


def wait_for_build(user: Admin, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = user.get("/admin/reindex").text
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the rebuild did not finish")


def test_reindex_clicked_twice_runs_one_build(workers, build_settings, gate):
    user = Admin(workers[0])
    user.login()
    before = generations.current_name(build_settings.index_dir)

    first = user.post("/admin/reindex")
    assert first.request.path == "/admin/reindex" and "已开始重建索引" in first.text
    assert 'http-equiv="refresh"' in first.text and "正在读取内容" in first.text
    second = user.post("/admin/reindex")
    assert "已有重建在进行" in second.text
    assert "正在重建" in text_of(user.get("/admin/").text)

    # an admin's 重建索引 in WeChat, on the other worker, joins the same single build
    wx = WeChatServer(workers[1].test_client(), TOKEN, AES_KEY, APPID)
    from tests.bot_fixtures import ADMIN

    assert wx.text(ADMIN, "重建索引").text == texts.REINDEX_RUNNING
    assert "重建索引：进行中" in wx.text(ADMIN, "状态").text

    gate.opened.set()
    done = wait_for_build(user)
    after = generations.current_name(build_settings.index_dir)
    assert after != before
    progress = text_of(section(done, "progress"))
    assert "重建完成" in progress and after in progress and "由管理后台" in progress
    assert after in section(done, "report")  # the new report follows
    assert len(gate.calls_to("/slow")) == 1  # the content was read once: one build


def test_reindex_clicked_in_two_workers_at_once_runs_one_build(workers, build_settings, gate):
    users = [Admin(app) for app in workers]
    for user in users:
        user.login()
    tokens = [user.csrf() for user in users]
    barrier = threading.Barrier(2)
    pages: list[str] = [""] * 2

    def click(i: int) -> None:
        barrier.wait()
        pages[i] = users[i].post("/admin/reindex", {"csrf_token": tokens[i]}, token=False).text

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted("已开始重建索引" in p for p in pages) == [False, True]
    assert sorted("已有重建在进行" in p for p in pages) == [False, True]

    gate.opened.set()
    for user in users:  # both workers show the same finished build
        assert "重建完成" in section(wait_for_build(user), "progress")
    assert len(gate.calls_to("/slow")) == 1


def test_a_build_held_by_the_cli_is_reported_busy(tmp_path, redis_url, fresh_index):
    from bot import create_app
    from indexer.lock import build_lock

    app = create_app(make_bot_settings(tmp_path, redis_url, fresh_index, ADMIN_TOKEN=ADMIN_TOKEN))
    try:
        user = Admin(app)
        user.login()
        with build_lock(fresh_index, "python -m indexer rebuild"):
            user.post("/admin/reindex")
            page = wait_for_build(user)
        assert "已有重建在进行" in page and "python -m indexer rebuild" in page
    finally:
        app.extensions["caselink"].close()


# --- search preview and hot queries -------------------------------------------------------------


def test_search_preview_shows_internal_cases_only_to_employees(admin):
    page = admin.get("/admin/search?q=" + INTERNAL_QUERY).text
    client, employee = section(page, "client"), section(page, "employee")
    assert INTERNAL_TITLE in employee and INTERNAL_URL in employee
    assert INTERNAL_TITLE not in client and INTERNAL_URL not in client
    assert "内部" in employee and "<mark>" in employee
    assert re.search(r"共 \d+ 条", client)


def test_search_preview_notes_corrections(admin):
    page = text_of(admin.get("/admin/search?q=营消").text)
    assert "已按「营销」搜索" in page


def test_hot_queries_after_bot_searches(admin, wechat):
    unique = f"zqxw{uuid.uuid4().hex[:6]}"
    user = new_openid()
    for _ in range(6):
        assert wechat.text(user, unique).text.startswith("没有找到")
    wechat.text(user, "私域流量")
    page = admin.get("/admin/queries").text
    for days in (7, 30):
        period = section(page, f"days-{days}")
        clients = period.split(f'id="days-{days}-employee"')[0]
        top, zero = clients.split("客户搜了没有结果的")[0], clients.split("客户搜了没有结果的")[1]
        assert "私域流量" in top
        assert re.search(rf">{unique}</a><span class=\"count\">6 次", top)
        assert re.search(rf">{unique}</a><span class=\"count\">6 次", zero.split("没有直接匹配")[0])
        assert f"/admin/search?q={unique}" in period  # a click previews it


# --- invites and employees ------------------------------------------------------------------------


def invites_of(user: Admin) -> list[dict]:
    page = user.get("/admin/invites").text
    rows = re.findall(
        r'data-label="邀请码"[^>]*>(\w+)</td>\s*<td data-label="角色">(\S+)</td>\s*'
        r'<td data-label="给谁">([^<]*)</td>\s*<td data-label="创建者"[^>]*>([^<]+)</td>',
        page,
    )
    return [{"code": c, "role": r, "name": n, "by": b} for c, r, n, b in rows]


def new_code(user: Admin, role: str = "employee") -> str:
    page = user.post("/admin/invites", {"role": role}).text
    return re.search(r'id="new-code">(\w+)<', page).group(1)


def test_invites_are_created_listed_revoked(admin, wechat):
    code = new_code(admin)
    admin_code = new_code(admin, "admin")
    listed = {i["code"]: i for i in invites_of(admin)}
    assert listed[code]["role"] == "员工" and listed[code]["by"] == "管理后台"
    assert listed[admin_code]["role"] == "管理员"

    revoked = admin.post(f"/admin/invites/{code}/revoke")
    assert f"邀请码 {code} 已撤销" in revoked.text
    assert code not in {i["code"] for i in invites_of(admin)}
    assert wechat.text(new_openid(), f"绑定 {code}").text == texts.BIND_BAD
    assert "已被使用" in admin.post(f"/admin/invites/{code}/revoke").text

    # a code used in WeChat leaves the list; an admin's WeChat 邀请 shows up in it
    assert wechat.text(new_openid(), f"绑定 {admin_code}").text == texts.BIND_OK.format(role="管理员")
    from tests.bot_fixtures import ADMIN

    made = re.search(r"邀请码：(\w+)", wechat.text(ADMIN, "邀请").text).group(1)
    listed = {i["code"]: i for i in invites_of(admin)}
    assert admin_code not in listed
    assert listed[made]["by"].startswith("微信 ")


def test_revoking_an_employee_makes_them_a_client_again(admin, wechat):
    employee = new_openid("employee")
    code = new_code(admin)
    assert wechat.text(employee, f"绑定 {code}").text == texts.BIND_OK.format(role="员工")
    assert INTERNAL_URL in wechat.text(employee, INTERNAL_QUERY).text

    page = admin.get("/admin/employees").text
    assert f'value="{employee}"' in page and f'title="{employee}"' in page
    done = admin.post("/admin/employees/revoke", {"openid": employee})
    assert "已撤销" in done.text and f'value="{employee}"' not in done.text

    answer = wechat.text(employee, INTERNAL_QUERY).text
    assert INTERNAL_URL not in answer and "内部" not in answer
    assert "没有找到这个员工" in admin.post("/admin/employees/revoke", {"openid": employee}).text


def test_employees_page_names_the_admins_from_the_settings(admin):
    from tests.bot_fixtures import ADMIN

    page = admin.get("/admin/employees").text
    assert "配置中的管理员" in page and ADMIN in page


# --- the Store behind the dashboard, and life without Redis ------------------------------------------


@pytest.fixture
def store(redis_url):
    with prefixed_store(redis_url, "test") as made:
        yield made


def test_role_holders_follow_the_role_keys(store):
    store, raw, prefix = store
    store.people.set_role("o-a", "employee")
    store.people.set_role("o-b", "admin")
    assert {(h["openid"], h["role"]) for h in store.people.role_holders()} == {("o-a", "employee"), ("o-b", "admin")}
    store.forget("o-a")  # unsubscribed
    raw.delete(prefix + "role:o-b")  # the role key is the truth, the list only an index
    assert store.people.role_holders() == []
    assert raw.hlen(prefix + "roles") == 0
    store.people.set_role("o-c", "employee")
    assert store.people.revoke_role("o-c") and not store.people.revoke_role("o-c")
    assert store.people.role("o-c") is None


def test_invite_codes_are_listed_until_used_revoked_or_expired(store):
    from bot.store.logins import LOGIN_FAILURE_TTL
    from bot.store.people import INVITE_TTL

    store, raw, prefix = store
    used, kept, revoked = (store.people.create_invite("employee", "dashboard") for _ in range(3))
    listed = {i["code"]: i for i in store.people.invites()}
    assert set(listed) == {used, kept, revoked}
    assert listed[kept]["by"] == "dashboard" and listed[kept]["expires"] - listed[kept]["at"] == INVITE_TTL
    assert store.people.redeem_invite(used)["role"] == "employee"
    assert store.people.revoke_invite(revoked) and not store.people.revoke_invite(revoked)
    assert [i["code"] for i in store.people.invites()] == [kept]
    raw.delete(prefix + "invite:" + kept)  # expired
    assert store.people.invites() == [] and raw.zcard(prefix + "invites") == 0

    assert store.logins.add_failure("10.0.0.1") == 1 and store.logins.failures("10.0.0.1") == 1
    assert 0 < raw.ttl(prefix + "loginfail:10.0.0.1") <= LOGIN_FAILURE_TTL


def test_a_build_flag_is_claimed_once_and_released_only_by_its_build(store):
    from bot.store.builds import BUILD_FLAG_TTL

    store, raw, prefix = store
    first = {"run": "r1", "state": "running"}
    assert store.builds.claim("ix", first) is True
    assert store.builds.claim("ix", {"run": "r2", "state": "running"}) is False
    assert store.builds.record("ix") == {**first, "alive": True}
    assert 0 < raw.ttl(prefix + "build:ix:flag") <= BUILD_FLAG_TTL
    store.builds.release("ix", {"run": "other", "state": "done"})  # not the flag's build
    assert raw.get(prefix + "build:ix:flag") == b"r1"
    store.builds.release("ix", {"run": "r1", "state": "done"})
    assert store.builds.record("ix") == {"run": "r1", "state": "done", "alive": False}
    assert store.builds.claim("ix", {"run": "r3", "state": "running"}) is True


def test_without_redis_the_dashboard_fails_closed(tmp_path, private_redis, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir, ADMIN_TOKEN=ADMIN_TOKEN))
    try:
        user = Admin(app)
        user.login()
        form = user.csrf()
        assert user.get("/admin/").status_code == 200
        private_redis.stop()
        for path in ("/admin/", "/admin/queries", "/admin/employees", "/admin/invites", "/admin/search?q=私域"):
            page = user.get(path)  # the session cannot be confirmed: no page, whatever the cookie says
            assert page.status_code == 503 and "暂时不可用" in page.text and "Redis" in page.text, path
        writes = [
            ("/admin/invites", {"role": "admin"}),
            ("/admin/reindex", {}),
            ("/admin/employees/revoke", {"openid": "o-someone"}),
        ]
        for path, data in writes:
            refused = user.post(path, {"csrf_token": form, **data}, token=False)
            assert refused.status_code == 503 and "暂时不可用" in refused.text, path
        refused = Admin(app).login()  # a right token cannot open a session nobody could end
        assert refused.status_code == 503 and "暂时不可用" in refused.text
        private_redis.start()
        time.sleep(1.1)  # the store tries Redis again a second after the last failure
        assert user.login().status_code == 302 and user.get("/admin/").status_code == 200  # back to normal
        assert not app.extensions["caselink"].jobs.running("reindex")
    finally:
        app.extensions["caselink"].close()


def test_wrong_logins_are_limited_even_while_redis_is_down(tmp_path, private_redis, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir, ADMIN_TOKEN=ADMIN_TOKEN))
    try:
        private_redis.stop()
        user = Admin(app)
        statuses = [user.login(f"猜一猜-{n}").status_code for n in range(30)]
        assert statuses == [401] * MAX_LOGIN_FAILURES + [429] * (30 - MAX_LOGIN_FAILURES)
        assert user.login().status_code == 429  # the right token too, from this address
        assert Admin(app).login("猜错了").status_code == 401  # another address has its own count
    finally:
        app.extensions["caselink"].close()


def test_an_unreadable_signed_session_cookie_is_logged_not_swallowed(bot_app, caplog):
    from flask.sessions import SecureCookieSessionInterface

    # A cookie signed with the real SECRET_KEY (a leaked key, or an old version's cookie) holding nonsense.
    serializer = SecureCookieSessionInterface().get_signing_serializer(bot_app)
    forged = serializer.dumps({"admin": "管理员", "since": int(time.time()), "sid": "管理员"})
    client = bot_app.test_client()
    client.set_cookie("caselink_admin", forged)
    with caplog.at_level(logging.WARNING, logger="bot.web.admin"):
        missing = client.get("/admin/no-such-page")
        assert missing.status_code == 404 and "页面不存在" in missing.text and "去登录" in missing.text
        assert client.get("/admin/").status_code == 302
    assert any("会话 Cookie" in r.getMessage() or r.exc_info for r in caplog.records)


def test_a_build_whose_worker_died_is_shown_interrupted_and_can_be_restarted(tmp_path, redis_url, fresh_index):
    import socket
    import subprocess
    import sys

    from bot import buildjob, create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, fresh_index, ADMIN_TOKEN=ADMIN_TOKEN))
    try:
        svc = app.extensions["caselink"]
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        record = {"run": "dead", "state": "running", "host": socket.gethostname(), "pid": int(dead.stdout)}
        assert svc.store.builds.claim(buildjob.scope(svc), {**record, "started": time.time(), "by": "dashboard"})
        user = Admin(app)
        user.login()
        assert "重建中断" in user.get("/admin/reindex").text
        assert "已开始重建索引" in user.post("/admin/reindex").text  # the dead build's flag is taken over
        assert "重建完成" in wait_for_build(user)
    finally:
        app.extensions["caselink"].close()
