"""The results page ``/r/<token>``: the link in the reply, signed and expiring tokens, and who sees
internal content — with WeChat web authorisation played by the local stand-in (tests/stubs.py)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bot import links, texts
from bot.chat.replies import TEXT_LIMIT
from bot.web import oauth
from bot.web.view import marked
from tests.bot_fixtures import ADMIN, APPID, SECRET, make_bot_settings, new_openid
from tests.stubs import StubServer

BASE = "https://bot.example.cn"
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"
)
DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
LINK_LINE = re.compile(r'<a href="(https://bot\.example\.cn/r/[^"]+)">查看全部 (\d+) 条</a>$')
INTERNAL_QUERY = "复盘"  # the sample content has several internal review cases


@pytest.fixture
def api():
    """The WeChat API stand-in; tests set what ``sns/oauth2/access_token`` answers."""
    with StubServer({("GET", "/sns/oauth2/access_token"): {"errcode": 40029, "errmsg": "invalid code"}}) as stub:
        yield stub


@pytest.fixture
def bot_env(api):
    return {"PUBLIC_BASE_URL": BASE, "WECHAT_API_BASE": api.url + "/cgi-bin/"}


@pytest.fixture
def client(bot_app):
    return bot_app.test_client()


@pytest.fixture
def store(bot_app):
    return bot_app.extensions["caselink"].store


@pytest.fixture
def internal(searcher) -> tuple[set[str], set[str]]:
    """URLs and titles of every internal document of the sample content."""
    hits = [h for h in searcher.latest(audience="employee", limit=1000) if h.visibility == "internal"]
    assert len(hits) >= 4
    return {h.url for h in hits}, {h.title for h in hits}


def page_path(url: str) -> str:
    return url.removeprefix(BASE)


def token_for(query: str, audience: str, secret: str = "caselink-test-secret-key", **kw) -> str:
    return links.make_token(secret, links.ResultLink(query, audience, **kw))


def shows_internal(html: str, internal) -> bool:
    urls, titles = internal
    return any(u in html for u in urls) or any(t in html for t in titles)


# --- the link in the reply ------------------------------------------------------------------------


def test_a_search_with_more_hits_ends_with_a_link_to_all_of_them(wechat, client):
    reply = wechat.text(new_openid(), "私域流量").text
    last = reply.splitlines()[-1]
    match = LINK_LINE.fullmatch(last)
    assert match, reply
    assert reply.splitlines()[-2] == texts.LIST_HINT + texts.MORE_HINT + "。"
    total = int(match.group(2))
    counts = re.match(r"找到 (\d+) 条与「私域流量」(?:直接)?相关的内容(?:，另有 (\d+) 条可能相关)?", reply)
    assert counts and int(counts.group(1)) + int(counts.group(2) or 0) == total, reply
    page = client.get(page_path(match.group(1)), headers={"User-Agent": WECHAT_UA})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert html.count("<li>") == total
    assert f"<title>「私域流量」的搜索结果（{total} 条）</title>" in html
    assert 'property="og:title"' in html and 'property="og:description"' in html
    assert page.headers["Cache-Control"] == "private, no-store"


def test_later_pages_keep_the_link_and_the_last_page_drops_it(wechat):
    user = new_openid()
    replies = [wechat.text(user, "私域流量").text]
    while "查看全部" in replies[-1]:
        replies.append(wechat.text(user, "更多").text)
        assert len(replies) < 10
    assert len(replies) == 5  # 21 hits, 5 a page: the fifth page shows the last one, without a link
    assert all(LINK_LINE.search(r) for r in replies[:-1])


def test_no_link_when_everything_fits(wechat, searcher):
    query = next(q for q in ("火锅 小程序", "老字号", "保险 公众号") if 0 < searcher.search(q, limit=100).total <= 5)
    reply = wechat.text(new_openid(), query).text
    assert "/r/" not in reply and "查看全部" not in reply


def test_no_link_without_public_base_url(tmp_path, redis_url, sample_settings):
    from bot import create_app
    from tests.bot_fixtures import AES_KEY, TOKEN
    from tests.wechat_client import WeChatServer

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir))
    reply = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID).text(new_openid(), "私域流量").text
    assert "查看全部" not in reply
    assert reply.endswith(texts.LIST_HINT + texts.MORE_HINT + "。")
    app.extensions["caselink"].close()


LONG_CATALOG = """cases:
{items}
"""


def long_content(root, count: int = 12):
    title = "私域流量与社群运营的分层打法：福利群、兴趣群、会员群的节奏与规则详解第{n}篇"
    items = "\n".join(
        f"""  - id: long-{n}
    title: {title.format(n=n)}
    tags: [私域流量]
    url: https://www.qingteng.example/cases/{"private-traffic-layers-" * 12}{n}/
    summary: 私域流量的分层运营。
    date: 2024-01-{n + 1:02d}"""
        for n in range(count)
    )
    (root / "cases").mkdir(parents=True)
    (root / "cases" / "long.yaml").write_text(LONG_CATALOG.format(items=items), encoding="utf-8")
    return root


def test_the_link_is_room_kept_within_2048_bytes_never_cut(tmp_path, redis_url):
    from bot import create_app
    from indexer.build import rebuild
    from tests.bot_fixtures import AES_KEY, TOKEN
    from tests.conftest import make_settings
    from tests.wechat_client import WeChatServer

    content = long_content(tmp_path / "content")
    rebuild(make_settings(tmp_path / "idx", CONTENT_DIR=str(content)))
    settings = make_bot_settings(
        tmp_path, redis_url, tmp_path / "idx" / "index", PUBLIC_BASE_URL=BASE, CONTENT_DIR=str(content)
    )
    app = create_app(settings)
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    user = new_openid()
    for line in ("私域流量", "更多", "更多"):
        reply = wx.text(user, line).text
        assert len(reply.encode("utf-8")) <= TEXT_LIMIT
        shown = re.findall(r"^\d+\. <a href=", reply, re.M)
        assert 0 < len(shown) < 5  # trimmed to make room for the link
        assert reply.count("<a href=") == reply.count("</a>") == len(shown) + 1
        assert LINK_LINE.fullmatch(reply.splitlines()[-1]), reply
    app.extensions["caselink"].close()


# --- tokens -----------------------------------------------------------------------------------------


def expired_token(query: str = "私域流量", age: int = 2 * 86400) -> str:
    class IssuedEarlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    serializer = URLSafeTimedSerializer("caselink-test-secret-key", salt=links.SALT, signer=IssuedEarlier)
    return serializer.dumps({"q": query, "a": "c", "u": "x"})


def swapped_audience() -> str:
    # Keep the signature, change the payload: the forwarded client link claims to be an employee's.
    import base64
    import json

    payload, stamp, sig = token_for("复盘", "client").split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["a"] = "e"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{forged}.{stamp}.{sig}"


@pytest.mark.parametrize(
    ("make", "status", "words"),
    [
        (lambda: expired_token(), 410, "链接已过期"),
        (lambda: token_for("私域流量", "client")[:-3] + "abc", 403, "链接无效"),
        (swapped_audience, 403, "链接无效"),
        (lambda: token_for("私域流量", "client", secret="another-secret-key-123"), 403, "链接无效"),
        (lambda: "bm90LWEtdG9rZW4", 403, "链接无效"),
        (lambda: links.make_token("caselink-test-secret-key", links.ResultLink("x", "client"))[::-1], 403, "链接无效"),
    ],
    ids=["expired", "bad-signature", "swapped-audience", "other-secret", "garbage", "reversed"],
)
def test_refused_tokens_get_a_friendly_page(client, make, status, words):
    res = client.get("/r/" + make())
    assert res.status_code == status
    html = res.get_data(as_text=True)
    assert words in html and "重新发送关键词" in html
    assert "Traceback" not in html and "itsdangerous" not in html


def test_a_viewer_cookie_is_not_a_results_token(client):
    cookie = oauth.viewer_cookie(client.application.extensions["caselink"].settings, ADMIN)
    assert client.get("/r/" + cookie).status_code == 403  # another salt


def test_expiry_follows_result_link_ttl(tmp_path, redis_url, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, RESULT_LINK_TTL="3600"))
    client = app.test_client()
    assert client.get("/r/" + expired_token(age=1800)).status_code == 200
    assert client.get("/r/" + expired_token(age=7200)).status_code == 410
    app.extensions["caselink"].close()


# --- what the page shows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spans", "html"),
    [
        ("私域流量的分层", [(0, 4)], "<mark>私域流量</mark>的分层"),
        ("<b>私域</b>流量", [(3, 5)], "&lt;b&gt;<mark>私域</mark>&lt;/b&gt;流量"),
        ("a & b", [], "a &amp; b"),
        ("重叠的区间", [(0, 2), (1, 3)], "<mark>重叠</mark><mark>的</mark>区间"),
        ("越界", [(1, 99)], "越<mark>界</mark>"),
    ],
)
def test_snippets_are_escaped_with_marks_on_the_highlights(text, spans, html):
    assert str(marked(text, spans)) == html


def test_the_page_shows_chips_dates_snippets_and_marks(client):
    html = client.get("/r/" + token_for("私域流量", "client")).get_data(as_text=True)
    assert '<span class="chip kind">文章</span>' in html and '<span class="chip kind case">案例</span>' in html
    assert '<span class="chip">社群运营</span>' in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\d">', html)
    assert "<mark>私域流量</mark>" in html
    assert "此链接 24 小时内有效" in html


def test_filters_corrections_weak_and_empty_results_are_said_like_the_bot(client, searcher):
    html = client.get("/r/" + token_for("小程序", "client", kind="case")).get_data(as_text=True)
    assert "共 " in html and " · 案例" in html and '<span class="chip kind">文章</span>' not in html
    html = client.get("/r/" + token_for("营消", "client")).get_data(as_text=True)
    assert "已按「营销」搜索" in html
    weak = next(q for q in ("小红书 量子", "抖音 火星基地", "社群 潜水艇", "品牌 恐龙") if searcher.search(q).weak)
    html = client.get("/r/" + token_for(weak, "client")).get_data(as_text=True)
    assert texts.WEAK.format(query=weak).rstrip("：") in html
    html = client.get("/r/" + token_for("量子纠缠火星基地", "client")).get_data(as_text=True)
    assert texts.NOTHING.format(query="量子纠缠火星基地") in html and "<li>" not in html


def test_links_other_than_http_are_not_made_clickable():
    from bot.web.results import hit_view
    from indexer.search import Hit

    view = hit_view(Hit(id="x", kind="article", title="t", url="javascript:alert(1)"))
    assert view["url"] == ""


def test_without_an_index_the_page_says_it_is_preparing(tmp_path, redis_url):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, tmp_path / "no-index"))
    res = app.test_client().get("/r/" + token_for("私域流量", "client"))
    assert res.status_code == 503 and texts.INDEX_NOT_READY in res.get_data(as_text=True)
    app.extensions["caselink"].close()


# --- who sees internal content -----------------------------------------------------------------------------


def test_a_client_token_never_shows_internal_hits(client, store, internal):
    employee = new_openid("employee")
    store.people.set_role(employee, "employee")
    token = token_for(INTERNAL_QUERY, "client")
    client.set_cookie(
        oauth.VIEWER_COOKIE,
        oauth.viewer_cookie(client.application.extensions["caselink"].settings, employee),
        path="/r/",
    )
    for ua in (WECHAT_UA, DESKTOP_UA):
        html = client.get("/r/" + token, headers={"User-Agent": ua}).get_data(as_text=True)
        assert "<li>" in html and not shows_internal(html, internal)
        assert texts.PAGE_INTERNAL_NOTE not in html


def test_an_employee_token_outside_wechat_shows_public_hits_with_a_note(client, internal):
    res = client.get("/r/" + token_for(INTERNAL_QUERY, "employee"), headers={"User-Agent": DESKTOP_UA})
    html = res.get_data(as_text=True)
    assert res.status_code == 200 and "<li>" in html
    assert not shows_internal(html, internal)
    assert "内部内容请在公众号对话中查看" in html


def wechat_round_trip(client, api, token: str, openid: str | None, errcode: int | None = None):
    """Open the page in WeChat, follow the redirect as WeChat would, and come back with a code."""
    first = client.get("/r/" + token, headers={"User-Agent": WECHAT_UA})
    assert first.status_code == 302
    location = first.headers["Location"]
    assert location.startswith(oauth.AUTHORIZE_URL + "?appid=" + APPID + "&redirect_uri=")
    assert location.endswith("&response_type=code&scope=snsapi_base&state=" + location.split("state=")[1])
    assert location.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(location).query)
    state = query["state"][0]
    assert state.isalnum() and len(state) <= 128
    assert query["redirect_uri"] == [f"{BASE}/r/{token}"]
    if errcode is None:
        api.route(
            "GET", "/sns/oauth2/access_token", {"access_token": "WEB-TOKEN", "openid": openid, "scope": "snsapi_base"}
        )
    else:
        api.route("GET", "/sns/oauth2/access_token", {"errcode": errcode, "errmsg": "invalid code"})
    back = client.get(f"/r/{token}?code=CODE-1&state={state}", headers={"User-Agent": WECHAT_UA})
    return back


def test_an_employee_verified_through_wechat_sees_internal_hits(client, api, store, internal):
    employee = new_openid("employee")
    store.people.set_role(employee, "employee")
    token = token_for(INTERNAL_QUERY, "employee")
    back = wechat_round_trip(client, api, token, employee)
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and shows_internal(html, internal)
    assert '<span class="chip internal">内部</span>' in html
    (call,) = api.calls_to("/sns/oauth2/access_token")
    assert call.query == {"appid": APPID, "secret": SECRET, "code": "CODE-1", "grant_type": "authorization_code"}
    # The viewer cookie spares the next visit the round trip; the role is checked on every visit.
    again = client.get("/r/" + token, headers={"User-Agent": WECHAT_UA})
    assert again.status_code == 200 and shows_internal(again.get_data(as_text=True), internal)
    assert len(api.calls_to("/sns/oauth2/access_token")) == 1
    store.people.set_role(employee, "client")  # revoked
    html = client.get("/r/" + token, headers={"User-Agent": WECHAT_UA}).get_data(as_text=True)
    assert "<li>" in html and not shows_internal(html, internal)


def test_an_admin_from_settings_is_an_employee_for_the_page(client, api, internal):
    back = wechat_round_trip(client, api, token_for(INTERNAL_QUERY, "employee"), ADMIN)
    assert shows_internal(back.get_data(as_text=True), internal)


def test_a_forwarded_employee_link_shows_a_client_only_public_hits(client, api, internal):
    back = wechat_round_trip(client, api, token_for(INTERNAL_QUERY, "employee"), new_openid("client"))
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and "<li>" in html
    assert not shows_internal(html, internal)
    assert texts.PAGE_INTERNAL_NOTE not in html  # we know who this is: nothing to explain


def test_a_refused_code_shows_public_hits_with_the_note(client, api, internal):
    back = wechat_round_trip(client, api, token_for(INTERNAL_QUERY, "employee"), None, errcode=40029)
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and not shows_internal(html, internal)
    assert "内部内容请在公众号对话中查看" in html


@pytest.mark.parametrize(
    "query",
    ["code=CODE-1&state=0000000000000000000000000000000000000000", "code=CODE-1", "state=abc", "code=C&state=中文"],
)
def test_a_bad_or_missing_state_is_not_exchanged_and_does_not_loop(client, api, internal, query):
    token = token_for(INTERNAL_QUERY, "employee")
    res = client.get(f"/r/{token}?{query}", headers={"User-Agent": WECHAT_UA})
    assert res.status_code == 200  # never redirected again: no loop through WeChat
    html = res.get_data(as_text=True)
    assert not shows_internal(html, internal) and "内部内容请在公众号对话中查看" in html
    assert api.calls_to("/sns/oauth2/access_token") == []


def test_a_state_from_another_browser_is_refused(client, api, bot_app, internal):
    token = token_for(INTERNAL_QUERY, "employee")
    location = client.get("/r/" + token, headers={"User-Agent": WECHAT_UA}).headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    other = bot_app.test_client()  # no nonce cookie: the state was not issued to this browser
    html = other.get(f"/r/{token}?code=C&state={state}", headers={"User-Agent": WECHAT_UA}).get_data(as_text=True)
    assert not shows_internal(html, internal)
    assert api.calls_to("/sns/oauth2/access_token") == []


def test_an_unreachable_api_shows_public_hits_with_the_note(tmp_path, redis_url, sample_settings, internal):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, PUBLIC_BASE_URL=BASE))
    client = app.test_client()  # WECHAT_API_BASE points at a closed port
    token = token_for(INTERNAL_QUERY, "employee")
    location = client.get("/r/" + token, headers={"User-Agent": WECHAT_UA}).headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    back = client.get(f"/r/{token}?code=C&state={state}", headers={"User-Agent": WECHAT_UA})
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and not shows_internal(html, internal)
    assert "内部内容请在公众号对话中查看" in html
    app.extensions["caselink"].close()


def test_without_appid_and_secret_there_is_no_redirect(tmp_path, redis_url, sample_settings, internal):
    from bot import create_app

    settings = make_bot_settings(tmp_path, redis_url, sample_settings.index_dir, PUBLIC_BASE_URL=BASE, WECHAT_SECRET="")
    app = create_app(settings)
    res = app.test_client().get("/r/" + token_for(INTERNAL_QUERY, "employee"), headers={"User-Agent": WECHAT_UA})
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert not shows_internal(html, internal) and "内部内容请在公众号对话中查看" in html
    app.extensions["caselink"].close()


def test_a_forged_viewer_cookie_is_ignored(client, internal):
    token = token_for(INTERNAL_QUERY, "employee")
    client.set_cookie(
        oauth.VIEWER_COOKIE,
        oauth.viewer_cookie(
            client.application.extensions["caselink"].settings.with_overrides(secret_key="someone-elses-secret-key"),
            ADMIN,
        ),
        path="/r/",
    )
    html = client.get("/r/" + token, headers={"User-Agent": DESKTOP_UA}).get_data(as_text=True)
    assert not shows_internal(html, internal)


@pytest.mark.parametrize(("path", "status"), [("/", 404), ("/r/", 404), ("/no-such-page", 404)])
def test_a_person_who_opens_a_wrong_address_gets_a_chinese_page(bot_app, path, status):
    response = bot_app.test_client().get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert "公众号" in response.get_data(as_text=True)


def test_machine_endpoints_keep_short_plain_text_errors(bot_app):
    response = bot_app.test_client().put("/wechat")
    assert response.status_code == 405 and response.mimetype == "text/plain"


def test_a_state_is_accepted_once(client, api, bot_app, store, internal):
    employee = new_openid("employee")
    store.people.set_role(employee, "employee")
    token = token_for(INTERNAL_QUERY, "employee")
    back = wechat_round_trip(client, api, token, employee)
    assert shows_internal(back.get_data(as_text=True), internal)
    replay_url = back.request.full_path  # ?code=…&state=… as a proxy log or the history keeps it

    thief = bot_app.test_client()  # with the nonce cookie of that round trip, but no viewer cookie
    thief.set_cookie(oauth.NONCE_COOKIE, client.get_cookie(oauth.NONCE_COOKIE, path="/r/").value, path="/r/")
    replayed = thief.get(replay_url, headers={"User-Agent": WECHAT_UA})
    html = replayed.get_data(as_text=True)
    assert replayed.status_code == 200 and not shows_internal(html, internal)
    assert "内部内容请在公众号对话中查看" in html
    assert len(api.calls_to("/sns/oauth2/access_token")) == 1  # the replayed code was never exchanged
    assert oauth.VIEWER_COOKIE not in replayed.headers.get("Set-Cookie", "")
