"""``python -m bot menu check|push|show``: config/menu.yaml validated with the offending path, pushed
through menu/create only when valid, and the live menu (menu/get) printed readably."""

from __future__ import annotations

import json

import pytest
import redis
import yaml
from click.testing import CliRunner

from bot.cli import cli
from bot.wechat.menu import load_layout, load_menu, validate_layout
from config.errors import ConfigError
from config.settings import CONFIG_DIR
from tests.bot_fixtures import APPID, SECRET
from tests.stubs import StubServer

COMMANDS = {"LATEST": "最新", "MORE": "更多", "HELP": "帮助"}
LIVE = {
    "is_menu_open": 1,
    "menu": {
        "button": [
            {
                "name": "最新内容",
                "sub_button": [
                    {"type": "click", "name": "最新文章", "key": "LATEST_ARTICLES", "sub_button": []},
                    {"type": "view", "name": "官网", "url": "https://www.qingteng.example/", "sub_button": []},
                ],
            },
            {"type": "click", "name": "帮助", "key": "HELP", "sub_button": []},
            {"type": "click", "name": "旧按钮", "key": "OLD_KEY", "sub_button": []},
        ]
    },
}


def click(name: str, key: str) -> dict:
    return {"type": "click", "name": name, "key": key}


@pytest.mark.parametrize(
    ("layout", "errors"),
    [
        (
            {
                "button": [
                    click("帮助", "HELP"),
                    {"name": "更多", "sub_button": [click("看", "MORE")] * 5 + [click("看" * 21, "MORE")]},
                ]
            },
            [
                "button[1].sub_button: 最多 5 个二级菜单，现在有 6 个",
                "button[1].sub_button[5].name: 超过 60 字节（「" + "看" * 21 + "」有 63 字节）",
            ],
        ),
        (
            {"button": [click("最新的文章和案例", "LATEST")]},
            ["button[0].name: 超过 16 字节（「最新的文章和案例」有 24 字节）"],
        ),
        ({"button": [click("一", "HELP")] * 4}, ["button: 最多 3 个一级菜单，现在有 4 个"]),
        ({"button": [{"type": "click", "name": "帮助"}]}, ["button[0].key: click 菜单必须有 key"]),
        (
            {"button": [click("帮助", "NOPE")]},
            ["button[0].key: NOPE 不是 commands 里的 key（可用：LATEST、MORE、HELP）"],
        ),
        ({"button": [{"type": "view", "name": "官网"}]}, ["button[0].url: view 菜单必须有 url"]),
        (
            {"button": [{"type": "view", "name": "官网", "url": "ftp://x"}]},
            ["button[0].url: 应以 http:// 或 https:// 开头"],
        ),
        (
            {"button": [{"type": "view", "name": "官网", "url": "https://e.com/" + "a" * 1020}]},
            ["button[0].url: 超过 1024 字节"],
        ),
        ({"button": [{"name": "空", "sub_button": []}]}, ["button[0].sub_button: 至少需要 1 个二级菜单"]),
        (
            {"button": [{"type": "scancode_push", "name": "扫码", "key": "X"}]},
            ["button[0].type: 应为 click 或 view（现在是 'scancode_push'）；其他类型请在公众号后台配置"],
        ),
        ({"button": [{"name": "", "type": "click", "key": "HELP"}]}, ["button[0].name: 缺少菜单名"]),
        (
            {"button": [{"name": "组", "type": "click", "key": "HELP", "sub_button": [click("帮助", "HELP")]}]},
            ["button[0]: 有 sub_button 的菜单不能再有 type/key/url"],
        ),
        ({"button": []}, ["button: 至少需要 1 个一级菜单"]),
        ({"button": None}, ["button: 至少需要 1 个一级菜单"]),
        ({"button": ["帮助"]}, ["button[0]: 应当是一个菜单项（name、type、key 或 url）"]),
    ],
)
def test_validation_names_the_offending_path(layout, errors):
    assert validate_layout(layout, COMMANDS) == errors


def test_limits_are_bytes_not_characters():
    assert validate_layout({"button": [click("五个汉字呀", "HELP")]}, COMMANDS) == []  # 15 bytes
    assert validate_layout({"button": [click("abcdefghijklmnop", "HELP")]}, COMMANDS) == []  # 16 bytes
    sub = {"name": "组", "sub_button": [click("二十个汉字" * 4, "HELP")]}  # 60 bytes
    assert validate_layout({"button": [sub]}, COMMANDS) == []


def test_the_shipped_menu_is_valid():
    path = CONFIG_DIR / "menu.yaml"
    assert validate_layout(load_layout(path), load_menu(path)) == []


@pytest.fixture
def api():
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "MENU-TOKEN", "expires_in": 7200},
            ("POST", "/cgi-bin/menu/create"): {"errcode": 0, "errmsg": "ok"},
            ("GET", "/cgi-bin/menu/get"): LIVE,
        }
    ) as stub:
        yield stub


@pytest.fixture
def runner(api, redis_url, tmp_path):
    redis.Redis.from_url(redis_url).delete(f"caselink:wechatpy:{APPID}_access_token")
    env = {
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": api.url + "/cgi-bin/",
        "REDIS_URL": redis_url,
        "CASELINK_DEV": "0",
    }
    return CliRunner(env=env)


def write_menu(tmp_path, data: dict) -> str:
    path = tmp_path / "menu.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_push_sends_the_validated_menu(runner, api, tmp_path):
    layout = {"button": [{"name": "最新内容", "sub_button": [click("最新文章", "LATEST")]}, click("帮助", "HELP")]}
    path = write_menu(tmp_path, {"commands": COMMANDS, **layout})
    result = runner.invoke(cli, ["menu", "push", "--file", path])
    assert result.exit_code == 0, result.output
    assert "菜单已发布" in result.output
    (call,) = api.calls_to("/cgi-bin/menu/create", "POST")
    assert call.query == {"access_token": "MENU-TOKEN"}
    assert call.json == layout
    assert "最新文章".encode() in call.body  # UTF-8 as is, not \\u escapes
    assert api.calls_to("/cgi-bin/stable_token")[0].json["appid"] == APPID


def test_push_of_the_shipped_menu(runner, api):
    result = runner.invoke(cli, ["menu", "push"])
    assert result.exit_code == 0, result.output
    (call,) = api.calls_to("/cgi-bin/menu/create")
    assert call.json == {"button": load_layout(CONFIG_DIR / "menu.yaml")["button"]}


def test_an_invalid_menu_is_reported_and_nothing_is_sent(runner, api, tmp_path):
    subs = [click("看", "MORE")] * 5 + [click("看" * 21, "MORE")]
    path = write_menu(
        tmp_path, {"commands": COMMANDS, "button": [click("帮助", "HELP"), {"name": "更多", "sub_button": subs}]}
    )
    result = runner.invoke(cli, ["menu", "push", "--file", path])
    assert result.exit_code == 2
    assert "button[1].sub_button[5].name: 超过 60 字节" in result.output
    assert "什么都没有发布" in result.output
    assert api.calls == []  # not even a token was asked for


@pytest.mark.parametrize(
    ("text", "words"),
    [("commands: {HELP: 帮助}\nbutton: [\n", "不是有效的 YAML"), ("- just\n- a list\n", "顶层应当是")],
)
def test_a_broken_file_is_reported_without_pushing(runner, api, tmp_path, text, words):
    path = tmp_path / "menu.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["menu", "push", "--file", str(path)])
    assert result.exit_code != 0 and words in result.output
    assert api.calls == []


def test_a_refusal_from_wechat_is_reported(runner, api):
    api.route("POST", "/cgi-bin/menu/create", {"errcode": 40018, "errmsg": "invalid button name size"})
    result = runner.invoke(cli, ["menu", "push"])
    assert result.exit_code == 1
    assert "errcode=40018" in result.output


def test_check_validates_without_calling_wechat(runner, api):
    result = runner.invoke(cli, ["menu", "check"])
    assert result.exit_code == 0 and "没有问题" in result.output
    assert api.calls == []


def test_push_needs_appid_and_secret(api, tmp_path):
    result = CliRunner(env={"WECHAT_APPID": "", "WECHAT_SECRET": "", "CASELINK_DEV": "0"}).invoke(cli, ["menu", "push"])
    assert result.exit_code == 2 and "WECHAT_APPID" in result.output
    assert api.calls == []


def test_show_prints_the_live_menu(runner, api):
    result = runner.invoke(cli, ["menu", "show"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "公众号当前的自定义菜单：",
        "1. 最新内容",
        "   1.1 最新文章  [点击 LATEST_ARTICLES → 最新 文章]",
        "   1.2 官网  [链接 https://www.qingteng.example/]",
        "2. 帮助  [点击 HELP → 帮助]",
        "3. 旧按钮  [点击 OLD_KEY：机器人不认识这个 key，会回复帮助]",
    ]
    (call,) = api.calls_to("/cgi-bin/menu/get", "GET")
    assert call.query == {"access_token": "MENU-TOKEN"}


def test_show_without_a_menu(runner, api):
    api.route("GET", "/cgi-bin/menu/get", {"errcode": 46003, "errmsg": "menu no exist"})
    result = runner.invoke(cli, ["menu", "show"])
    assert result.exit_code == 0 and "没有自定义菜单" in result.output


def test_the_live_menu_round_trips(runner, api):
    pushed = {}

    def create(call):
        pushed.update(call.json)
        return {"errcode": 0, "errmsg": "ok"}

    api.route("POST", "/cgi-bin/menu/create", create)
    api.route("GET", "/cgi-bin/menu/get", lambda call: {"menu": json.loads(json.dumps(pushed))})
    assert runner.invoke(cli, ["menu", "push"]).exit_code == 0
    shown = runner.invoke(cli, ["menu", "show"]).output
    assert "[点击 LATEST_ARTICLES → 最新 文章]" in shown and "[点击 HELP → 帮助]" in shown


def test_an_edited_menu_file_is_read_again_and_a_broken_one_still_stops_the_start(tmp_path):
    path = tmp_path / "menu.yaml"
    path.write_text("commands:\n  LATEST: 最新\n", encoding="utf-8")
    assert load_menu(path) == {"LATEST": "最新"}
    path.write_text("commands:\n  CASES: 案例\n", encoding="utf-8")
    assert load_menu(path) == {"CASES": "案例"}
    path.write_text("commands: [oops\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_menu(path)
    with pytest.raises(ConfigError):  # every time, not only the first
        load_menu(path)
    path.unlink()
    assert load_menu(path) == {}
