"""The front desk's fixed answers and small talk, as a new client types them, on the sample content,
a real index and a real Redis (a database of its own: these tests change what every user shares)."""

from __future__ import annotations

import re

import pytest
import redis

from bot import texts
from bot.chat.frontdesk.rules import load_defaults
from bot.chat.replies import TEXT_LIMIT
from config.settings import CONFIG_DIR
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.test_admin import ADMIN_TOKEN, Admin, text_of
from tests.wechat_client import WeChatServer

DEFAULTS = load_defaults(CONFIG_DIR)
NUMBERED = re.compile(r"^\d+\. <a ", re.M)
INTERNAL_URL = "https://www.qingteng.example/internal/cases/auto-live-budget/"


def add_rule(admin, name: str, match: str, keywords: str, text: str, audience: str = "everyone"):
    """Add a text rule through the dashboard form."""
    data = {"name": name, "match": match, "keywords": keywords, "audience": audience, "kind": "text", "text": text}
    return admin.post("/admin/replies", data)


def rule_text(name: str) -> str:
    """What the shipped rule ``name`` answers (its text as the bot sends it)."""
    rule = next(r for r in DEFAULTS.rules if r.name == name)
    return rule.text.replace("{工作时间}", "周一至周五 9:30–18:30")


@pytest.fixture
def bot_settings(tmp_path, front_desk_redis, sample_settings):
    return make_bot_settings(tmp_path, front_desk_redis, sample_settings.index_dir, ADMIN_TOKEN=ADMIN_TOKEN)


@pytest.fixture
def store(bot_app):
    return bot_app.extensions["caselink"].store


@pytest.fixture
def admin(bot_app) -> Admin:
    user = Admin(bot_app)
    assert user.login().status_code == 302
    return user


def searched(store) -> list[str]:
    return [q for q, _ in store.analytics.top("client", "all", 1, 100)]


@pytest.mark.parametrize(
    ("typed", "rule"),
    [
        ("联系方式", None),
        ("怎么联系你们？", None),
        ("怎么收费", "收费"),
        ("请问怎么收费？", "收费"),
        ("地址", "地址"),
        ("在吗", "问候"),
        ("在吗？？", "问候"),
        ("你好呀", "问候"),
        ("您好！", "问候"),
        ("谢谢", "感谢"),
        ("谢谢啦～", "感谢"),
        ("Thanks!", "感谢"),
        ("好的", "好的"),
        ("收到", "好的"),
        ("👍", "表情和标点"),
        ("？？？", "表情和标点"),
        ("。。。", "表情和标点"),
        ("😊😊", "表情和标点"),
        ("工作时间", "工作时间"),
        ("请问地址在哪里？", "地址"),
        ("你们收费贵吗", "收费"),
    ],
)
def test_a_new_client_gets_the_configured_answer_not_a_content_list(wechat, store, typed, rule):
    reply = wechat.text(new_openid("client"), typed).text
    if rule is None:  # the contact card
        assert reply.startswith("青藤互动\n电话：0571-8765 4321\n邮箱：hello@qingteng.example")
        assert "工作时间：周一至周五 9:30–18:30" in reply
    else:
        assert reply == rule_text(rule)
    assert not NUMBERED.search(reply)
    assert "找到" not in reply and "没有找到" not in reply
    assert searched(store) == []  # small talk and fixed answers are not searches


def test_the_shipped_rules_pass_the_checks_the_dashboard_applies():
    import bot.chat  # noqa: F401  (registers the commands a keyword may not be)
    from bot.chat import router
    from bot.chat.frontdesk.checks import check_rule

    for rule in DEFAULTS.rules:
        assert check_rule(rule, DEFAULTS.rules, router.COMMANDS, {}) == [], rule.name


def test_the_recruiting_rule_is_one_card(wechat):
    card = wechat.text(new_openid(), "招聘").article
    assert card["Title"] == "加入青藤互动：正在招聘的职位"
    assert card["Url"] == "https://www.qingteng.example/jobs/"
    assert card["PicUrl"].startswith("https://")


def test_the_subscribe_welcome_comes_from_the_rules(wechat):
    welcome = wechat.event(new_openid(), "subscribe").text
    assert welcome.startswith("你好，欢迎关注青藤互动！")
    assert welcome.endswith(texts.HELP)


def test_searches_still_search_and_are_logged(wechat, store):
    reply = wechat.text(new_openid(), "私域流量").text
    assert reply.startswith("找到 ")
    assert "私域流量" in searched(store)


def test_nothing_found_adds_the_rule_below(wechat):
    reply = wechat.text(new_openid(), "量子纠缠望远镜").text
    assert reply.startswith(texts.NOTHING.format(query="量子纠缠望远镜"))
    assert reply.endswith("\n\n" + rule_text("没有找到时"))


def test_a_rule_added_on_the_dashboard_answers_the_next_message_and_stops_when_deleted(wechat, admin, store):
    user = new_openid()
    assert wechat.text(user, "双十一档期").text.startswith(("找到", "没有"))
    form = {"name": "档期", "match": "exact", "keywords": "双十一档期，618档期", "audience": "everyone"}
    answer = "大促档期请提前 8 周预约：回复「合作」留下需求。"
    page = admin.post("/admin/replies", {**form, "kind": "text", "text": answer})
    assert page.status_code == 200 and "已保存「档期」" in page.text
    assert wechat.text(user, "双十一档期").text == "大促档期请提前 8 周预约：回复「合作」留下需求。"
    assert wechat.text(user, "618 档期！").text.startswith("大促档期")
    rule_id = next(r["id"] for r in store.answers.get()["rules"] if r["name"] == "档期")
    admin.post(f"/admin/replies/{rule_id}/delete")
    assert wechat.text(user, "双十一档期").text.startswith(("找到", "没有"))


def test_editing_a_rule_changes_its_answer(wechat, admin, store):
    wechat.text(new_openid(), "你好")
    rule = next(r for r in store.answers.get()["rules"] if r["name"] == "地址")
    form = admin.get(f"/admin/replies/{rule['id']}").text
    assert "文三路 90 号" in form
    seen = re.search(r'name="seen_at" value="(\d+)"', form).group(1)
    data = {"name": "地址", "match": "exact", "keywords": "地址，公司地址", "audience": "everyone", "kind": "text"}
    moved = {**data, "text": "我们搬家了：杭州市滨江区 1 号。", "seen_at": seen}
    page = admin.post(f"/admin/replies/{rule['id']}", moved)
    assert "已保存「地址」" in page.text
    assert wechat.text(new_openid(), "公司地址").text == "我们搬家了：杭州市滨江区 1 号。"
    assert wechat.text(new_openid(), "办公地址").text.startswith(("找到", "没有"))  # keyword removed
    stale = admin.post(f"/admin/replies/{rule['id']}", {**data, "text": "旧表单里的字", "seen_at": seen})
    assert stale.status_code == 400 and "刚被别人改过" in stale.text and "旧表单里的字" in stale.text


def test_a_contains_rule_is_shown_above_the_search_results(wechat, admin):
    text = "小程序项目可以先看看我们的服务介绍。"
    add_rule(admin, "小程序", "contains", "小程序", text)
    reply = wechat.text(new_openid(), "小程序 案例").text
    assert reply.startswith(text + "\n\n找到 ")
    assert NUMBERED.search(reply)
    assert len(reply.encode("utf-8")) <= TEXT_LIMIT


def test_the_order_decides_between_contains_rules(wechat, admin, store):
    for name, word in (("宽", "直播"), ("窄", "抖音直播")):
        add_rule(admin, name, "contains", word, f"规则{name}")
    assert wechat.text(new_openid(), "抖音直播 案例").text.startswith("规则宽\n\n")
    page = admin.get("/admin/replies").text
    assert "规则「窄」的关键词「抖音直播」不会触发" in text_of(page)
    narrow = next(r["id"] for r in store.answers.get()["rules"] if r["name"] == "窄")
    for _ in range(2):
        admin.post(f"/admin/replies/{narrow}/move", {"direction": "up"})
    names = [r["name"] for r in store.answers.get()["rules"]]
    assert names.index("窄") < names.index("宽")
    assert wechat.text(new_openid(), "抖音直播 案例").text.startswith("规则窄\n\n")


def test_a_rule_for_employees_is_not_sent_to_clients(wechat, admin, bot_app):
    add_rule(admin, "报销", "exact", "报销流程", "报销走 OA。", audience="employee")
    assert wechat.text(new_openid(), "报销流程").text.startswith(("找到", "没有"))
    code = re.search(r"邀请码：(\w+)", wechat.text("o-admin-from-settings", "邀请").text).group(1)
    employee = new_openid("emp")
    wechat.text(employee, f"绑定 {code}")
    assert wechat.text(employee, "报销流程").text == "报销走 OA。"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"keywords": "档期", "text": ""}, "回复的文字不能为空"),
        ({"keywords": "档期", "text": "长" * 1000}, "回复的文字太长：最多 2048 字节"),
        ({"keywords": "地址", "text": "新地址"}, "关键词「地址」已经在规则「地址」里了"),
        ({"keywords": "帮助", "text": "看这里"}, "「帮助」是机器人的命令"),
        ({"keywords": "2", "text": "二"}, "回复数字是用来选搜索结果的"),
        ({"keywords": "", "text": "没有关键词"}, "请至少填一个关键词"),
        ({"keywords": "档期", "text": "<script>alert(1)</script>"}, "其他尖括号请改成全角"),
        ({"keywords": "档期", "text": '<a href="javascript:alert(1)">点我</a>'}, "不是 http(s) 地址"),
    ],
)
def test_bad_rules_are_refused_in_chinese_and_the_form_keeps_what_was_typed(admin, store, form, message):
    before = store.answers.get()
    data = {"name": "新规则", "match": "exact", "audience": "everyone", "kind": "text", **form}
    page = admin.post("/admin/replies", data)
    assert page.status_code == 400
    assert message in text_of(page.text)
    if form["text"]:
        assert form["text"][:50] in page.text.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
    assert store.answers.get() == before


def test_a_card_linking_internal_content_is_refused_for_clients_but_allowed_for_employees(admin, wechat):
    card = {"name": "内部", "match": "exact", "keywords": "驰远报价", "kind": "card", "title": "报价明细"}
    card["url"] = INTERNAL_URL
    refused = admin.post("/admin/replies", {**card, "audience": "everyone"})
    assert refused.status_code == 400
    assert "这条规则会把内部资料「【内部】驰远汽车直播项目报价与投放数据明细」发给客户" in text_of(refused.text)
    in_text = {**card, "kind": "text", "text": f'<a href="{INTERNAL_URL}">看这里</a>', "audience": "client"}
    assert admin.post("/admin/replies", in_text).status_code == 400
    assert admin.post("/admin/replies", {**card, "audience": "employee"}).status_code == 200
    assert wechat.text(new_openid(), "驰远报价").text.startswith(("找到", "没有"))


def test_a_rule_that_became_internal_later_is_not_sent_to_clients(wechat, store, bot_app):
    wechat.text(new_openid(), "你好")  # seeds the defaults

    def sneak(document):  # as if the linked page was marked internal after the rule was saved
        document["rules"].append(
            {
                "id": "rlate",
                "name": "后来变内部",
                "match": "exact",
                "keywords": ["驰远"],
                "kind": "card",
                "title": "驰远",
                "url": INTERNAL_URL,
                "audience": "everyone",
            }
        )
        return document

    store.answers.update(sneak, {})
    reply = wechat.text(new_openid(), "驰远")
    assert reply.fields["MsgType"] == "text"
    assert INTERNAL_URL not in reply.text


def test_the_preview_says_who_answers(admin):
    page = text_of(admin.get("/admin/replies?try=请问怎么收费&as=client").text)
    assert "「收费」（精确）回答，不搜索" in page and "我们按项目报价" in page
    page = text_of(admin.get("/admin/replies?try=私域流量&as=client").text)
    assert "没有规则命中，这句话会被搜索" in page
    page = text_of(admin.get("/admin/replies?try=联系方式&as=employee").text)
    assert "电话：0571-8765 4321" in page


def test_contact_and_hours_are_edited_on_the_page(admin, wechat):
    form = {"company": "青藤互动", "phone": "0571-1234 5678", "email": "hi@qingteng.example", "days": ["1", "2", "3"]}
    page = admin.post("/admin/replies/contact", {**form, "start": "10:00", "end": "17:00"})
    assert "联系方式和工作时间已保存" in page.text
    reply = wechat.text(new_openid(), "联系方式").text
    assert "电话：0571-1234 5678" in reply and "工作时间：周一至周三 10:00–17:00" in reply
    bad = admin.post("/admin/replies/contact", {**form, "phone": "0571-9999", "start": "18:00", "end": "09:00"})
    assert bad.status_code == 400 and "下班时间要晚于上班时间" in text_of(bad.text)
    assert 'value="0571-9999"' in bad.text  # what was typed is still there
    assert "电话：0571-1234 5678" in wechat.text(new_openid(), "电话").text


def test_a_post_without_the_csrf_token_changes_nothing(admin, store):
    wechat_before = store.answers.get()
    page = admin.post("/admin/replies", {"match": "exact", "keywords": "x1", "text": "y"}, token=False)
    assert page.status_code == 400
    assert store.answers.get() == wechat_before


def test_without_redis_the_shipped_answers_still_answer(tmp_path, private_redis, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, sample_settings.index_dir))
    server = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    private_redis.stop()
    try:
        assert server.text(new_openid(), "怎么收费").text == rule_text("收费")
    finally:
        app.extensions["caselink"].close()


def test_seeding_happens_once_and_keeps_admin_changes(wechat, store, front_desk_redis):
    wechat.text(new_openid(), "你好")
    stored = store.answers.get()
    assert [r["name"] for r in stored["rules"]] == [r.name for r in DEFAULTS.rules]
    redis.Redis.from_url(front_desk_redis).set(
        "caselink:frontdesk:answers", '{"version": 5, "rules": [], "contact": {}, "hours": {}}'
    )
    assert wechat.text(new_openid(), "怎么收费").text.startswith(("找到", "没有"))  # all deleted stays deleted


def test_a_rule_made_through_one_gunicorn_worker_answers_through_the_other(front_desk_redis, sample_settings, tmp_path):
    import requests

    from tests.bot_fixtures import run_gunicorn
    from tests.wechat_client import HttpClient

    with run_gunicorn(front_desk_redis, sample_settings.index_dir, tmp_path, ADMIN_TOKEN=ADMIN_TOKEN) as url:
        server = WeChatServer(HttpClient(url), TOKEN, AES_KEY, APPID)
        clients = [new_openid() for _ in range(8)]
        # Eight messages land on both workers (sync workers take turns at random): both have read the
        # front desk before the rule is added through one of them.
        for user in clients:
            assert server.text(user, "双十一档期", "safe").text.startswith(("找到", "没有"))
        dashboard = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard.get(url + "/admin/login").text).group(1)
        dashboard.post(url + "/admin/login", data={"token": ADMIN_TOKEN, "csrf_token": token}, timeout=10)
        form = dashboard.get(url + "/admin/replies/new", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        rule = {"name": "档期", "match": "exact", "keywords": "双十一档期", "audience": "everyone", "kind": "text"}
        saved = dashboard.post(
            url + "/admin/replies", data={**rule, "text": "大促档期请提前预约。", "csrf_token": token}
        )
        assert "已保存「档期」" in saved.text
        for user in clients:
            assert server.text(user, "双十一档期", "safe").text == "大促档期请提前预约。"
        rule_id = re.search(r'id="rule-(r[0-9a-f]+)"', saved.text).group(1)
        dashboard.post(url + f"/admin/replies/{rule_id}/delete", data={"csrf_token": token}, timeout=10)
        for user in clients:
            assert server.text(user, "双十一档期", "safe").text.startswith(("找到", "没有"))
