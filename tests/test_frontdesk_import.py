"""``python -m bot replies import``: the account's old auto-replies, read through the WeChat API (played
by tests/stubs.StubServer), become front desk rules in Redis; what cannot be converted is named."""

from __future__ import annotations

import json

import pytest
import redis
from click.testing import CliRunner

from bot.chat.frontdesk.importer import convert
from bot.chat.frontdesk.rules import load_defaults
from bot.cli import cli
from config.settings import CONFIG_DIR
from tests.bot_fixtures import AES_KEY, APPID, SECRET, TOKEN, make_bot_settings, new_openid
from tests.stubs import StubServer
from tests.wechat_client import WeChatServer

# A get_current_autoreply_info answer in the shape of the example in the official doc 获取公众号的自动回复规则
# (developers.weixin.qq.com/doc/subscription/api/notify/autoreplies/api_getcurrentautoreplyinfo.html):
# the same fields and reply types (text, news with news_info.list, voice, video, img; match_mode contain
# and equal; reply_mode reply_all and random_one), with the sample company's own words.
AUTOREPLY = {
    "is_add_friend_reply_open": 1,
    "is_autoreply_open": 1,
    "add_friend_autoreply_info": {"type": "text", "content": "感谢关注青藤互动！回复「案例」看看我们做过的项目。"},
    "message_default_autoreply_info": {"type": "text", "content": "收到你的留言啦，工作时间内会尽快回复。"},
    "keyword_autoreply_info": {
        "list": [
            {
                "rule_name": "公司介绍",
                "create_time": 1700000000,
                "reply_mode": "reply_all",
                "keyword_list_info": [
                    {"type": "text", "match_mode": "contain", "content": "简介"},
                    {"type": "text", "match_mode": "equal", "content": "公司介绍"},
                ],
                "reply_list_info": [
                    {
                        "type": "news",
                        "news_info": {
                            "list": [
                                {
                                    "title": "认识青藤互动",
                                    "author": "青藤",
                                    "digest": "十年社交媒体与数字营销",
                                    "show_cover": 1,
                                    "cover_url": "http://mmbiz.qpic.cn/mmbiz_jpg/qingteng/0",
                                    "content_url": "http://mp.weixin.qq.com/s?__biz=MzQingteng==&mid=1&idx=1#rd",
                                    "source_url": "",
                                },
                                {
                                    "title": "我们的服务",
                                    "author": "青藤",
                                    "digest": "六个模块",
                                    "show_cover": 0,
                                    "cover_url": "http://mmbiz.qpic.cn/mmbiz_jpg/qingteng/1",
                                    "content_url": "http://mp.weixin.qq.com/s?__biz=MzQingteng==&mid=1&idx=2#rd",
                                    "source_url": "",
                                },
                            ]
                        },
                    }
                ],
            },
            {
                "rule_name": "语音问好",
                "create_time": 1700000100,
                "reply_mode": "random_one",
                "keyword_list_info": [{"type": "text", "match_mode": "contain", "content": "语音"}],
                "reply_list_info": [{"type": "voice", "content": "NESsxgHEvAcg3egJTtYj4uG1PTL6iPhratdWKDLAXYE"}],
            },
            {
                "rule_name": "优惠活动",
                "create_time": 1700000200,
                "reply_mode": "reply_all",
                "keyword_list_info": [{"type": "text", "match_mode": "equal", "content": "优惠"}],
                "reply_list_info": [
                    {"type": "text", "content": "年度服务签约送一次品牌体检。"},
                    {"type": "text", "content": "详情看<a href='https://www.qingteng.example/offer/'>活动页</a>"},
                ],
            },
            {
                "rule_name": "宣传片",
                "create_time": 1700000300,
                "reply_mode": "random_one",
                "keyword_list_info": [{"type": "text", "match_mode": "equal", "content": "宣传片"}],
                "reply_list_info": [
                    {"type": "video", "content": "http://61.161.36.38/vweixinp.tc.qq.com/1007_q.f10.mp4"}
                ],
            },
            {
                "rule_name": "海报",
                "create_time": 1700000400,
                "reply_mode": "random_one",
                "keyword_list_info": [{"type": "text", "match_mode": "equal", "content": "海报"}],
                "reply_list_info": [{"type": "img", "content": "DqBzZ-J0Aw0nSxrf7MkpIMrM4ZqCAbaQykBgqkfgg7Q"}],
            },
            {
                "rule_name": "地址",
                "create_time": 1700000500,
                "reply_mode": "random_one",
                "keyword_list_info": [{"type": "text", "match_mode": "equal", "content": "地址"}],
                "reply_list_info": [{"type": "text", "content": "杭州市西湖区文三路 90 号"}],
            },
        ]
    },
}


@pytest.fixture
def api():
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "IMPORT-TOKEN", "expires_in": 7200},
            ("GET", "/cgi-bin/get_current_autoreply_info"): AUTOREPLY,
        }
    ) as stub:
        yield stub


@pytest.fixture
def runner(api, front_desk_redis, sample_settings):
    env = {
        "CASELINK_DEV": "1",
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE": api.url + "/cgi-bin/",
        "REDIS_URL": front_desk_redis,
        "INDEX_DIR": str(sample_settings.index_dir),
    }
    return CliRunner(env=env)


def test_the_official_sample_shape_becomes_rules_and_the_rest_is_named(runner, api, front_desk_redis):
    result = runner.invoke(cli, ["replies", "import"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert api.calls_to("/cgi-bin/get_current_autoreply_info")[0].query["access_token"] == "IMPORT-TOKEN"
    assert "从公众号读到关键词规则 6 条、关注后回复、收到消息回复。" in out
    assert "已导入 5 条规则：" in out
    assert "+ 欢迎语（从公众号导入）（替换原来的）　关注时 → 文字" in out
    assert "+ 公司介绍　精确：公司介绍 → 图文「认识青藤互动」" in out
    assert "+ 公司介绍（包含）　包含：简介 → 图文「认识青藤互动」" in out
    assert "+ 优惠活动　精确：优惠 → 文字" in out
    assert "没有导入 4 项：" in out
    assert "关键词规则「语音问好」：回复是语音，案例通只能回复文字和图文，没有导入。" in out
    assert "关键词规则「宣传片」：回复是视频" in out and "关键词规则「海报」：回复是图片" in out
    assert "规则「地址」：关键词「地址」已经在规则「地址」里了" in out
    assert "多图文只能回复一篇，保留了第一篇「认识青藤互动」" in out
    assert "这段话改为在搜索没有结果时附上" in out


def test_imported_rules_answer_in_chat(runner, tmp_path, front_desk_redis, sample_settings):
    from bot import create_app

    assert runner.invoke(cli, ["replies", "import"]).exit_code == 0
    redis.Redis.from_url(front_desk_redis).delete(f"caselink:wechatpy:{APPID}_access_token")
    app = create_app(make_bot_settings(tmp_path, front_desk_redis, sample_settings.index_dir))
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    try:
        assert wx.event(new_openid(), "subscribe").text.startswith("感谢关注青藤互动！回复「案例」")
        offer = wx.text(new_openid(), "优惠").text
        assert offer == (
            '年度服务签约送一次品牌体检。\n\n详情看<a href="https://www.qingteng.example/offer/">活动页</a>'
        )
        card = wx.text(new_openid(), "公司介绍").article  # exact: the card instead of a search
        assert card["Title"] == "认识青藤互动" and card["Url"].startswith("http://mp.weixin.qq.com/s?")
        above = wx.text(new_openid(), "公司简介？").text  # contains: the card's link above the results
        assert above.startswith(f'<a href="{card["Url"]}">认识青藤互动</a>\n\n')
        assert wx.text(new_openid(), "量子纠缠望远镜").text.endswith("收到你的留言啦，工作时间内会尽快回复。")
    finally:
        app.extensions["caselink"].close()


def test_a_dry_run_saves_nothing(runner, front_desk_redis):
    result = runner.invoke(cli, ["replies", "import", "--dry-run"])
    assert result.exit_code == 0 and "会导入 5 条规则：" in result.output
    stored = json.loads(redis.Redis.from_url(front_desk_redis).get("caselink:frontdesk:answers"))
    assert [r["name"] for r in stored["rules"]] == [r.name for r in load_defaults(CONFIG_DIR).rules]


def test_a_refusal_from_wechat_is_said_plainly(runner, api):
    api.route("GET", "/cgi-bin/get_current_autoreply_info", {"errcode": 48001, "errmsg": "api unauthorized"})
    result = runner.invoke(cli, ["replies", "import"])
    assert result.exit_code == 1
    assert "读取自动回复失败（errcode=48001）" in result.output


def test_without_appid_and_secret_nothing_is_called(api):
    result = CliRunner(env={"WECHAT_APPID": "", "WECHAT_SECRET": "", "CASELINK_DEV": "1"}).invoke(
        cli, ["replies", "import"]
    )
    assert result.exit_code == 2 and "需要 WECHAT_APPID 和 WECHAT_SECRET" in result.output
    assert api.calls == []


def test_switched_off_replies_are_not_imported():
    off = {**AUTOREPLY, "is_add_friend_reply_open": 0, "is_autoreply_open": 0}
    names = [r.name for r in convert(off).rules]
    assert "欢迎语（从公众号导入）" not in names and "没有找到时（从公众号导入）" not in names
    assert "公司介绍" in names
