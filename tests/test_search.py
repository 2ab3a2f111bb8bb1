"""Search behaviour on the sample content, as a colleague or a client typing into WeChat sees it."""

from __future__ import annotations

import pytest

POST = "_posts/"


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("双微一抖怎么运营", POST + "2019-5-21-shuangwei-yidou-roles"),
        ("私域社群怎么做起来", POST + "2021-4-20-private-traffic-community-layers"),
        ("企业微信怎么给客户打标签", POST + "2021-5-12-wecom-scrm-from-friend-to-tags"),
        ("小红书种草有没有案例", "case-beauty-xiaohongshu-seeding"),
        ("疫情期间门店怎么转线上", POST + "2020-3-27-stores-closed-two-weeks-online"),
        ("老板要不要做个人IP", POST + "2021-10-25-should-the-ceo-go-on-camera"),
        ("ChatGPT写文案靠谱吗", POST + "2023-2-14-chatgpt-in-the-marketing-team"),
        ("出了负面舆情怎么回应", POST + "2022-8-22-crisis-pr-first-24-hours"),
        ("老字号数字化转型", "cases/laozihao-digital-transformation"),
        ("CDP怎么选", POST + "2022-3-9-eight-questions-before-buying-a-cdp"),
        ("文旅城市上热搜", "case-city-tourism-weibo-topic"),
        ("汽车抖音直播", "case-auto-douyin-live"),
    ],
)
def test_colloquial_queries_find_the_wanted_item_in_the_top_three(searcher, query, wanted):
    result = searcher.search(query, limit=3)
    assert wanted in ids(result), f"{query}: {ids(result)}"
    assert not result.weak


def test_a_kind_word_in_the_query_prefers_that_kind(searcher):
    result = searcher.search("小程序 案例", limit=3)
    assert result.hits[0].kind == "case"
    assert "case-milk-tea-miniprogram" in ids(result) or "cases/hotpot-booking-mini-program" in ids(result)


def test_kind_filter_returns_only_that_kind(searcher):
    result = searcher.search("小程序", kind="article", limit=10)
    assert result.hits and {h.kind for h in result.hits} == {"article"}


def test_tag_filter_from_a_hash_tag(searcher):
    result = searcher.search("#小程序", limit=10)
    assert result.hits
    assert all("小程序" in h.tags for h in result.hits)


def test_synonyms_find_documents_that_use_another_word(searcher):
    result = searcher.search("短视频脚本", limit=3)
    assert POST + "2020-8-3-douyin-script-four-boxes" in ids(result)
    covid = searcher.search("新冠 品牌沟通", limit=3)
    assert POST + "2020-2-10-brand-voice-during-epidemic" in ids(covid)


@pytest.mark.parametrize("typo", ["按例 小程序", "营消日历"])
def test_pinyin_slips_are_corrected(searcher, typo):
    result = searcher.search(typo, limit=3)
    assert result.corrected and ("案例" in result.corrected or "营销" in result.corrected)
    assert result.hits


def test_internal_cases_never_reach_a_client(searcher):
    client = searcher.search("汽车直播预算", audience="client", limit=20)
    employee = searcher.search("汽车直播预算", audience="employee", limit=20)
    assert "case-auto-live-budget-internal" in ids(employee)
    assert all(h.visibility == "public" for h in client.hits)
    assert searcher.get("case-auto-live-budget-internal", audience="client") is None
    assert searcher.get("case-auto-live-budget-internal", audience="employee") is not None
    assert all(h.visibility == "public" for h in searcher.latest(audience="client", limit=50))


def test_price_sheet_is_for_employees_only(searcher):
    employee = searcher.search("达人报价多少", audience="employee", limit=5)
    client = searcher.search("达人报价多少", audience="client", limit=5)
    assert "case-kol-price-sheet-internal" in ids(employee)
    assert "case-kol-price-sheet-internal" not in ids(client)


def test_unknown_audience_is_refused(searcher):
    with pytest.raises(ValueError):
        searcher.search("小程序", audience="admin")


@pytest.mark.parametrize(
    "query",
    [
        "AND",
        "OR NOT",
        "小程序 AND 案例 OR NOT",
        "*",
        "?",
        '"私域',
        "title:小程序",
        "(双微一抖",
        "~抖音^2",
        "😀🔥",
        "",
        "   ",
        "，。！？、；：",
        "营销" * 2500,
        "\x00\x01控制字符",
        "<script>alert(1)</script>",
    ],
)
def test_odd_input_never_raises(searcher, query):
    result = searcher.search(query, limit=5)
    assert result.total >= len(result.hits)


def test_unanswerable_question_is_weak_or_empty(searcher):
    result = searcher.search("跨境电商怎么做亚马逊选品", limit=5)
    assert result.weak or not result.hits


def test_nothing_found_offers_related_tags(searcher):
    result = searcher.search("量子计算机", limit=5)
    assert result.total == 0
    assert result.related_tags


def test_snippets_highlight_the_matched_words(searcher):
    hit = searcher.search("企业微信 标签", limit=1).hits[0]
    marked = [hit.snippet[s:e] for s, e in hit.highlights]
    assert any(m in ("企业微信", "标签") for m in marked)
    assert len(hit.snippet) <= 100


def test_paging_gives_the_next_hits_without_repeats(searcher):
    first = searcher.search("品牌", limit=3, offset=0)
    second = searcher.search("品牌", limit=3, offset=3)
    assert first.total > 3
    assert not set(ids(first)) & set(ids(second))


def test_recency_orders_latest(searcher):
    dates = [h.date for h in searcher.latest(limit=10)]
    assert dates == sorted(dates, reverse=True)


def test_json_shape_follows_the_contract(searcher):
    data = searcher.search("小程序", limit=2).to_json()
    assert {"query", "total", "weak", "hits"} <= set(data)
    assert {"id", "kind", "title", "url", "tags", "date", "score", "snippet"} <= set(data["hits"][0])
    assert data["hits"][0]["url"].startswith("https://")


def test_zero_result_suggestions_never_name_internal_tags(searcher, sample_settings):
    from indexer.gather import collect

    internal_only = {t for d in collect(sample_settings).documents if d.visibility == "internal" for t in d.tags}
    internal_only -= {t for d in collect(sample_settings).documents if d.visibility == "public" for t in d.tags}
    assert internal_only, "the sample content should have tags used only by internal cases"
    for query in ("量子计算机", "zzzz", "🚀"):
        result = searcher.search(query, audience="client")
        assert not set(result.related_tags) & internal_only


def test_a_tag_filter_also_finds_longer_tags_starting_with_it(searcher):
    result = searcher.search("#私域", limit=20)
    tags = {t for h in result.hits for t in h.tags}
    assert "私域流量" in tags
    assert all(any(t.startswith("私域") for t in h.tags) for h in result.hits)
