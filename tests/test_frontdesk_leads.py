"""Leads: the form in the chat, the durable record, the push to every admin and the dashboard page,
on a real Redis (a database of its own) with the WeChat API played by tests/stubs.StubServer."""

from __future__ import annotations

import csv
import io
import logging
import re
import time

import pytest
import redis

from bot.chat.frontdesk import leads as form
from tests.bot_fixtures import ADMIN, make_bot_settings, new_openid
from tests.stubs import StubServer
from tests.test_admin import ADMIN_TOKEN, Admin, text_of

PUSH = "/cgi-bin/message/custom/send"


@pytest.fixture
def api():
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "T", "expires_in": 7200},
            ("POST", PUSH): {"errcode": 0, "errmsg": "ok"},
        }
    ) as stub:
        yield stub


@pytest.fixture
def bot_settings(tmp_path, front_desk_redis, sample_settings, api):
    return make_bot_settings(
        tmp_path,
        front_desk_redis,
        sample_settings.index_dir,
        ADMIN_TOKEN=ADMIN_TOKEN,
        WECHAT_API_BASE=api.url + "/cgi-bin/",
        PUBLIC_BASE_URL="https://bot.example.cn",
    )


@pytest.fixture
def admin(bot_app) -> Admin:
    user = Admin(bot_app)
    assert user.login().status_code == 302
    return user


@pytest.fixture
def store(bot_app):
    return bot_app.extensions["caselink"].store


def pushes(api, count: int, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while len(api.calls_to(PUSH)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return [c.json for c in api.calls_to(PUSH)]


def fill(wechat, user: str, answers: list[str]) -> list[str]:
    return [wechat.text(user, line).text for line in answers]


def test_a_client_asks_for_cooperation_and_every_admin_sees_the_lead(wechat, api, admin, store, caplog):
    caplog.set_level(logging.DEBUG)
    code = re.search(r"邀请码：(\w+)", wechat.text(ADMIN, "邀请 管理员").text).group(1)
    promoted = new_openid("admin2")
    wechat.text(promoted, f"绑定 {code}")

    client = new_openid("client")
    opening = wechat.text(client, "我想咨询合作").text
    assert form.CONSENT in opening and opening.endswith(form.QUESTIONS["name"])
    replies = fill(wechat, client, ["张三", "山野茶事", "138 1234 5678", "想做小红书种草，预算 20 万左右"])
    assert replies[:3] == [form.QUESTIONS["company"], form.QUESTIONS["contact"], form.QUESTIONS["need"]]
    thanks = replies[3]
    number = re.search(r"编号 (\d+)", thanks).group(1)
    assert thanks.startswith("谢谢，张三！需求已收到") and "周一至周五 9:30–18:30" in thanks

    sent = pushes(api, 2)
    assert {p["touser"] for p in sent} == {ADMIN, promoted}
    text = sent[0]["text"]["content"]
    assert f"新线索 #{number}" in text and "13812345678（手机）" in text and "山野茶事" in text
    assert '<a href="https://bot.example.cn/admin/leads">' in text

    page = admin.get("/admin/leads").text
    row = re.search(rf'<tr id="lead-{number}".*?</tr>', page, re.S).group(0)
    assert "张三" in row and "13812345678" in row and "小红书种草" in row and "新线索" in text_of(row)
    assert re.search(r'id="lead-badge"[^>]*>1<', page)

    rows = list(csv.reader(io.StringIO(admin.get("/admin/leads.csv").text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["编号", "时间", "称呼", "公司", "联系方式"]
    assert [number, "张三", "山野茶事", "13812345678", "手机"] == [rows[1][0], *rows[1][2:6]]

    saved = admin.post(f"/admin/leads/{number}", {"status": "contacted", "handler": "李四", "notes": "周三回电"})
    assert f"线索 #{number} 已保存：已联系" in saved.text
    assert 'id="lead-badge"' not in saved.text
    assert store.leads.get(number)["handler"] == "李四"
    assert "13812345678" not in caplog.text  # the phone number never reaches the log


@pytest.mark.parametrize(
    ("typed", "problem", "kept"),
    [
        ("12345", form.BAD_MOBILE, None),
        ("2381234567a", form.BAD_CONTACT, None),
        ("找我", form.BAD_CONTACT, None),
        ("+86 139-0000-1111", None, "13900001111"),
        ("8613900001111", None, "13900001111"),
        ("qt_hello2024", None, "qt_hello2024"),
        ("微信号：qt_hello2024", None, "qt_hello2024"),
        ("手机 139 0000 1111", None, "13900001111"),
        ("电话是13900001111", None, "13900001111"),
        ("wx: qt_hello2024", None, "qt_hello2024"),
        ("wxid_qt2024hello", None, "wxid_qt2024hello"),
        ("微信", form.BAD_CONTACT, None),
    ],
)
def test_contact_formats(wechat, store, typed, problem, kept):
    user = new_openid()
    fill(wechat, user, ["合作", "王五", "个人"])
    reply = wechat.text(user, typed).text
    if problem:
        assert reply == f"{problem}\n{form.QUESTIONS['contact']}"
        assert store.flows.get(user)["data"]["step"] == "contact"
    else:
        assert reply == form.QUESTIONS["need"]
        assert store.flows.get(user)["data"]["answers"]["contact"] == kept


def test_emoji_and_very_long_answers_are_asked_again_and_nothing_is_lost(wechat, store):
    user = new_openid()
    wechat.text(user, "合作")
    assert wechat.text(user, "😀😀").text == "请用文字回答哦。\n" + form.QUESTIONS["name"]
    fill(wechat, user, ["赵六", "禾丰超市", "13800001111"])
    long_need = "我们想做一次全年的社交媒体整合营销" * 125  # 2,000 characters
    reply = wechat.text(user, long_need).text
    assert reply.startswith(f"有点长（{len(long_need)} 个字），请控制在 500 个字以内")
    assert reply.endswith(form.QUESTIONS["need"])
    done = wechat.text(user, "全年社交媒体整合营销").text
    number = re.search(r"编号 (\d+)", done).group(1)
    lead = store.leads.get(number)
    assert (lead["name"], lead["company"], lead["contact"]) == ("赵六", "禾丰超市", "13800001111")


def test_cancel_leaves_and_saves_nothing(wechat, store):
    user = new_openid()
    fill(wechat, user, ["合作", "钱七"])
    assert wechat.text(user, "取消").text == form.CANCELLED
    assert store.flows.get(user) is None
    assert wechat.text(user, "钱七").text.startswith(("找到", "没有"))  # a search again
    assert store.leads.recent() == []


def test_thirty_minutes_of_silence_close_the_form(wechat, front_desk_redis):
    user = new_openid()
    fill(wechat, user, ["合作", "孙八"])
    r = redis.Redis.from_url(front_desk_redis)
    assert 1700 < r.ttl(f"caselink:flow:{user}") <= 1800
    r.pexpire(f"caselink:flow:{user}", 1)  # as if half an hour passed
    time.sleep(0.01)
    assert wechat.text(user, "山野茶事").text.startswith(("找到", "没有"))


def test_a_command_in_the_middle_is_answered_and_the_form_waits(wechat):
    user = new_openid()
    fill(wechat, user, ["合作", "周九"])
    assert wechat.text(user, "帮助").text.startswith("直接发送关键词")
    assert wechat.text(user, "周氏餐饮").text == form.QUESTIONS["contact"]


def test_asking_for_a_person_in_the_middle_closes_the_form_and_hands_off(wechat, store):
    user = new_openid()
    fill(wechat, user, ["合作", "周九"])
    reply = wechat.text(user, "转人工").text
    assert "电话：0571-8765 4321" in reply and form.QUESTIONS["contact"] not in reply
    assert store.flows.get(user) is None
    assert store.leads.recent() == []


def test_duplicates_and_too_many_leads_are_kept_out(wechat, store):
    user = new_openid()
    answers = ["合作", "吴十", "吴记", "13711112222", "年度代运营"]
    assert "编号" in fill(wechat, user, answers)[-1]
    assert fill(wechat, user, answers)[-1] == form.DUPLICATE
    for need in ("直播", "小程序"):
        fill(wechat, user, [*answers[:-1], need])
    assert len(store.leads.recent()) == 3
    refused = wechat.text(user, "合作").text
    assert refused.startswith("你今天已经提交过 3 次需求了") and "电话：0571-8765 4321" in refused
    assert store.flows.get(user) is None


def test_when_wechat_refuses_the_push_the_badge_tells_the_admin(wechat, api, admin, store):
    api.route("POST", PUSH, {"errcode": 48001, "errmsg": "api unauthorized"})
    user = new_openid()
    number = re.search(r"编号 (\d+)", fill(wechat, user, ["合作", "郑一", "郑家", "13600000000", "品牌"])[-1]).group(1)
    deadline = time.monotonic() + 10
    while store.leads.get(number).get("pushed") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.leads.get(number)["pushed"] == "0"
    page = admin.get("/admin/").text
    assert re.search(r'id="lead-badge"[^>]*>1<', page)
    assert "没能推送给管理员" in admin.get("/admin/leads").text


def test_typed_markup_is_escaped_and_csv_formulas_are_defused(wechat, admin):
    user = new_openid()
    replies = fill(wechat, user, ["合作", "<a href=x>老王</a>", '=HYPERLINK("http://x")', "13500000000", "官网"])
    assert "＜a href=x＞老王＜/a＞" in replies[-1] and "<a " not in replies[-1]
    rows = list(csv.reader(io.StringIO(admin.get("/admin/leads.csv").text.lstrip("\ufeff"))))
    assert rows[1][3].startswith("'=HYPERLINK")
    page = admin.get("/admin/leads").text
    assert "&lt;a href=x&gt;老王" in page


def test_leads_survive_without_a_ttl(wechat, front_desk_redis):
    user = new_openid()
    fill(wechat, user, ["合作", "冯二", "冯家", "13300000000", "短视频"])
    r = redis.Redis.from_url(front_desk_redis)
    assert all(r.ttl(key) == -1 for key in r.scan_iter("caselink:leads:item:*"))
    assert r.ttl("caselink:leads:index") == -1


def test_the_leads_page_filters_by_status_and_refuses_bad_input(wechat, admin):
    user = new_openid()
    number = re.search(r"编号 (\d+)", fill(wechat, user, ["合作", "陈三", "陈家", "13200000000", "SEO"])[-1]).group(1)
    assert "陈三" not in admin.get("/admin/leads?status=closed").text
    assert "陈三" in admin.get("/admin/leads?status=new").text
    bad = admin.post(f"/admin/leads/{number}", {"status": "done", "handler": "x"})
    assert "没有保存线索" in bad.text
    assert admin.post("/admin/leads/1", {"status": "new"}, token=False).status_code == 400


def test_answers_are_kept_as_written(wechat, store):
    user = new_openid()
    typed = ["合作", "張三", "山野茶事（杭州）", "１３８ ００００ ２２２２", "想做种草，预算 20 万。"]
    done = fill(wechat, user, typed)[-1]
    lead = store.leads.get(re.search(r"编号 (\d+)", done).group(1))
    assert (lead["name"], lead["company"]) == ("張三", "山野茶事（杭州）")
    assert lead["contact"] == "13800002222" and lead["need"] == "想做种草，预算 20 万。"
