"""``/admin/content`` and content overrides (issue 12.2): every document listed and filtered; hiding a
document or making it internal reaches every search at once (even on a node whose index never saw
the change), an employee still sees what is internal, and a rebuild keeps both changes. Real Redis
(a private one: overrides must not leak into other tests' searches), real Whoosh, the Flask client."""

from __future__ import annotations

import re
import time

import pytest

from bot.links import ResultLink, make_token
from indexer import content_catalog, rebuild
from indexer.lock import build_lock
from tests.bot_fixtures import AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.conftest import make_settings
from tests.test_admin import ADMIN_TOKEN, Admin, section, text_of
from tests.wechat_client import WeChatServer

LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')


@pytest.fixture
def site(tmp_path, private_redis, fresh_index):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, private_redis.url, fresh_index, ADMIN_TOKEN=ADMIN_TOKEN))
    yield app
    app.extensions["caselink"].close()


@pytest.fixture
def admin(site) -> Admin:
    user = Admin(site)
    assert user.login().status_code == 302
    return user


def titles(wx: WeChatServer, user: str, words: str) -> list[str]:
    return [title for _, title in LINK.findall(wx.text(user, words).text)]


def entry(app, title_part: str) -> dict:
    found = [e for e in content_catalog(app.extensions["caselink"].settings.index_dir) if title_part in e["title"]]
    assert len(found) == 1, [e["title"] for e in found]
    return found[0]


def set_override(admin: Admin, doc: dict, action: str):
    return admin.post("/admin/content/set", {"doc_id": doc["id"], "action": action})


def wait_for_index(app) -> None:
    deadline = time.monotonic() + 60
    while app.extensions["caselink"].jobs.running("content-update"):
        assert time.monotonic() < deadline, "the background update did not finish"
        time.sleep(0.05)


def test_the_page_lists_every_document_and_filters_them(admin, site):
    every = content_catalog(site.extensions["caselink"].settings.index_dir)
    page = admin.get("/admin/content").text
    second = admin.get("/admin/content?page=2").text  # 50 a page
    assert f"内容 <small>{len(every)} 篇</small>" in page and "第 1 / 2 页" in page
    listed = re.findall(r'<tr id="doc-[^"]*" data-id="([^"]*)"', page + second)
    assert sorted(listed) == sorted(e["id"] for e in every)
    cases = admin.get("/admin/content?kind=case").text
    assert len(re.findall(r'<tr id="doc-', cases)) == sum(e["kind"] == "case" for e in every)
    internal = text_of(section(admin.get("/admin/content?visibility=internal").text, "documents"))
    assert "公开" not in internal.replace("设为公开", "") and "内部" in internal
    live = admin.get("/admin/content?q=直播").text
    shown = re.findall(r'<a href="[^"]*" rel="noopener noreferrer" target="_blank">([^<]*)</a>', live)
    assert shown and all("直播" in t for t in shown)
    rules = text_of(section(page, "rules"))
    assert "带「案例」标签的是案例 ：标签是「案例」 → 案例 （上次构建：0 篇）" in rules
    assert "在文件夹 internal/ 里 → 内部" in rules


def figures(page: str, doc: dict) -> dict[str, int]:
    """The 选中 and 分享 cells of one document's row."""
    row = re.search(rf'<tr id="doc-[^"]*" data-id="{re.escape(doc["id"])}".*?</tr>', page, re.S)
    assert row, doc["title"]
    cells = re.findall(r'<td data-label="(选中|分享)" class="num [a-z]+">(\d+)</td>', row.group(0))
    return {label: int(n) for label, n in cells}


def every_page(admin: Admin, query: str = "") -> str:
    """The whole list (50 a page), in order."""
    first = admin.get(f"/admin/content?{query}").text
    pages = int(re.search(r"第 1 / (\d+) 页", first).group(1)) if "第 1 / " in first else 1
    return first + "".join(admin.get(f"/admin/content?{query}&page={n}").text for n in range(2, pages + 1))


def listed_ids(page: str) -> list[str]:
    return re.findall(r'<tr id="doc-[^"]*" data-id="([^"]*)"', page)


def test_picks_and_shares_made_in_chat_show_on_the_page_and_sort_it(admin, site):
    wx = WeChatServer(site.test_client(), TOKEN, AES_KEY, APPID)
    store = site.extensions["caselink"].store
    strategy, newest = entry(site, "一页纸社交媒体策略"), entry(site, listed_titles(site)[0])
    client, staff = new_openid("client"), new_openid("emp")
    store.people.set_role(staff, "employee", name="王小明")
    before = every_page(admin)
    assert figures(before, strategy) == {"选中": 0, "分享": 0}
    number = titles(wx, client, "社交媒体策略").index(strategy["title"]) + 1
    assert wx.text(client, str(number)).article["Title"] == strategy["title"]
    assert wx.text(client, str(number)).article["Title"] == strategy["title"]  # the same card again today: one pick
    number = titles(wx, staff, "社交媒体策略").index(strategy["title"]) + 1
    assert wx.text(staff, f"第{number}个").article["Title"] == strategy["title"]
    assert "朋友圈" in wx.text(staff, f"分享 {number}").text
    wx.text(client, "最新")
    assert wx.text(client, "1").article["Title"] == newest["title"]  # a pick from any list counts
    page = every_page(admin)
    assert figures(page, strategy) == {"选中": 2, "分享": 1}
    assert figures(page, newest) == {"选中": 1, "分享": 0}
    by_picks = admin.get("/admin/content?sort=picks").text
    assert listed_ids(by_picks)[:2] == [strategy["id"], newest["id"]]
    assert 'aria-sort="descending"' in by_picks
    by_shares = admin.get("/admin/content?sort=shares&kind=article").text
    assert listed_ids(by_shares)[0] == strategy["id"]
    assert listed_ids(every_page(admin, "sort=nonsense")) == listed_ids(before)  # newest first


def listed_titles(app) -> list[str]:
    """Titles a client sees under 最新, newest first."""
    searcher = app.extensions["caselink"].index.searcher()
    return [hit.title for hit in searcher.latest(audience="client", limit=5)]


def test_every_content_form_needs_its_csrf_token(admin, site):
    doc = entry(site, "一页纸社交媒体策略")
    refused = admin.post("/admin/content/set", {"doc_id": doc["id"], "action": "hide"}, token=False)
    assert refused.status_code == 400
    assert site.extensions["caselink"].store.content.redis.hlen("caselink:content:overrides") == 0
    assert admin.post("/admin/content/set", {"doc_id": "no-such-doc", "action": "hide"}).status_code == 404
    assert admin.post("/admin/content/set", {"doc_id": doc["id"], "action": "delete"}).status_code == 400


def test_hidden_and_internal_documents_leave_client_searches_at_once_on_every_node(
    admin, site, tmp_path, private_redis
):
    from bot import create_app

    wx = WeChatServer(site.test_client(), TOKEN, AES_KEY, APPID)
    hidden, internal = entry(site, "一页纸社交媒体策略"), entry(site, "小红书种草")
    client, employee = new_openid("client"), "o-admin-from-settings"
    assert hidden["title"] in titles(wx, client, "社交媒体策略")
    assert internal["title"] in titles(wx, client, "小红书种草")
    # A second node: its own index, built before the change, never updated afterwards.
    other_settings = make_bot_settings(
        tmp_path / "node-b", private_redis.url, tmp_path / "node-b" / "index", ADMIN_TOKEN=ADMIN_TOKEN
    )
    rebuild(other_settings, shared=site.extensions["caselink"].store.content)
    other = create_app(other_settings)
    try:
        wx_b = WeChatServer(other.test_client(), TOKEN, AES_KEY, APPID)
        assert hidden["title"] in titles(wx_b, client, "社交媒体策略")
        index_dir = site.extensions["caselink"].settings.index_dir
        with build_lock(index_dir, "test"):  # no index changes here meanwhile: only the overlay can act
            assert "已隐藏" in text_of(set_override(admin, hidden, "hide").text)
            assert "已设为内部" in text_of(set_override(admin, internal, "internal").text)
            for node in (wx, wx_b):
                assert hidden["title"] not in titles(node, client, "社交媒体策略")
                assert hidden["title"] not in titles(node, employee, "社交媒体策略")  # hidden from everyone
                assert internal["title"] not in titles(node, client, "小红书种草")
                assert internal["title"] not in titles(node, client, "最新") + titles(node, client, "文章")
                assert internal["title"] in titles(node, employee, "小红书种草")  # employees still see it
            token = make_token(site.extensions["caselink"].settings.secret_key, ResultLink("小红书", "client"))
            results_page = site.test_client().get(f"/r/{token}").get_data(as_text=True)
            assert "小红书" in results_page and internal["title"] not in results_page
    finally:
        other.extensions["caselink"].close()
    wait_for_index(site)
    row = section(admin.get("/admin/content").text, "documents")
    assert "隐藏" in text_of(row) and "管理后台" in text_of(row)
    # A rebuild (here and on any node) keeps both changes, and its report says so.
    report = rebuild(site.extensions["caselink"].settings, shared=site.extensions["caselink"].store.content)
    assert report.overrides == {"hidden": 1, "visibility": 1, "kind": 0, "missing": 0}
    searcher = site.extensions["caselink"].index.searcher()
    assert searcher.get(hidden["id"], audience="employee") is None
    assert searcher.get(internal["id"], audience="client") is None
    assert searcher.get(internal["id"], audience="employee") is not None
    overview = text_of(admin.get("/admin/").text)
    assert "单篇设置（管理后台「内容」页）：隐藏 1 篇，改可见范围 1 篇" in overview


def test_showing_again_and_making_public_and_changing_the_kind(admin, site):
    wx = WeChatServer(site.test_client(), TOKEN, AES_KEY, APPID)
    doc = entry(site, "一页纸社交媒体策略")
    client = new_openid("client")
    set_override(admin, doc, "hide")
    wait_for_index(site)
    assert doc["title"] not in titles(wx, client, "社交媒体策略")
    set_override(admin, doc, "show")
    wait_for_index(site)
    assert doc["title"] in titles(wx, client, "社交媒体策略")
    assert site.extensions["caselink"].store.content.redis.hlen("caselink:content:overrides") == 0  # back to normal
    set_override(admin, doc, "case")
    wait_for_index(site)
    assert doc["title"] in titles(wx, client, "案例 社交媒体策略")
    secret = entry(site, "比稿提案作战手册")
    assert secret["visibility"] == "internal"
    set_override(admin, secret, "public")
    wait_for_index(site)
    assert secret["title"] in titles(wx, client, "比稿提案")


def test_group_rules_from_config_apply_at_build_time(tmp_path):
    content = tmp_path / "content"
    (content / "_posts").mkdir(parents=True)
    (content / "internal").mkdir()
    (content / "_posts" / "2024-1-1-story.md").write_text(
        "---\ntitle: 一个客户故事\ntags: [案例, 个人品牌]\n---\n客户的个人品牌故事。\n", "utf-8"
    )
    (content / "_posts" / "2024-1-2-essay.md").write_text("---\ntitle: 随笔\ntags: [个人品牌]\n---\n随笔。\n", "utf-8")
    (content / "internal" / "price.md").write_text("---\ntitle: 报价底线\n---\n报价。\n", "utf-8")
    settings = make_settings(tmp_path, CONTENT_DIR=content, SITE_URL="https://blog.example.cn")
    report = rebuild(settings)
    by_title = {e["title"]: e for e in content_catalog(settings.index_dir)}
    assert (by_title["一个客户故事"]["kind"], by_title["一个客户故事"]["rules"]) == ("case", ["带「案例」标签的是案例"])
    assert by_title["随笔"]["kind"] == "article" and by_title["随笔"]["rules"] == []
    assert by_title["报价底线"]["visibility"] == "internal"
    assert [(r["name"], r["matched"]) for r in report.rules] == [
        ("带「案例」标签的是案例", 1),
        ("internal 文件夹里的都是内部资料", 1),
    ]
