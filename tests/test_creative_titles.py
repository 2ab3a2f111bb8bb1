"""Title ideas (creative/titles.py, config/titles.yaml): every pattern renders without braces, ideas come
five at a time in different styles, and a title someone saw becomes a pattern."""

from __future__ import annotations

import re

import pytest

from config.errors import ConfigError
from config.settings import CONFIG_DIR
from creative.ideas import Request, choose, fill, parse_request
from creative.propose import propose
from creative.titles import (
    PLATFORMS,
    SLOTS,
    STYLES,
    Pattern,
    check_pattern,
    load_library,
    render,
)

LIBRARY = load_library(CONFIG_DIR / "titles.yaml")
EVERY_WORD = {"品牌": "青藤互动", "产品": "小程序", "行业": "餐饮", "人群": "宝妈"}


def test_the_library_holds_at_least_100_patterns_in_every_style():
    assert len(LIBRARY.patterns) >= 100
    assert {p.style for p in LIBRARY.patterns} == set(STYLES)
    assert len({p.id for p in LIBRARY.patterns}) == len(LIBRARY.patterns)
    assert len({p.text for p in LIBRARY.patterns}) == len(LIBRARY.patterns)
    for pattern in LIBRARY.patterns:
        assert pattern.platforms and set(pattern.platforms) <= set(PLATFORMS)
        assert pattern.slots <= set(SLOTS) and pattern.slots, pattern.text
        assert check_pattern(pattern.text) == ""


@pytest.mark.parametrize(
    "words",
    [
        EVERY_WORD,
        {"品牌": "青藤互动"},  # 标题 青藤互动
        {"品牌": "青藤互动", "行业": "数字营销"},  # plus COMPANY_INDUSTRY
        {},  # no company settings at all
    ],
    ids=["all", "brand", "brand+industry", "nothing"],
)
def test_every_pattern_renders_without_leftover_braces(words):
    rendered = 0
    for pattern in LIBRARY.patterns:
        for turn in range(3):
            text = render(pattern, words, LIBRARY, turn)
            if text is None:
                assert pattern.required - {"数字", "人群"} - {k for k, v in words.items() if v}, pattern.text
                continue
            rendered += 1
            assert not re.search(r"[{}\[\]]", text), (pattern.text, text)
            assert "  " not in text and not text.startswith(("，", "：")), text
            for slot, word in words.items():
                if slot in pattern.required:
                    assert word in text
    assert rendered >= 3 * (len(LIBRARY.patterns) // 3 if words else 12)


def test_with_every_word_every_pattern_renders():
    assert all(render(p, EVERY_WORD, LIBRARY) for p in LIBRARY.patterns)


def test_optional_parts_appear_only_with_their_word():
    pattern = Pattern("x", "{品牌}[做{产品}]的{数字}个细节", "数字清单", numbers=(5,))
    assert render(pattern, {"品牌": "青藤互动", "产品": "小程序"}, LIBRARY) == "青藤互动做小程序的5个细节"
    assert render(pattern, {"品牌": "青藤互动"}, LIBRARY) == "青藤互动的5个细节"
    assert render(pattern, {"产品": "小程序"}, LIBRARY) is None  # a required slot without a word


def request_for(*words: str) -> tuple[Request, dict]:
    request = parse_request(list(words), LIBRARY)
    return request, fill(LIBRARY, request, company="青藤互动", industry="数字营销")


def test_brand_gives_five_ideas_of_different_styles_each_with_the_brand():
    request, words = request_for("青藤互动")
    ideas = choose(LIBRARY, request, words)
    assert len(ideas) == 5
    assert len({i.style for i in ideas}) == 5
    assert all("青藤互动" in i.text for i in ideas)
    more = choose(LIBRARY, request, words, exclude=[i.pattern_id for i in ideas])
    assert len(more) == 5 and all("青藤互动" in i.text for i in more)
    assert not {i.pattern_id for i in more} & {i.pattern_id for i in ideas}
    assert not {i.text for i in more} & {i.text for i in ideas}


def test_the_same_request_gives_the_same_ideas():
    request, words = request_for("青藤互动", "小程序")
    assert choose(LIBRARY, request, words) == choose(LIBRARY, request, words)


def test_a_product_is_filled_in():
    request, words = request_for("青藤互动", "小程序")
    assert (request.brand, request.product) == ("青藤互动", "小程序")
    ideas = choose(LIBRARY, request, words)
    assert all("青藤互动" in i.text and "小程序" in i.text for i in ideas)


@pytest.mark.parametrize("words", [("小红书", "青藤互动"), ("青藤互动", "小红书"), ("红书", "青藤互动")])
def test_a_platform_word_keeps_only_its_patterns(words):
    request, filled = request_for(*words)
    assert request.platform == "小红书" and request.brand == "青藤互动"
    by_id = {p.id: p for p in LIBRARY.patterns}
    seen: list[str] = []
    for _ in range(4):
        ideas = choose(LIBRARY, request, filled, exclude=seen)
        assert ideas
        assert all("小红书" in by_id[i.pattern_id].platforms for i in ideas)
        seen += [i.pattern_id for i in ideas]


def test_industry_and_audience_words_fill_their_slots():
    request, words = request_for("蜀香阁", "餐饮", "宝妈")
    assert (request.brand, request.industry, request.people, request.product) == ("蜀香阁", "餐饮", "宝妈", "")
    texts = [i.text for i in choose(LIBRARY, request, words, count=40)]
    assert any("餐饮" in t for t in texts) and any("宝妈" in t for t in texts)
    assert "数字营销" not in "".join(texts)


def test_without_a_brand_the_company_name_fills_in_and_without_it_nothing_breaks():
    request = parse_request([], LIBRARY)
    ideas = choose(LIBRARY, request, fill(LIBRARY, request, company="青藤互动"))
    assert len(ideas) == 5
    bare = choose(LIBRARY, request, fill(LIBRARY, request))
    assert len(bare) == 5 and not any(re.search(r"[{}\[\]]", i.text) for i in bare)


def test_a_bad_pattern_file_names_the_entry(tmp_path):
    bad = tmp_path / "titles.yaml"
    bad.write_text('patterns:\n  - {id: a, style: 提问, text: "{公司}为什么火了"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"patterns\[0\].*公司"):
        load_library(bad)
    bad.write_text('patterns:\n  - {id: a, style: 随便, text: "{品牌}为什么火了"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="style"):
        load_library(bad)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{品牌}为什么火了", ""),
        ("{公司}为什么火了", "不认识的槽位"),
        ("{品牌为什么火了", "大括号"),
        ("[{品牌}的", "方括号"),
        ("", "空"),
    ],
)
def test_check_pattern(text, problem):
    assert (problem in check_pattern(text)) if problem else check_pattern(text) == ""


@pytest.mark.parametrize(
    ("title", "pattern", "style"),
    [
        ("蜀香阁用小程序3个月，翻台率涨了18%", "{品牌}用{产品}{数字}个月，翻台率涨了18%", "数字清单"),
        ("瑞幸为什么总能上热搜？", "{品牌}为什么总能上热搜？", "提问"),
        ("别再乱做私域了！这五个坑90%的老板都踩过", "别再乱做{产品}了！这五个坑{数字}%的{人群}都踩过", "避坑"),
        ("我在小米做了十年产品", "我在{品牌}做了{数字}年产品", "故事"),
        ("双十一前，品牌该做的三件事", "双十一前，品牌该做的{数字}件事", "数字清单"),
        ("一家咖啡店的100天", "一家{行业}店的{数字}天", "数字清单"),
    ],
)
def test_a_title_seen_becomes_a_pattern(title, pattern, style):
    proposal = propose(title, LIBRARY)
    assert (proposal.text, proposal.style) == (pattern, style)
    assert proposal.problem == ""
    rendered = render(Pattern("p", proposal.text, proposal.style, numbers=proposal.numbers), EVERY_WORD, LIBRARY)
    assert rendered and "{" not in rendered


@pytest.mark.parametrize("backend", ["jieba", "rjieba"])
def test_both_segmenter_backends_tag_parts_of_speech(backend):
    from indexer import get_segmenter
    from indexer.segment import Segmenter

    pytest.importorskip(backend)
    tagged = dict(Segmenter(get_segmenter().resources, backend=backend).tag("双十一前，品牌该做的三件事，小程序"))
    assert tagged["品牌"] == "n" and tagged["小程序"] == "n"  # the user dictionary's words, whole
    assert tagged["三件"] in ("m", "mq")
