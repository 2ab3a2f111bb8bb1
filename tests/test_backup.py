"""Durable state survives: a persistent Redis restarts without losing roles or invites, and
``python -m bot backup`` / ``restore`` bring them back after Redis was wiped; bad files restore nothing."""

from __future__ import annotations

import json
import re
import time

import pytest
import redis
from click.testing import CliRunner

from bot import texts
from bot.cli import cli
from bot.store.namespaces import DURABLE
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.wechat_client import WeChatServer

INTERNAL_QUERY = "驰远汽车直播报价"
INTERNAL_URL = "https://www.qingteng.example/internal/cases/auto-live-budget/"


@pytest.fixture
def make_app(tmp_path, sample_settings):
    """Apps on a given Redis (closed at the end), talking through the WeChat test client."""
    from bot import create_app

    apps = []

    def make(url: str):
        app = create_app(make_bot_settings(tmp_path, url, sample_settings.index_dir))
        apps.append(app)
        return app, WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)

    yield make
    for app in apps:
        app.extensions["caselink"].close()


def invite(wx: WeChatServer, arg: str = "") -> str:
    return re.search(r"邀请码：(\w+)", wx.text(ADMIN, f"邀请 {arg}".strip()).text).group(1)


def sees_internal(wx: WeChatServer, openid: str) -> bool:
    return INTERNAL_URL in wx.text(openid, INTERNAL_QUERY).text


def run_cli(redis_url: str, *args: str, input: str | None = None):
    env = {"CASELINK_DEV": "1", "REDIS_URL": redis_url}
    return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)


def test_a_persistent_redis_restarts_without_losing_roles_or_invites(make_app, persistent_redis):
    app, wx = make_app(persistent_redis.url)
    employee, admin = new_openid("employee"), new_openid("admin")
    assert wx.text(employee, f"绑定 {invite(wx)}").text == texts.BIND_OK.format(role="员工")
    assert wx.text(admin, f"绑定 {invite(wx, '管理员')}").text == texts.BIND_OK.format(role="管理员")
    waiting = invite(wx)
    assert sees_internal(wx, employee)

    persistent_redis.stop()  # what `docker compose restart redis` does
    persistent_redis.start()
    time.sleep(1.1)  # the app tries Redis again a second after its last failure

    assert sees_internal(wx, employee)
    assert wx.text(admin, "状态").text.startswith("索引：")  # still an admin
    newcomer = new_openid("newcomer")
    assert wx.text(newcomer, f"绑定 {waiting}").text == texts.BIND_OK.format(role="员工")
    holders = {h["openid"] for h in app.extensions["caselink"].store.people.role_holders()}
    assert {employee, admin, newcomer} <= holders


def test_backup_then_a_wiped_redis_then_restore_gives_the_same_roles_and_invites(make_app, private_redis, tmp_path):
    app, wx = make_app(private_redis.url)
    employee, admin = new_openid("employee"), new_openid("admin")
    wx.text(employee, f"绑定 {invite(wx)}")
    wx.text(admin, f"绑定 {invite(wx, '管理员')}")
    waiting, waiting_admin = invite(wx), invite(wx, "管理员")
    raw = redis.Redis.from_url(private_redis.url)
    ttl_before = raw.ttl(f"caselink:invite:{waiting}")
    wx.text(new_openid(), "私域流量")  # a search: analytics are durable too, sessions are not

    file = tmp_path / "state.json"
    made = run_cli(private_redis.url, "backup", str(file))
    assert made.exit_code == 0, made.output
    assert re.search(r"已备份 \d+ 个键到 .*state\.json：.*角色 2", made.output)
    document = json.loads(file.read_text(encoding="utf-8"))
    assert {e["key"].split(":")[0] for e in document["keys"]} <= set(DURABLE)
    assert not any(e["key"].startswith(("session:", "msg:", "adminsession:")) for e in document["keys"])
    assert oct(file.stat().st_mode & 0o777) == "0o600"  # openids and live invite codes: owner only

    raw.flushall()  # Redis lost everything: every employee is a client again
    assert not sees_internal(wx, employee)
    restored = run_cli(private_redis.url, "restore", str(file), input="y\n")
    assert restored.exit_code == 0, restored.output
    assert "继续吗" in restored.output and re.search(r"已恢复 \d+ 个键：.*角色 2", restored.output)

    assert sees_internal(wx, employee)
    assert wx.text(admin, "状态").text.startswith("索引：")
    assert 0 < raw.ttl(f"caselink:invite:{waiting}") <= ttl_before  # the invite keeps the time it had left
    assert wx.text(new_openid(), f"绑定 {waiting}").text == texts.BIND_OK.format(role="员工")
    assert wx.text(new_openid(), f"绑定 {waiting_admin}").text == texts.BIND_OK.format(role="管理员")
    assert {employee, admin} <= {h["openid"] for h in app.extensions["caselink"].store.people.role_holders()}


def test_restore_replace_removes_what_the_backup_does_not_have(make_app, private_redis, tmp_path):
    _, wx = make_app(private_redis.url)
    kept = new_openid("kept")
    wx.text(kept, f"绑定 {invite(wx)}")
    file = tmp_path / "state.json"
    assert run_cli(private_redis.url, "backup", str(file)).exit_code == 0
    later = new_openid("later")
    wx.text(later, f"绑定 {invite(wx)}")

    assert run_cli(private_redis.url, "restore", str(file), "--yes").exit_code == 0
    assert sees_internal(wx, kept) and sees_internal(wx, later)  # merged: the later role stays
    assert run_cli(private_redis.url, "restore", str(file), "--yes", "--replace").exit_code == 0
    assert sees_internal(wx, kept) and not sees_internal(wx, later)  # exactly the backup


def test_an_invite_that_expired_since_the_backup_is_not_restored(private_redis, tmp_path):
    raw = redis.Redis.from_url(private_redis.url)
    raw.set("caselink:invite:ABCDEF", json.dumps({"role": "employee", "by": "dashboard", "at": 1}), px=1500)
    raw.set("caselink:role:o-someone", "employee")
    file = tmp_path / "state.json"
    assert run_cli(private_redis.url, "backup", str(file)).exit_code == 0
    time.sleep(1.6)
    raw.flushall()
    result = run_cli(private_redis.url, "restore", str(file), "--yes")
    assert result.exit_code == 0 and "1 个已过期" in result.output
    assert raw.get("caselink:role:o-someone") == b"employee" and not raw.exists("caselink:invite:ABCDEF")


def test_values_that_are_not_text_round_trip(private_redis, tmp_path):
    raw = redis.Redis.from_url(private_redis.url)
    raw.hset("caselink:roles", mapping={b"o-\xff\xfe": b"\x00\x01binary"})
    file = tmp_path / "state.json"
    assert run_cli(private_redis.url, "backup", str(file)).exit_code == 0
    raw.flushall()
    assert run_cli(private_redis.url, "restore", str(file), "--yes").exit_code == 0
    assert raw.hgetall("caselink:roles") == {b"o-\xff\xfe": b"\x00\x01binary"}


def good_document() -> dict:
    return {
        "format": "caselink-backup",
        "version": 1,
        "created": "2026-03-01T10:00:00+08:00",
        "prefix": "caselink:",
        "keys": [
            {"key": "role:o-a", "type": "string", "value": "employee"},
            {"key": "roles", "type": "hash", "value": {"o-a": '{"role": "employee", "at": 1}'}},
            {"key": "invites", "type": "zset", "value": [["ABCDEF", 4102444800.0]]},
        ],
    }


def spoiled(change) -> dict:
    document = good_document()
    change(document)
    return document


def extra(**entry) -> dict:
    return spoiled(lambda d: d["keys"].append(entry))


BAD_FILES = [
    ("not JSON", b"{not json", "不是有效的 JSON"),
    ("not UTF-8", "{}".encode("utf-16"), "不是有效的 JSON"),
    ("a list", b"[]", "不是一个 JSON 对象"),
    ("another format", spoiled(lambda d: d.update(format="redis-dump")), "不是案例通的备份文件"),
    ("a newer version", spoiled(lambda d: d.update(version=2)), "不支持的备份版本"),
    ("another prefix", spoiled(lambda d: d.update(prefix="other:")), "键前缀"),
    ("no keys", spoiled(lambda d: d.pop("keys")), "缺少 keys"),
    ("an ephemeral key", extra(key="session:o-a", type="string", value="{}"), "命名空间"),
    ("an unknown namespace", extra(key="evil:x", type="string", value="1"), "命名空间"),
    ("a wrong type", extra(key="role:o-b", type="stream", value=""), "类型"),
    ("a wrong shape", extra(key="invite:XYZ234", type="hash", value=["x"]), "格式"),
    ("a duplicate", spoiled(lambda d: d["keys"].append(dict(d["keys"][0]))), "重复"),
    ("bad base64", extra(key="role:o-c", type="string", value="%%", enc="base64"), "格式"),
    ("a bad expiry", extra(key="role:o-d", type="string", value="x", expires_at="soon"), "expires_at"),
    ("an infinite score", extra(key="q:20260301", type="zset", value=[["A", float("inf")]]), "格式"),
]


@pytest.mark.parametrize(("content", "message"), [(c, m) for _, c, m in BAD_FILES], ids=[n for n, _, _ in BAD_FILES])
def test_a_bad_backup_file_is_refused_and_nothing_is_written(private_redis, tmp_path, content, message):
    raw = redis.Redis.from_url(private_redis.url)
    raw.set("caselink:role:o-existing", "admin")
    file = tmp_path / "bad.json"
    file.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode("utf-8"))
    result = CliRunner().invoke(
        cli, ["restore", str(file), "--yes"], env={"CASELINK_DEV": "1", "REDIS_URL": private_redis.url}
    )
    assert result.exit_code == 1
    assert message in result.output and "什么都没有恢复" in result.output and "Traceback" not in result.output
    assert raw.keys("*") == [b"caselink:role:o-existing"]  # the good entries before the bad one were not written


def test_backup_and_restore_need_a_real_redis(tmp_path):
    result = CliRunner().invoke(cli, ["backup", str(tmp_path / "x.json")], env={"CASELINK_DEV": "1", "REDIS_URL": ""})
    assert result.exit_code == 1 and "REDIS_URL" in result.output
    result = run_cli("redis://127.0.0.1:9/0", "restore", str(tmp_path / "x.json"), "--yes")
    assert result.exit_code == 1 and "连不上 Redis" in result.output
    assert not (tmp_path / "x.json").exists()


def test_keys_of_an_unregistered_namespace_are_reported(private_redis, tmp_path):
    raw = redis.Redis.from_url(private_redis.url)
    raw.set("caselink:role:o-a", "employee")
    raw.set("caselink:mystery:1", "x")
    file = tmp_path / "state.json"
    result = run_cli(private_redis.url, "backup", str(file))
    assert result.exit_code == 1 and "mystery（1 个）" in result.output and "namespaces.py" in result.output
    assert [e["key"] for e in json.loads(file.read_text(encoding="utf-8"))["keys"]] == ["role:o-a"]


def test_the_backup_file_is_replaced_atomically(private_redis, tmp_path):
    raw = redis.Redis.from_url(private_redis.url)
    raw.set("caselink:role:o-a", "employee")
    file = tmp_path / "state.json"
    file.write_text("the previous backup", encoding="utf-8")
    assert run_cli(private_redis.url, "backup", str(file)).exit_code == 0
    assert json.loads(file.read_text(encoding="utf-8"))["counts"] == {"role": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind
