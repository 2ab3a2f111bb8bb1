"""Teaching in chat (同义, 置顶, 取消置顶) and what users then get: chat, the /r page, other workers.

Real Redis, the real sample index, messages signed as WeChat signs them; rules made by a test are
removed after it (``forget_rules``), and each test teaches words of its own where it can.
"""

from __future__ import annotations

import math

import pytest

from bot import create_app, links, texts
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, new_openid, run_gunicorn
from tests.teaching_helpers import SHUANGWEI_TITLE, forget_rules, listed, unique_word
from tests.wechat_client import HttpClient, WeChatServer

__all__ = ["forget_rules"]

PIN_QUERY = "小程序"
INTERNAL_QUERY = "投放报价"  # an employee gets internal price sheets first, a client 3 public posts (「报价」 alone
# is a client's request for a quote: the front desk answers it with the lead form)


@pytest.fixture(autouse=True)
def _clean(forget_rules):
    yield


@pytest.fixture
def store(bot_app):
    return bot_app.extensions["caselink"].store


def employee(wechat, store) -> str:
    user = new_openid("employee")
    code = store.people.create_invite("employee", "test")
    assert wechat.text(user, f"绑定 {code}").text == texts.BIND_OK.format(role="员工")
    return user


def internal_urls(searcher) -> set[str]:
    return {h.url for h in searcher.latest(audience="employee", limit=1000) if h.visibility == "internal"}


def test_a_synonym_taught_in_chat_applies_to_the_next_message(wechat):
    word, client = unique_word(), new_openid()
    assert wechat.text(client, word).text.startswith("没有找到")
    taught = wechat.text(ADMIN, f"同义 {word} 双微一抖").text
    assert taught.startswith("记住了") and f"「{word}」" in taught and "「双微一抖」" in taught
    assert "搜不到" not in taught
    nowhere = wechat.text(ADMIN, f"同义 {word} {unique_word()}").text
    assert nowhere.startswith("记住了") and "现在也搜不到内容" in nowhere
    # the same key however it is typed: case, punctuation, filler around it
    for typed in (word, f"{word.upper()}？", f"有没有{word}的文章"):
        answer = wechat.text(client, typed).text
        assert answer.startswith("找到 "), (typed, answer)
        assert SHUANGWEI_TITLE in answer
    assert f"· {word} → 双微一抖" in wechat.text(ADMIN, "同义").text
    assert "已取消 1 条同义规则" in wechat.text(ADMIN, f"取消同义 {word} 双微一抖").text
    assert wechat.text(client, word).text.startswith("没有找到")
    assert "已取消 1 条同义规则" in wechat.text(ADMIN, f"取消同义 {word}").text  # every rewrite of the word
    assert f"「{word}」没有同义规则" in wechat.text(ADMIN, f"取消同义 {word}").text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("同义 有没有 双微一抖", "里没有可以搜索的词"),
        ("同义 营销 营销？", "是同一个词"),
        ("同义 营销", "用法：同义 词A 词B"),
        ("同义 " + "长" * 31 + " 营销", "太长了"),
        ("置顶 一", "先搜索，再发送「置顶 序号」"),
        ("取消同义", "用法：同义 词A 词B"),
    ],
)
def test_teaching_commands_explain_what_is_wrong(wechat, store, typed, expected):
    before = store.rules.count()
    assert expected in wechat.text(ADMIN, typed).text
    assert store.rules.count() == before


def test_only_admins_can_teach(wechat, store):
    word = unique_word()
    for user in (new_openid(), employee(wechat, store)):
        for typed in (f"同义 {word} 双微一抖", "置顶 1", "取消置顶"):
            reply = wechat.text(user, typed).text
            assert reply.startswith(("没有找到", "找到 ", "没有与")), reply  # searched, nothing revealed
        wechat.text(user, PIN_QUERY)
        wechat.text(user, "置顶 3")
    assert not any(word in r["query"] for r in store.rules.all())
    assert not [r for r in store.rules.all() if r["type"] == "pin" and r["query"] == PIN_QUERY]


def test_pin_after_a_search_puts_that_result_first_for_everyone(wechat):
    shown = listed(wechat.text(ADMIN, PIN_QUERY).text)
    number, url, title = shown[3]
    assert shown[0][1] != url
    reply = wechat.text(ADMIN, f"置顶 {number}").text
    assert reply.startswith("已置顶") and f"「{PIN_QUERY}」" in reply and "内部" not in reply
    for user, typed in ((new_openid(), PIN_QUERY), (new_openid(), f"{PIN_QUERY}？"), (ADMIN, PIN_QUERY)):
        first = listed(wechat.text(user, typed).text)[0]
        assert first[1:] == (url, title), typed
    assert wechat.text(ADMIN, "取消置顶").text == texts.TEACH_UNPIN_OK.format(query=PIN_QUERY, count=1)
    assert listed(wechat.text(new_openid(), PIN_QUERY).text)[0][1] == shown[0][1]
    assert wechat.text(ADMIN, "取消置顶").text == texts.TEACH_UNPIN_NONE.format(query=PIN_QUERY)


def test_pin_needs_a_search_and_a_listed_number(wechat):
    admin = ADMIN
    wechat.text(admin, PIN_QUERY)
    assert "没有第 99 条" in wechat.text(admin, "置顶 99").text


def test_a_query_that_found_nothing_can_get_a_pinned_answer(wechat, searcher):
    word, hidden = unique_word(), internal_urls(searcher)
    nothing = wechat.text(ADMIN, word).text
    assert nothing.startswith("没有找到")
    # the newest items offered instead; an admin sees internal ones too
    number, url, _ = next(item for item in listed(nothing) if item[1] not in hidden)
    assert wechat.text(ADMIN, f"置顶 {number}").text.startswith("已置顶")
    answer = wechat.text(new_openid(), word).text
    assert answer.startswith("找到 1 条") and listed(answer)[0][1] == url


def test_a_pinned_internal_document_never_reaches_a_client(wechat, store, searcher, bot_app):
    hidden = internal_urls(searcher)
    shown = listed(wechat.text(ADMIN, INTERNAL_QUERY).text)
    assert shown[0][1] in hidden
    reply = wechat.text(ADMIN, "置顶 1").text
    assert reply.startswith("已置顶") and "客户看不到" in reply
    assert listed(wechat.text(employee(wechat, store), INTERNAL_QUERY).text)[0][1] == shown[0][1]
    client_answer = wechat.text(new_openid(), INTERNAL_QUERY).text
    assert listed(client_answer) and not any(url in hidden for _, url, _ in listed(client_answer))
    assert "内部" not in client_answer
    # the results page: a client's link, and an employee's link opened by someone unverified
    for audience in ("client", "employee"):
        token = links.make_token("caselink-test-secret-key", links.ResultLink(INTERNAL_QUERY, audience))
        page = bot_app.test_client().get(f"/r/{token}")
        assert page.status_code == 200 and client_answer.count("<a href") <= page.text.count("<a href")
        assert not any(url in page.text for url in hidden), audience


def test_a_synonym_cannot_show_a_client_what_only_employees_see(wechat, store, searcher, bot_app):
    word, hidden = unique_word(), internal_urls(searcher)
    assert wechat.text(ADMIN, f"同义 {word} {INTERNAL_QUERY}").text.startswith("记住了")
    staff = listed(wechat.text(employee(wechat, store), word).text)
    assert any(url in hidden for _, url, _ in staff)
    client = listed(wechat.text(new_openid(), word).text)
    assert client and not any(url in hidden for _, url, _ in client)
    token = links.make_token("caselink-test-secret-key", links.ResultLink(word, "client"))
    page = bot_app.test_client().get(f"/r/{token}").text
    assert client[0][2] in page and not any(url in page for url in hidden)


def test_picks_lift_a_result_for_its_query(wechat, searcher):
    from bot.teaching import LIFT_THRESHOLD, lift

    hits = searcher.search(PIN_QUERY, limit=5).hits
    # the lowest of the first five that the lift of LIFT_THRESHOLD picks moves above its neighbour
    target = max(i for i in range(1, 5) if hits[i].score * lift(LIFT_THRESHOLD) > hits[i - 1].score)
    wanted = hits[target]
    one = new_openid()
    for _ in range(3):  # the same person picking again and again counts once a day
        wechat.text(one, PIN_QUERY)
        assert wechat.text(one, str(target + 1)).article["Url"] == wanted.url
    assert listed(wechat.text(new_openid(), PIN_QUERY).text)[target][1] == wanted.url
    for _ in range(math.ceil(LIFT_THRESHOLD) - 1):
        user = new_openid()
        wechat.text(user, PIN_QUERY)
        assert wechat.text(user, str(target + 1)).article["Url"] == wanted.url
    after = [url for _, url, _ in listed(wechat.text(new_openid(), PIN_QUERY).text)]
    assert after.index(wanted.url) < target


def test_a_rule_made_through_one_worker_applies_in_another(bot_settings):
    # Two apps on one Redis are two workers: each keeps its own compiled rules.
    first, second = create_app(bot_settings), create_app(bot_settings)
    try:
        one = WeChatServer(first.test_client(), TOKEN, AES_KEY, APPID)
        two = WeChatServer(second.test_client(), TOKEN, AES_KEY, APPID)
        word, client = unique_word(), new_openid()
        assert two.text(client, word, "safe").text.startswith("没有找到")  # the second worker has compiled its rules
        assert one.text(ADMIN, f"同义 {word} 双微一抖", "safe").text.startswith("记住了")
        assert SHUANGWEI_TITLE in two.text(client, word, "safe").text
        assert one.text(ADMIN, f"取消同义 {word}", "safe").text.startswith("已取消")
        assert two.text(client, word, "safe").text.startswith("没有找到")
    finally:
        first.extensions["caselink"].close()
        second.extensions["caselink"].close()


def test_teaching_through_gunicorn_reaches_every_worker(redis_url, sample_settings, searcher, tmp_path):
    hidden = internal_urls(searcher)
    with run_gunicorn(redis_url, sample_settings.index_dir, tmp_path, ADMIN_OPENIDS=ADMIN) as url:
        server = WeChatServer(HttpClient(url), TOKEN, AES_KEY, APPID)
        word, clients = unique_word(), [new_openid() for _ in range(8)]
        # Eight messages land on both workers (sync workers take turns at random), so both have
        # compiled the rules before the admin teaches through one of them.
        for user in clients:
            assert server.text(user, word, "safe").text.startswith("没有找到")
        assert server.text(ADMIN, f"同义 {word} 双微一抖", "safe").text.startswith("记住了")
        for user in clients:
            assert SHUANGWEI_TITLE in server.text(user, word, "safe").text
        first = listed(server.text(ADMIN, INTERNAL_QUERY, "safe").text)[0]
        assert first[1] in hidden and server.text(ADMIN, "置顶 1", "safe").text.startswith("已置顶")
        for user in clients:
            shown = listed(server.text(user, INTERNAL_QUERY, "safe").text)
            assert shown and not any(u in hidden for _, u, _ in shown)
        assert server.text(ADMIN, f"取消同义 {word}", "safe").text.startswith("已取消")
        for user in clients:
            assert server.text(user, word, "safe").text.startswith("没有找到")


@pytest.mark.parametrize("sender", ["o-管理员", "\U0007e654\U000ac98aS\x89}B", "o-admin-from-settings\u00e9"])
def test_a_non_ascii_sender_is_an_ordinary_client(wechat, sender):
    # the admin check compares openids in constant time; odd characters must not break it
    reply = wechat.text(sender, "同义 词甲 词乙").text
    assert reply != texts.SORRY and reply.startswith(("没有找到", "找到 ", "没有与"))  # searched, not taught
