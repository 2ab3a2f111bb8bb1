"""Every Redis namespace the code uses is classified durable (backed up) or ephemeral, in one place.

A store added without registering its namespace fails here, so ``python -m bot backup`` cannot
silently leave new durable state (rules, leads, shares, overrides …) out.
"""

from __future__ import annotations

import re
import time

import redis

from bot.store.namespaces import DURABLE, EPHEMERAL, namespace_of
from config.settings import PROJECT_ROOT
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.test_admin import Admin
from tests.wechat_client import WeChatServer

KEY_CALL = re.compile(r"""\bkey\(\s*f?["']([A-Za-z0-9_-]+)(?=["':])""")


def test_the_two_tables_are_disjoint_and_well_formed():
    assert not set(DURABLE) & set(EPHEMERAL)
    for name in (*DURABLE, *EPHEMERAL):
        assert re.fullmatch(r"[a-z0-9_-]+", name), name


def test_every_namespace_named_in_the_code_is_classified():
    used: dict[str, str] = {}
    for path in PROJECT_ROOT.glob("bot/**/*.py"):
        for name in KEY_CALL.findall(path.read_text(encoding="utf-8")):
            used.setdefault(name, str(path.relative_to(PROJECT_ROOT)))
    assert {"role", "invite", "session", "adminsession"} <= set(used)  # the scan finds real calls
    unclassified = {name: where for name, where in used.items() if name not in DURABLE and name not in EPHEMERAL}
    assert not unclassified, f"register these in bot/store/namespaces.py: {unclassified}"


def test_every_key_a_full_run_writes_is_classified(tmp_path, private_redis, fresh_index):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, fresh_index, ADMIN_TOKEN="caselink-admin-令牌"))
    try:
        wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
        client, employee, leaver = new_openid("client"), new_openid("employee"), new_openid("leaver")
        wx.event(client, "subscribe")
        for line in (
            "私域流量",
            "更多",
            "2",
            "案例 品牌",
            "#私域流量",
            "最新",
            "量子纠缠望远镜",
            "帮助",
            "绑定 ZZZZZZ",
        ):
            wx.text(client, line)
        code = re.search(r"邀请码：(\w+)", wx.text(ADMIN, "邀请").text).group(1)
        wx.text(ADMIN, "邀请 管理员")
        wx.text(employee, f"绑定 {code}")
        wx.text(employee, "复盘")
        wx.text(leaver, "品牌")
        wx.event(leaver, "unsubscribe")
        for line in ("热词", "状态", "重建索引"):
            wx.text(ADMIN, line)
        deadline = time.monotonic() + 30
        while app.extensions["caselink"].jobs.running("reindex") and time.monotonic() < deadline:
            time.sleep(0.1)
        dashboard = Admin(app)
        dashboard.login("wrong")
        dashboard.login("caselink-admin-令牌")
        for path in ("/admin/", "/admin/queries", "/admin/invites", "/admin/employees"):
            dashboard.get(path)
        dashboard.post("/admin/invites", {"role": "employee"})

        keys = [k.decode("utf-8") for k in redis.Redis.from_url(private_redis.url).scan_iter(count=1000)]
        namespaces = {namespace_of(k, "caselink:") for k in keys}
        assert {"role", "roles", "invite", "session", "adminsession", "loginfail", "build"} <= namespaces
        unclassified = {n for n in namespaces if n not in DURABLE and n not in EPHEMERAL}
        assert not unclassified, f"keys outside bot/store/namespaces.py: {unclassified}"
    finally:
        app.extensions["caselink"].close()
