"""Teaching on the dashboard: 教它 from the hot words and the search preview, the rules page, and
what chat users get right after (Flask test client, real Redis, the sample index)."""

from __future__ import annotations

import re
import time

import pytest
import redis

from bot.web.view import fmt_time
from tests.bot_fixtures import ADMIN, new_openid
from tests.conftest import suite_db
from tests.teaching_helpers import SHUANGWEI_ID, SHUANGWEI_TITLE, forget_rules, listed, unique_word
from tests.test_admin import ADMIN_TOKEN, Admin, section, text_of

__all__ = ["forget_rules"]

INTERNAL_ID = "case-auto-live-budget-internal"
INTERNAL_TITLE = "【内部】驰远汽车直播项目报价与投放数据明细"
PIN_QUERY = "小程序"
RULE_ID = re.compile(r'name="id" value="([^"]+)"')


OWN_DB = 12


@pytest.fixture
def redis_url(redis_url) -> str:
    """A database of this module's own, emptied per test: the hot words page lists the most searched
    words, and the rest of the suite's searches on the shared database would push this test's word out."""
    url = suite_db(redis_url, OWN_DB)
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(autouse=True)
def _clean(forget_rules):
    yield


@pytest.fixture
def bot_env() -> dict:
    return {"ADMIN_TOKEN": ADMIN_TOKEN}


@pytest.fixture
def admin(bot_app) -> Admin:
    user = Admin(bot_app)
    assert user.login().status_code == 302
    return user


def teach_section(admin: Admin, query: str, **args) -> str:
    extra = "".join(f"&{k}={v}" for k, v in args.items())
    return section(admin.get(f"/admin/search?q={query}{extra}").text, "teach")


def test_the_hot_words_page_offers_to_teach_each_query(admin, wechat):
    word = unique_word()
    assert wechat.text(new_openid(), word).text.startswith("没有找到")
    zero = section(admin.get("/admin/queries").text, "days-7").split("客户搜了没有结果的")[1]
    assert re.search(rf'href="/admin/search\?q={word}#teach"[^>]*>教它</a>', zero)
    assert "还没有" in teach_section(admin, word)


def test_a_rewrite_added_on_the_preview_applies_to_the_next_message(admin, wechat):
    word, client = unique_word(), new_openid()
    page = admin.post("/admin/rules/rewrite", {"query": word, "target": "双微一抖", "back": "search"})
    assert page.request.path == "/admin/search" and page.request.args["q"] == word
    assert f"已添加：搜索「{word}」时也搜索「双微一抖」" in page.text and "搜不到" not in page.text
    teach = text_of(section(page.text, "teach"))
    assert f"搜索「 {word} 」时也搜索「双微一抖」" in teach and "管理后台" in teach
    assert fmt_time(time.time())[:13] in teach  # when: the hour it was made
    for column in ("client", "employee"):
        shown = section(page.text, column)
        assert SHUANGWEI_TITLE in shown and "同义规则找到" in shown
    answer = wechat.text(client, word).text
    assert answer.startswith("找到 ") and SHUANGWEI_TITLE in answer

    rule_id = RULE_ID.search(section(page.text, "teach")).group(1)
    listed_rules = admin.get("/admin/rules").text
    assert rule_id in listed_rules and word in section(listed_rules, "rules")
    removed = admin.post("/admin/rules/remove", {"id": rule_id, "query": word, "back": "search"})
    assert "规则已删除" in removed.text and "还没有" in section(removed.text, "teach")
    assert wechat.text(client, word).text.startswith("没有找到")
    assert "没有这条规则" in admin.post("/admin/rules/remove", {"id": rule_id}).text


def test_a_pin_button_on_the_preview_puts_that_result_first(admin, wechat):
    before = admin.get(f"/admin/search?q={PIN_QUERY}").text
    docs = re.findall(r'name="doc" value="([^"]+)"', section(before, "employee"))
    assert len(docs) >= 5  # a 置顶 button on every hit an employee sees
    title = admin_hit_titles(before, "employee")[3]
    page = admin.post("/admin/rules/pin", {"query": PIN_QUERY, "doc": docs[3], "back": "search"})
    assert f"已置顶：搜索「{PIN_QUERY}」时「{title}」排在第一" in page.text
    for column in ("client", "employee"):
        titles = admin_hit_titles(page.text, column)
        assert titles[0] == title and titles.count(title) == 1
        assert '<span class="badge good taught">置顶</span>' in section(page.text, column).split("</li>")[0]
    assert listed(wechat.text(new_openid(), PIN_QUERY).text)[0][2] == title


def admin_hit_titles(page: str, column: str) -> list[str]:
    return re.findall(r'target="_blank">([^<]+)</a>', section(page, column))


def test_something_else_can_be_found_and_pinned_for_a_query_that_found_nothing(admin, wechat):
    word = unique_word()
    teach = teach_section(admin, word, pin_q="双微一抖")
    assert SHUANGWEI_TITLE in teach and f'value="{SHUANGWEI_ID}"' in teach
    page = admin.post("/admin/rules/pin", {"query": word, "doc": SHUANGWEI_ID, "back": "search"})
    assert admin_hit_titles(page.text, "client") == [SHUANGWEI_TITLE]
    answer = wechat.text(new_openid(), word).text
    assert answer.startswith("找到 1 条") and SHUANGWEI_TITLE in answer


def test_a_pinned_internal_document_stays_out_of_the_client_column(admin, wechat):
    page = admin.post("/admin/rules/pin", {"query": PIN_QUERY, "doc": INTERNAL_ID, "back": "search"})
    assert "内部内容：只有员工会看到它排在第一" in page.text
    assert admin_hit_titles(page.text, "employee")[0] == INTERNAL_TITLE
    assert INTERNAL_TITLE not in section(page.text, "client")
    assert INTERNAL_TITLE not in wechat.text(new_openid(), PIN_QUERY).text
    assert listed(wechat.text(ADMIN, PIN_QUERY).text)[0][2] == INTERNAL_TITLE


def test_rules_made_in_chat_show_who_made_them(admin, wechat):
    word = unique_word()
    assert wechat.text(ADMIN, f"同义 {word} 双微一抖").text.startswith("记住了")
    rows = re.findall(r"<tr>(.*?)</tr>", section(admin.get("/admin/rules").text, "rules"), re.S)
    row = text_of(next(r for r in rows if word in r))
    assert "同义" in row and "双微一抖" in row and "微信 o-admin" in row and fmt_time(time.time())[:10] in row
    assert "微信 o-admin" in text_of(teach_section(admin, f"有没有{word}的文章"))  # rules of the query as typed


@pytest.mark.parametrize(
    ("path", "form", "message"),
    [
        ("/admin/rules/rewrite", {"query": "有没有", "target": "双微一抖"}, "没有可以搜索的词"),
        ("/admin/rules/rewrite", {"query": "营销", "target": "營銷"}, "同一个词"),
        ("/admin/rules/pin", {"query": "营销", "doc": "no-such-document"}, "已不在内容库里"),
        ("/admin/rules/pin", {"query": "？", "doc": SHUANGWEI_ID}, "没有可以搜索的词"),
    ],
)
def test_bad_teaching_forms_say_why_and_store_nothing(admin, bot_app, path, form, message):
    rules = bot_app.extensions["caselink"].store.rules
    before = rules.count()
    page = admin.post(path, form)
    assert page.status_code == 200 and message in page.text
    assert rules.count() == before


def test_teaching_forms_need_a_csrf_token(admin, bot_app):
    rules = bot_app.extensions["caselink"].store.rules
    before = rules.count()
    word = unique_word()
    for path, form in [
        ("/admin/rules/rewrite", {"query": word, "target": "双微一抖"}),
        ("/admin/rules/pin", {"query": word, "doc": SHUANGWEI_ID}),
        ("/admin/rules/remove", {"id": "rewrite:x→y"}),
    ]:
        assert admin.post(path, form, token=False).status_code == 400
        assert admin.post(path, {**form, "csrf_token": "forged"}, token=False).status_code == 400
    assert rules.count() == before
    assert admin.post("/admin/rules/rewrite", {"query": "长" * 101, "target": "x"}).status_code == 400


def test_a_rewrite_to_words_that_find_nothing_is_kept_with_a_warning(admin, bot_app):
    word, nowhere = unique_word(), unique_word()
    page = admin.post("/admin/rules/rewrite", {"query": word, "target": nowhere, "back": "search"})
    assert "已添加" in page.text and f"提示：「{nowhere}」现在也搜不到内容" in page.text
    assert any(r["target"] == nowhere for r in bot_app.extensions["caselink"].store.rules.all())
