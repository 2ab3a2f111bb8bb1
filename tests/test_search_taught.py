"""The search side of teaching (indexer.teaching): rule keys, expansions, pins and lifts, on the
real sample index. The audience mask holds whatever a rule asks for."""

from __future__ import annotations

import pytest

from indexer.teaching import EXPANSION_FACTOR, query_key, rewrite

SHUANGWEI = "_posts/2019-5-21-shuangwei-yidou-roles"
INTERNAL = "case-auto-live-budget-internal"  # 【内部】驰远汽车直播项目报价与投放数据明细
PUBLIC_CASE = "case-auto-douyin-live"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("抖音运营", "抖音 运营"),
        ("抖音运营？", "抖音 运营"),
        ("抖音 运营", "抖音 运营"),
        ("有没有抖音运营的文章", "抖音 运营"),
        ("抖音運營！", "抖音 运营"),
        ("ＳＯＣＩＡＬ Media", "social media"),
        ("有没有", ""),
        ("？？", ""),
    ],
)
def test_queries_are_keyed_as_the_search_reads_them(searcher, typed, key):
    assert query_key(typed) == key


@pytest.mark.parametrize(
    ("words", "source", "expected"),
    [
        (("抖音", "运营"), ("抖音", "运营"), "双微一抖"),
        (("抖音", "运营", "方法"), ("抖音", "运营"), "双微一抖 方法"),
        (("新", "抖音", "运营"), ("抖音", "运营"), "新 双微一抖"),
        (("抖音",), ("抖音", "运营"), None),
        (("运营", "抖音"), ("抖音", "运营"), None),
    ],
)
def test_a_rewrite_replaces_its_words_where_they_occur_in_a_row(words, source, expected):
    assert rewrite(words, source, "双微一抖") == expected


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def test_an_expansion_adds_the_other_querys_hits_below_equal_direct_ones(searcher):
    plain = searcher.search("微博运营", limit=100)
    wider = searcher.search("微博运营", limit=100, expansions=["小程序"])
    mini = searcher.search("小程序", limit=100)
    assert set(ids(wider)) == set(ids(plain)) | set(ids(mini))
    assert wider.total == len(wider.hits) == len(set(ids(wider)))
    taught = {h.id: h.taught for h in wider.hits}
    assert all(taught[i] == "" for i in ids(plain))
    assert all(taught[i] == "rewrite" for i in set(ids(mini)) - set(ids(plain)))
    # one ranking: a hit found only through the rewrite counts EXPANSION_FACTOR of its own score
    assert [round(h.score, 3) for h in wider.hits] == sorted((round(h.score, 3) for h in wider.hits), reverse=True)
    extra = next(h for h in wider.hits if h.taught == "rewrite")
    assert extra.score == pytest.approx(next(h.score for h in mini.hits if h.id == extra.id) * EXPANSION_FACTOR)
    # the cached plain search is untouched
    assert ids(searcher.search("微博运营", limit=100)) == ids(plain)


def test_an_expansion_finds_something_for_a_query_that_found_nothing(searcher):
    assert searcher.search("zqxyzzy", limit=5).total == 0
    found = searcher.search("zqxyzzy", limit=5, expansions=["双微一抖"])
    assert found.hits[0].id == SHUANGWEI and not found.weak and found.hits[0].snippet


def test_pins_go_first_in_order_and_only_for_whom_may_see_them(searcher):
    pinned = [INTERNAL, SHUANGWEI, "no-such-document"]
    staff = searcher.search("驰远汽车", audience="employee", limit=10, pinned=pinned)
    assert ids(staff)[:2] == [INTERNAL, SHUANGWEI] and staff.hits[0].taught == "pinned"
    assert len(ids(staff)) == len(set(ids(staff)))  # a pinned hit is not listed twice
    client = searcher.search("驰远汽车", audience="client", limit=10, pinned=pinned)
    assert ids(client)[0] == SHUANGWEI and INTERNAL not in ids(client)
    assert client.total == len(client.hits)
    # filters hold too: an article pinned for a search of cases is left out
    cases = searcher.search("驰远汽车", audience="client", kind="case", limit=10, pinned=[SHUANGWEI])
    assert SHUANGWEI not in ids(cases) and ids(cases)


def test_a_pin_answers_a_query_that_found_nothing_and_is_not_weak(searcher):
    found = searcher.search("zqxyzzy", pinned=[SHUANGWEI])
    assert ids(found) == [SHUANGWEI] and found.total == 1 and not found.weak
    assert searcher.search("zqxyzzy", audience="client", pinned=[INTERNAL]).total == 0


def test_a_lift_raises_a_candidate_and_adds_nothing(searcher):
    plain = searcher.search("驰远汽车", audience="employee", limit=10)
    last = plain.hits[-1].id
    lifted = searcher.search("驰远汽车", audience="employee", limit=10, lifted={last: 100.0, SHUANGWEI: 100.0})
    assert ids(lifted)[0] == last and lifted.hits[0].taught == "lifted"
    assert set(ids(lifted)) == set(ids(plain))


def test_no_rule_shows_a_client_an_internal_document(searcher):
    internal = {h.id for h in searcher.latest(audience="employee", limit=1000) if h.visibility == "internal"}
    found = searcher.search(
        "驰远汽车",
        audience="client",
        limit=100,
        expansions=["报价", "内部 复盘"],
        pinned=sorted(internal),
        lifted=dict.fromkeys(internal, 10.0),
    )
    assert found.hits and not internal & set(ids(found))


def test_the_json_contract_does_not_change(searcher):
    hit = searcher.search("zqxyzzy", pinned=[SHUANGWEI]).hits[0]
    assert "taught" not in hit.to_json()
