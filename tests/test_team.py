"""Admins run the team in chat — 帮助, 邀请 张三, 邀请码, 员工, 撤销 — and nobody else can; times are local."""

from __future__ import annotations

import logging
import re

import pytest
import redis

from bot import texts
from bot.chat import router
from bot.chat.replies import TEXT_LIMIT
from config import clock
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.test_admin import Admin
from tests.wechat_client import WeChatServer

INTERNAL_QUERY = "驰远汽车直播报价"
INTERNAL_URL = "https://www.qingteng.example/internal/cases/auto-live-budget/"
ADMIN_TOKEN = "caselink-团队-test"


@pytest.fixture
def bot_env() -> dict:
    return {"ADMIN_TOKEN": ADMIN_TOKEN}


def code_in(reply: str) -> str:
    return re.search(r"邀请码：(\w+)", reply).group(1)


def bind(wechat, openid: str, invite_reply: str) -> str:
    return wechat.text(openid, f"绑定 {code_in(invite_reply)}").text


def sees_internal(wechat, openid: str) -> bool:
    return INTERNAL_URL in wechat.text(openid, INTERNAL_QUERY).text


# --- 帮助 ------------------------------------------------------------------------------------------


def test_help_is_shown_for_the_role(wechat):
    client, employee, admin = new_openid("client"), new_openid("employee"), new_openid("admin")
    bind(wechat, employee, wechat.text(ADMIN, "邀请").text)
    bind(wechat, admin, wechat.text(ADMIN, "邀请 管理员").text)
    client_help = wechat.text(client, "帮助").text
    assert client_help == texts.HELP
    # A client is told how to reach a person, not about the team's tools or binding.
    assert "转人工" in client_help and "标题" not in client_help and "绑定" not in client_help
    assert wechat.text(employee, "帮助").text == texts.EMPLOYEE_HELP
    assert "标题 品牌" in texts.EMPLOYEE_HELP and "【内部】" in texts.EMPLOYEE_HELP
    assert wechat.text(employee, "?").text == texts.EMPLOYEE_HELP
    for who in (ADMIN, admin):
        shown = wechat.text(who, "帮助").text
        assert shown == texts.ADMIN_HELP and "邀请 张三" in shown and "撤销" in shown and "热词 30天" in shown
        assert len(shown.encode("utf-8")) <= TEXT_LIMIT
    assert wechat.text(ADMIN, "帮助 搜索").text == texts.EMPLOYEE_HELP


def test_every_admin_command_has_a_line_in_the_admin_help():
    explained = {word for words, _ in texts.ADMIN_HELP_LINES for word in words}
    handlers: dict = {}
    for word, command in router.COMMANDS.items():
        if command.admin:
            handlers.setdefault(command.handler, set()).add(word)
    missing = [sorted(words) for words in handlers.values() if not words & explained]
    assert not missing, f"admin commands without a line in texts.ADMIN_HELP_LINES: {missing}"


# --- 邀请 张三, 员工, 邀请码 -------------------------------------------------------------------------


def test_a_named_invite_puts_the_name_on_the_team_list_the_dashboard_and_the_log(wechat, bot_app, caplog):
    zhang, li = new_openid("zhang"), new_openid("li")
    made = wechat.text(ADMIN, "邀请 张三").text
    assert re.match(r"新的员工邀请码：\w{6}（给 张三）\n", made)
    with caplog.at_level(logging.INFO, logger="bot"):
        assert bind(wechat, zhang, made) == texts.BIND_OK.format(role="员工")
        assert bind(wechat, li, wechat.text(ADMIN, "邀请 管理员 李四").text) == texts.BIND_OK.format(role="管理员")
    logged = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("张三 绑定为员工（配置中的管理员 ") for m in logged), logged
    assert any(m.startswith("李四 绑定为管理员") for m in logged)
    assert not any(zhang in m or li in m for m in logged)  # names and hashes, never openids

    listed = wechat.text(li, "员工").text  # 李四 is an admin now
    assert listed.startswith("已绑定的员工和管理员")
    assert re.search(r"\d+\. 张三（员工，\d{4}-\d\d-\d\d \d\d:\d\d 绑定，配置中的管理员 \w+ 邀请）", listed)
    assert re.search(r"\d+\. 李四（管理员，", listed)
    assert "另有 1 位管理员写在配置 ADMIN_OPENIDS 里。" in listed
    assert len(listed.encode("utf-8")) <= TEXT_LIMIT

    dashboard = Admin(bot_app)
    dashboard.login(ADMIN_TOKEN)
    page = dashboard.get("/admin/employees").text
    row = r'data-label="名字" class="name">张三</td>\s*<td data-label="openid"[^>]*title="' + zhang
    assert re.search(row, page)
    made_by_li = wechat.text(li, "邀请 王五").text  # an invite by a named admin names its maker
    listed = {i["code"]: i for i in invites_of(dashboard)}
    assert listed[code_in(made_by_li)]["by"] == "微信 李四" and listed[code_in(made_by_li)]["name"] == "王五"


def invites_of(user: Admin) -> list[dict]:
    from tests.test_admin import invites_of as read

    return read(user)


def test_a_name_made_on_the_dashboard_shows_in_chat(wechat, bot_app):
    dashboard = Admin(bot_app)
    dashboard.login(ADMIN_TOKEN)
    page = dashboard.post("/admin/invites", {"role": "employee", "name": "赵六"}).text
    code = re.search(r'id="new-code">(\w+)<', page).group(1)
    listed = wechat.text(ADMIN, "邀请码").text
    assert re.search(rf"{code} 员工（给 赵六），\d{{4}}-\d\d-\d\d \d\d:\d\d 过期", listed)
    zhao = new_openid("zhao")
    wechat.text(zhao, f"绑定 {code}")
    assert re.search(r"赵六（员工，[^）]+，管理后台 邀请）", wechat.text(ADMIN, "员工").text)
    too_long = dashboard.post("/admin/invites", {"role": "employee", "name": "长" * 21})
    assert too_long.status_code == 400


def test_names_are_echoed_safely_and_kept_short(wechat):
    made = wechat.text(ADMIN, "邀请 <a href=x>点我</a>").text  # WeChat would render a live link
    assert "<a" not in made and "（给 ＜a href=x＞点我＜/a＞）" in made
    assert "<a" not in wechat.text(ADMIN, "邀请码").text
    assert wechat.text(ADMIN, "邀请 " + "长" * 21).text == texts.INVITE_NAME_TOO_LONG.format(limit=20)


# --- 撤销 --------------------------------------------------------------------------------------------


def test_an_invite_is_revoked_in_chat(wechat):
    code = code_in(wechat.text(ADMIN, "邀请 钱七").text)
    assert wechat.text(ADMIN, f"撤销 {code.lower()}").text == texts.REVOKE_INVITE_OK.format(code=code)
    assert code not in wechat.text(ADMIN, "邀请码").text
    assert wechat.text(new_openid(), f"绑定 {code}").text == texts.BIND_BAD
    assert wechat.text(ADMIN, f"撤销 {code}").text == texts.REVOKE_INVITE_GONE.format(code=code)
    assert wechat.text(ADMIN, "撤销").text == texts.REVOKE_USAGE


def test_a_person_revoked_by_name_is_a_client_from_the_next_message(wechat):
    sun, admin = new_openid("sun"), new_openid("admin")
    name = f"孙八{sun[-4:]}"
    bind(wechat, sun, wechat.text(ADMIN, f"邀请 {name}").text)
    bind(wechat, admin, wechat.text(ADMIN, f"邀请 管理员 管{sun[-4:]}").text)
    assert sees_internal(wechat, sun)
    assert wechat.text(admin, f"撤销 {name}").text == texts.REVOKE_PERSON_OK.format(name=name, role="员工")
    assert not sees_internal(wechat, sun)
    assert wechat.text(sun, "帮助").text == texts.HELP
    assert wechat.text(admin, f"撤销 {name}").text == texts.REVOKE_PERSON_NONE.format(name=name)
    assert wechat.text(admin, f"撤销 管{sun[-4:]}").text == texts.REVOKE_SELF


def test_two_people_with_one_name_are_not_revoked_by_guess(wechat):
    name = f"同名{new_openid()[-4:]}"
    first, second = new_openid("first"), new_openid("second")
    bind(wechat, first, wechat.text(ADMIN, f"邀请 {name}").text)
    bind(wechat, second, wechat.text(ADMIN, f"邀请 {name}").text)
    assert wechat.text(ADMIN, f"撤销 {name}").text == texts.REVOKE_PERSON_MANY.format(count=2, name=name)
    assert sees_internal(wechat, first) and sees_internal(wechat, second)


# --- binding again ---------------------------------------------------------------------------------------


def test_sending_ones_own_code_again_says_so_and_costs_no_attempt(wechat, bot_app):
    employee, other = new_openid("employee"), new_openid("other")
    code = code_in(wechat.text(ADMIN, "邀请").text)
    assert wechat.text(employee, f"绑定 {code}").text == texts.BIND_OK.format(role="员工")
    for _ in range(8):  # more than the hourly limit of wrong codes
        assert wechat.text(employee, f"绑定 {code}").text == texts.BIND_ALREADY.format(role="员工")
    assert bot_app.extensions["caselink"].store.bind_attempts.used(employee) == 0
    someone_elses = code_in(wechat.text(ADMIN, "邀请").text)
    assert wechat.text(employee, f"绑定 {someone_elses}").text == texts.BIND_ALREADY.format(role="员工")
    assert wechat.text(other, f"绑定 {someone_elses}").text == texts.BIND_OK.format(role="员工")  # not used up
    assert wechat.text(employee, "绑定 ZZZZZZ").text == texts.BIND_BAD_BOUND.format(role="员工")
    promoted = code_in(wechat.text(ADMIN, "邀请 管理员").text)
    assert wechat.text(employee, f"绑定 {promoted}").text == texts.BIND_OK.format(role="管理员")


# --- who may do what (issue 14.2) -------------------------------------------------------------------------

ADMIN_LINES = [
    "重建索引",
    "状态",
    "邀请",
    "邀请 管理员",
    "邀请码",
    "员工",
    "员工列表",
    "撤销 ABCDEF",
    "热词",
    "热词 30天",
    "同义 品牌 私域",
    "取消同义 品牌",
    "置顶 1",
    "取消置顶",
    "收藏标题 瑞幸为什么总能上热搜",
    "撤回",
    "撤回 社群",
]


def test_a_bound_employee_cannot_run_any_admin_command(wechat, bot_app, redis_url):
    employee = new_openid("employee")
    bind(wechat, employee, wechat.text(ADMIN, "邀请 周九").text)
    raw = redis.Redis.from_url(redis_url)
    invites_before = raw.zcard("caselink:invites")
    rules_before = raw.hlen("caselink:rules:all")
    wechat.text(employee, "私域流量")  # a list to pin from, if 置顶 were allowed
    assert {w for w, c in router.COMMANDS.items() if c.admin} <= {line.split()[0] for line in ADMIN_LINES}
    for line in ADMIN_LINES:
        reply = wechat.text(employee, line).text
        assert reply.startswith(("找到 ", "没有")), (line, reply)  # searched, like any other words
    assert raw.zcard("caselink:invites") == invites_before
    assert raw.hlen("caselink:rules:all") == rules_before
    assert not bot_app.extensions["caselink"].jobs.running("reindex")
    assert wechat.text(employee, "帮助").text == texts.EMPLOYEE_HELP


def test_a_wechat_admin_gets_nothing_on_the_dashboard(wechat, bot_app):
    admin = new_openid("admin")
    bind(wechat, admin, wechat.text(ADMIN, "邀请 管理员").text)
    from bot.web import oauth

    browser = bot_app.test_client()  # even holding a verified-viewer cookie for every path
    settings = bot_app.extensions["caselink"].settings
    browser.set_cookie(oauth.VIEWER_COOKIE, oauth.viewer_cookie(settings, admin), path="/")
    assert browser.get("/admin/").status_code == 302
    assert browser.get("/admin/employees").headers["Location"].startswith("/admin/login")


# --- local time --------------------------------------------------------------------------------------------


def test_times_are_shown_in_the_site_time_zone(tmp_path, redis_url, sample_settings):
    from bot import create_app

    app = create_app(
        make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, SITE_TIMEZONE="America/New_York")
    )
    try:
        wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        built = app.extensions["caselink"].index.searcher().stats()["built_at"]
        status = wx.text(ADMIN, "状态").text
        assert f"构建于 {clock.fmt_time(built, clock.zone('America/New_York'))}" in status
        assert built not in status and "+00:00" not in status
        person = new_openid("person")
        wx.text(person, f"绑定 {code_in(wx.text(ADMIN, '邀请 吴十').text)}")
        at = app.extensions["caselink"].store.people.holder(person)["at"]
        assert f"吴十（员工，{clock.fmt_time(at, clock.zone('America/New_York'))} 绑定" in wx.text(ADMIN, "员工").text
        assert clock.fmt_time(at, clock.zone("America/New_York")) != clock.fmt_time(at, clock.zone("Asia/Shanghai"))
    finally:
        app.extensions["caselink"].close()
