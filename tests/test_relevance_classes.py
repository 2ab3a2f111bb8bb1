"""Each class of miss from issue 9, on a real index: a small corpus written for the class (what a
marketing agency posts), searched as a client types."""

from __future__ import annotations

import pytest

from indexer.build import rebuild
from indexer.search import open_searcher
from tests.conftest import make_settings

POSTS = {
    "shuangwei": ("双微一抖时代的企业新媒体", "双微一抖", "企业做新媒体，要同时经营双微一抖：每个平台的内容节奏不同。"),
    "social-dinner": ("NPLUS Social Dinner 回顾", "活动", "一场行业晚宴。Media 朋友们也来了，大家聊得很开心。"),
    "social-media": ("Social media 策略的五个问题", "社交媒体", "做 social media 之前，先想清楚受众是谁。"),
    "no-private": (
        "一家咖啡品牌的增长访谈",
        "访谈",
        "创始人说，我们不做私域流量，也不做社群，只把门店体验做好。门店是增长的核心。门店体验决定复购。",
    ),
    "private": (
        "私域流量运营手册",
        "私域流量",
        "私域流量的核心是信任。私域流量运营分三步：拉新、分层、转化。",
    ),
    "pool": ("品牌蓄水池怎么建", "品牌", "用内容和会员把流量沉淀进私域流量池，再慢慢转化。"),
    "redbook": ("小红书种草笔记怎么写", "小红书", "种草笔记的标题、封面和关键词。"),
    "brand": ("个人品牌的第一步", "个人品牌", "个人品牌从一个清楚的定位开始，个人品牌需要长期经营。"),
    "kol": ("达人合作报价怎么谈", "达人", "和达人合作之前，先看粉丝画像，再谈报价。"),
    # 运营 is as common in an agency's posts as in any: most posts about it are about other things
    "users": ("用户运营的三个指标", "运营", "用户运营看拉新、留存和转化。"),
    "community": ("社群运营日记", "运营", "每天在群里做什么：社群运营的日常。"),
    "editing": ("内容运营与编辑", "运营", "内容运营要懂编辑，也要懂数据。"),
}


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agency")
    content = tmp / "content" / "_posts"
    content.mkdir(parents=True)
    for i, (slug, (title, tag, body)) in enumerate(POSTS.items(), 1):
        (content / f"2023-1-{i}-{slug}.md").write_text(
            f"---\ntitle: {title}\ntags: [{tag}]\n---\n\n{body}\n", encoding="utf-8"
        )
    settings = make_settings(tmp, CONTENT_DIR=tmp / "content", SITE_URL="https://agency.example.cn")
    rebuild(settings)
    return open_searcher(settings.index_dir)


def slugs(result) -> list[str]:
    return [h.id.split("-", 3)[-1] for h in result.hits]


@pytest.mark.parametrize(("query", "depth"), [("抖音运营有什么方法", 5), ("微博运营", 5), ("两微一抖", 1), ("抖音", 2)])
def test_a_question_about_one_platform_finds_the_post_about_all_three(agency, query, depth):
    # Before concepts, 抖音运营 and 微博运营 did not find the 双微一抖 post at all.
    assert "shuangwei" in slugs(agency.search(query, limit=depth))


def test_a_several_word_term_is_matched_as_a_phrase(agency):
    found = slugs(agency.search("social media", limit=5))
    assert found[0] == "social-media"
    assert "social-dinner" not in found


def test_a_query_word_inside_a_longer_word_of_the_post_still_meets_it(agency):
    # 流量池 is not a dictionary word: the post's 私域流量池 is cut otherwise; bigrams find it.
    assert "pool" in slugs(agency.search("流量池", limit=3))


def test_a_post_that_says_it_does_not_do_the_thing_ranks_below_one_about_it(agency):
    found = slugs(agency.search("私域流量", limit=5))
    assert found[0] == "private"
    assert "no-private" not in found[:2]  # it names 私域流量 early, but to say it does not do it


@pytest.mark.parametrize(
    ("typed", "meant", "wanted"), [("小红薯种草", "小红书种草", "redbook"), ("个人品派", "个人品牌", "brand")]
)
def test_slang_and_homophone_slips_are_corrected_and_not_weak(agency, typed, meant, wanted):
    result = agency.search(typed, limit=3)
    assert result.corrected == meant
    assert slugs(result)[0] == wanted
    assert not result.weak


def test_related_concepts_meet(agency):
    assert slugs(agency.search("KOL合作", limit=3))[0] == "kol"


@pytest.mark.parametrize("query", ["CDP选型", "跨境电商亚马逊选品"])
def test_a_key_word_no_document_contains_makes_the_answer_weak(agency, query):
    result = agency.search(query, limit=5)
    assert result.weak or not result.hits


def test_strong_hits_are_counted_apart_from_maybe_related_ones(agency):
    result = agency.search("私域流量", limit=10)
    assert 1 <= result.strong < result.total
    assert result.to_json()["strong"] == result.strong
