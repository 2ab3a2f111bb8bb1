"""Title ideas in chat (``标题``, ``换一批``, ``收藏标题`` → ``确认``) and the dashboard page /admin/titles,
on a real Redis: patterns admins add are durable and merged with config/titles.yaml."""

from __future__ import annotations

import re

import pytest

from bot import texts, title_ideas
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid
from tests.test_admin import ADMIN_TOKEN, Admin
from tests.wechat_client import WeChatServer

IDEA = re.compile(r"^(\d)\. (.+)（(.+?)）$", re.M)


@pytest.fixture
def bot_env() -> dict:
    return {"ADMIN_TOKEN": ADMIN_TOKEN, "COMPANY_NAME": "青藤互动", "COMPANY_INDUSTRY": "数字营销"}


@pytest.fixture
def store(bot_app):
    return bot_app.extensions["caselink"].store


def ideas(reply: str) -> list[tuple[str, str]]:
    found = [(text, style) for _, text, style in IDEA.findall(reply)]
    assert not re.search(r"[{}\[\]]", reply), reply
    return found


def test_brand_gives_five_ideas_of_different_styles_and_more_never_repeat(wechat):
    user = new_openid()
    first = ideas(wechat.text(user, "标题 青藤互动").text)
    assert len(first) == 5 and len({style for _, style in first}) == 5
    assert all("青藤互动" in text for text, _ in first)
    seen = {text for text, _ in first}
    for _ in range(6):
        more = ideas(wechat.text(user, "换一批").text)
        assert len(more) == 5 and all("青藤互动" in text for text, _ in more)
        assert not {text for text, _ in more} & seen
        seen |= {text for text, _ in more}


def test_more_runs_out_and_says_so(wechat, store, bot_app):
    user = new_openid()
    wechat.text(user, "标题 抖音 青藤互动 小程序")
    shown = 5
    for _ in range(60):
        reply = wechat.text(user, "换一批").text
        if reply == texts.TITLES_ALL_SEEN.format(brand="青藤互动"):
            break
        shown += len(ideas(reply))
    else:
        pytest.fail("换一批 never ran out")
    library = title_ideas.library(bot_app.extensions["caselink"])
    usable = [p for p in library.patterns if "抖音" in p.platforms and "品牌" in p.slots]
    assert shown == len(usable)


def test_product_and_platform(wechat, store, bot_app):
    user = new_openid()
    got = ideas(wechat.text(user, "标题 青藤互动 小程序").text)
    assert all("青藤互动" in t and "小程序" in t for t, _ in got)
    reply = wechat.text(user, "标题 小红书 青藤互动").text
    assert reply.startswith("「青藤互动」的 5 个标题灵感（适合小红书）")
    library = {p.id: p for p in title_ideas.library(bot_app.extensions["caselink"]).patterns}
    shown = store.titles.seen(user)["shown"]
    assert len(shown) == 5 and all("小红书" in library[i].platforms for i in shown)


def test_empty_slots_take_the_company_settings(wechat):
    got = ideas(wechat.text(new_openid(), "标题").text)
    assert len(got) == 5 and all("青藤互动" in t for t, _ in got if "青藤" in t)
    assert any("青藤互动" in t for t, _ in got)


def test_without_company_settings_nothing_is_left_as_a_brace(tmp_path, redis_url, sample_settings):
    from bot import create_app

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir))
    wx = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    user = new_openid()
    reply = wx.text(user, "标题").text
    assert reply.startswith(texts.TITLES_HEAD_PLAIN.format(count=5, platform="")[:8])
    assert len(ideas(reply)) == 5
    assert len(ideas(wx.text(user, "换一批").text)) == 5
    app.extensions["caselink"].close()


def test_every_idea_shown_is_counted(wechat, store):
    before = store.titles.usage()
    wechat.text(new_openid(), "标题 蜀香阁 餐饮")
    after = store.titles.usage()
    assert sum(after.values()) - sum(before.values()) == 5


def test_more_without_a_request_and_typed_markup(wechat):
    assert wechat.text(new_openid(), "换一批").text == texts.TITLES_NO_REQUEST
    reply = wechat.text(new_openid(), "标题 <a>青藤</a>").text
    assert "<a>" not in reply and "＜a＞青藤＜/a＞" in reply


def test_an_admin_saves_a_title_as_a_pattern_and_it_is_used(wechat, store, bot_app):
    proposed = wechat.text(ADMIN, "收藏标题 蜀香阁用小程序3个月，翻台率涨了18%").text
    assert "{品牌}用{产品}{数字}个月，翻台率涨了18%" in proposed
    assert "蜀香阁→{品牌}" in proposed and "小程序→{产品}" in proposed
    saved = wechat.text(ADMIN, "确认").text
    pattern_id = re.search(r"编号 (a\d+)", saved).group(1)
    assert saved == texts.TITLE_SAVED.format(id=pattern_id)
    assert store.flows.get(ADMIN) is None
    library = title_ideas.library(bot_app.extensions["caselink"])
    mine = next(p for p in library.patterns if p.id == pattern_id)
    assert (mine.text, mine.style, mine.numbers, mine.source) == (
        "{品牌}用{产品}{数字}个月，翻台率涨了18%",
        "数字清单",
        (3,),
        "admin",
    )
    # Saying it again finds it in the library.
    wechat.text(ADMIN, "收藏标题 蜀香阁用小程序3个月，翻台率涨了18%")
    assert wechat.text(ADMIN, "确认").text == texts.TITLE_EXISTS.format(id=pattern_id)
    # Durable: a new app (another worker, a restart) has it too.
    from bot import create_app

    other = create_app(bot_app.extensions["caselink"].settings)
    assert pattern_id in {p.id for p in title_ideas.library(other.extensions["caselink"]).patterns}
    other.extensions["caselink"].close()
    store.titles.forget(pattern_id)


def test_the_admin_may_correct_the_proposal_or_cancel(wechat, store):
    wechat.text(ADMIN, "收藏标题 瑞幸为什么总能上热搜？")
    bad = wechat.text(ADMIN, "{公司}为什么总能上热搜").text
    assert bad.startswith("这个模板用不了") and "公司" in bad
    again = wechat.text(ADMIN, "{品牌}[的{产品}]为什么总能被看见？").text
    assert "{品牌}[的{产品}]为什么总能被看见？" in again
    saved = wechat.text(ADMIN, "确认").text
    pattern_id = re.search(r"编号 (a\d+)", saved).group(1)
    assert store.titles.patterns()[pattern_id]["text"] == "{品牌}[的{产品}]为什么总能被看见？"
    store.titles.forget(pattern_id)
    wechat.text(ADMIN, "收藏标题 别再乱做私域了")
    assert wechat.text(ADMIN, "取消").text == texts.TITLE_CANCELLED
    wechat.text(ADMIN, "收藏标题 别再乱做私域了")
    assert wechat.text(ADMIN, "私域流量").text.startswith(("找到 ", "没有"))  # moved on: searched
    assert store.flows.get(ADMIN) is None


def test_only_admins_save_titles(wechat, store):
    employee = new_openid("emp")
    store.people.set_role(employee, "employee")
    for user in (employee, new_openid()):
        reply = wechat.text(user, "收藏标题 瑞幸为什么总能上热搜").text
        assert "建议收成这个模板" not in reply and store.flows.get(user) is None


def test_the_titles_page_lists_edits_removes_and_restores(bot_app, wechat, store):
    admin = Admin(bot_app)
    assert admin.login().status_code == 302
    page = admin.get("/admin/titles").get_data(as_text=True)
    assert page.count('<tr id="title-') >= 110
    # Usage shows on the page.
    user = new_openid()
    wechat.text(user, "标题 青藤互动")
    shown = store.titles.seen(user)["shown"]
    page = admin.get("/admin/titles").get_data(as_text=True)
    row = re.search(rf'<tr id="title-{shown[0]}">(.*?)</tr>', page, re.S).group(1)
    assert int(re.search(r'class="used">(\d+)<', row).group(1)) >= 1
    # Edit a shipped pattern: the chat uses the new text.
    target = shown[0]
    form = {"text": "{品牌}的新标题：看这里", "style": "悬念", "platforms": ["公众号", "微博"]}
    admin.post(f"/admin/titles/{target}", form)
    library = {p.id: p for p in title_ideas.library(bot_app.extensions["caselink"]).patterns}
    assert library[target].text == "{品牌}的新标题：看这里" and library[target].source == "edited"
    # Remove it, then restore the shipped version.
    admin.post(f"/admin/titles/{target}/remove")
    assert target not in {p.id for p in title_ideas.library(bot_app.extensions["caselink"]).patterns}
    assert target in admin.get("/admin/titles").get_data(as_text=True)  # listed under 已删除
    admin.post(f"/admin/titles/{target}/restore")
    restored = {p.id: p for p in title_ideas.library(bot_app.extensions["caselink"]).patterns}[target]
    assert restored.source == "yaml"
    # Add one; a bad one is refused with the reason.
    added = admin.post("/admin/titles", {"text": "{品牌}的第{数字}次尝试", "style": "故事", "platforms": ["小红书"]})
    assert "已添加模板" in added.get_data(as_text=True)
    bad = admin.post("/admin/titles", {"text": "{公司}怎么了", "style": "提问", "platforms": ["微博"]})
    assert "不认识的槽位" in bad.get_data(as_text=True)
    new = next(
        p for p in title_ideas.library(bot_app.extensions["caselink"]).patterns if p.text == "{品牌}的第{数字}次尝试"
    )
    assert new.platforms == ("小红书",)
    admin.post(f"/admin/titles/{new.id}/remove")
    assert new.id not in store.titles.patterns()


def test_a_broken_titles_file_stops_the_start(tmp_path, redis_url, sample_settings):
    import shutil

    from bot import create_app
    from config.errors import ConfigError
    from config.settings import CONFIG_DIR

    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    (config / "titles.yaml").write_text('patterns:\n  - {id: x, style: 提问, text: "{公司}"}\n', encoding="utf-8")
    settings = make_bot_settings(tmp_path, redis_url, sample_settings.index_dir).with_overrides(config_dir=config)
    with pytest.raises(ConfigError, match=r"titles\.yaml"):
        create_app(settings)
