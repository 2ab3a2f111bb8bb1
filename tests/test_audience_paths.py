"""Every way of reaching a document, for every audience: a client never gets an internal one.

The mask lives in one place (indexer/audience.py); these tests walk each search path the bot and the
results page have — words, filler only (有没有案例), #tag, a kind alone, 最新, 更多, picks, /r — as a
client and as an employee, on the sample content (six internal cases) through the webhook.
"""

from __future__ import annotations

import re

import pytest

from bot import links
from tests.bot_fixtures import new_openid

LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')
BASE = "https://bot.example.cn"
# Each path reaches internal documents for an employee (checked below, so a client's empty answer proves
# the mask and not a path that simply finds nothing).
PATHS = ["有没有案例", "案例", "#私域流量", "#内部", "最新", "最新 案例", "私域流量 复盘", "报价", "案例 报价"]


@pytest.fixture
def bot_env():
    return {"PUBLIC_BASE_URL": BASE}


@pytest.fixture
def internal(searcher) -> set[str]:
    urls = {h.url for h in searcher.latest(audience="employee", limit=1000) if h.visibility == "internal"}
    assert len(urls) >= 4
    return urls


def walk(wechat, user: str, typed: str) -> tuple[set[str], list[str]]:
    """Send ``typed``, page with 更多 to the end, pick every number shown: every URL reached, and /r links."""
    seen: set[str] = set()
    pages: list[str] = []
    text = wechat.text(user, typed).text
    shown = 0
    for _ in range(15):
        found = LINK.findall(text)
        pages += [u for u, _ in found if u.startswith(BASE + "/r/")]
        hits = [u for u, label in found if not u.startswith(BASE)]
        seen |= set(hits)
        shown += len(hits)
        if not hits or "更多" not in text:
            break
        text = wechat.text(user, "更多").text
    for n in range(1, shown + 1):
        reply = wechat.text(user, str(n))
        if reply.fields.get("MsgType") == "news":
            seen.add(reply.article["Url"])
    return seen, pages


@pytest.mark.parametrize("typed", PATHS)
def test_each_path_shows_internal_content_to_employees_only(wechat, bot_app, internal, typed):
    employee, client = new_openid("emp"), new_openid("client")
    people = bot_app.extensions["caselink"].store.people
    people.set_role(employee, "employee")
    try:
        employee_seen, _ = walk(wechat, employee, typed)
    finally:
        people.revoke_role(employee)  # the team list (shared Redis) is other tests' business
    assert employee_seen & internal, f"{typed}: an employee reaches internal content this way"
    client_seen, pages = walk(wechat, client, typed)
    assert not client_seen & internal, typed
    web = bot_app.test_client()
    for url in pages:  # the client's "查看全部" page lists public hits only
        html = web.get(url.removeprefix(BASE)).get_data(as_text=True)
        assert not any(u in html for u in internal), typed


@pytest.mark.parametrize("typed", ["有没有案例", "#私域流量", "#内部", "案例", "报价 复盘"])
def test_a_client_results_page_never_lists_internal_hits(bot_app, internal, typed):
    secret = bot_app.extensions["caselink"].settings.secret_key
    kind = "case" if typed == "案例" else None
    token = links.make_token(secret, links.ResultLink("" if kind else typed, "client", kind, None))
    html = bot_app.test_client().get("/r/" + token).get_data(as_text=True)
    assert not any(u in html for u in internal), typed
    assert ("<li>" in html) == (typed != "#内部"), typed  # public hits are listed (#内部 has none)


@pytest.mark.parametrize("audience", ["client", "employee"])
def test_every_searcher_method_applies_the_audience(searcher, audience):
    def visible(hits) -> bool:
        return all(h.visibility == "public" for h in hits)

    results = [
        searcher.search("有没有案例", audience=audience, limit=100).hits,
        searcher.search("案例", audience=audience, limit=100).hits,
        searcher.search("", kind="case", audience=audience, limit=100).hits,
        searcher.search("", tag="内部", audience=audience, limit=100).hits,
        searcher.search("#报价", audience=audience, limit=100).hits,
        searcher.search("报价 复盘", audience=audience, limit=100).hits,
        searcher.search("报价", kind="case", tag="报价", audience=audience, limit=100).hits,
        searcher.latest(audience=audience, limit=100),
        searcher.latest(audience=audience, kind="case", limit=100),
    ]
    internal_ids = [h.id for h in searcher.latest(audience="employee", limit=100) if h.visibility == "internal"]
    got = [searcher.get(i, audience=audience) for i in internal_ids]
    if audience == "client":
        assert all(visible(hits) for hits in results)
        assert got == [None] * len(internal_ids)
    else:
        assert all(not visible(hits) for hits in results)
        assert all(got)
