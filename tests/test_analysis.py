"""The tokenizer: what gets indexed, at which positions, and what a query becomes."""

from __future__ import annotations

import pytest

from indexer.analysis import ChineseTokenizer
from indexer.query import parse_query
from indexer.segment import Segmenter, get_segmenter
from indexer.text import fold, normalize_query
from tests.conftest import SAMPLE_CONTENT


def tokens(text: str) -> list[tuple[str, int]]:
    return [(t.text, t.pos) for t in ChineseTokenizer()(text, positions=True)]


def words_of(query: str) -> list[str]:
    seg = get_segmenter()
    return [g.word for g in parse_query(query, seg, seg.resources).groups]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＣＥＯ品牌", "ceo品牌"),
        ("AIGC时代", "aigc时代"),
        ("Ａｉｒｂｎｂ，民宿", "airbnb,民宿"),
        ("２０１９年", "2019年"),
    ],
)
def test_fold_makes_full_width_and_case_meet(text, expected):
    assert fold(text) == expected


def test_fold_is_nfkc_and_lowercase_whatever_comes_around_a_full_width_form():
    import unicodedata

    def reference(text: str) -> str:
        return unicodedata.normalize("NFKC", text).lower()

    samples = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    samples += ["Ａ\u0301", "ｶﾞ", "ｶ\u3099", "…\u0301", "，\u0338", "ｅ\u0301ｔé", "ﾊﾟｿｺﾝ，ＣＥＯ？", "私域　流量…"]
    samples += [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CONTENT.rglob("*.md"))]
    assert [fold(t) for t in samples] == [reference(t) for t in samples]


def test_query_normalisation_turns_traditional_into_simplified():
    assert normalize_query("  營銷   案例 ") == "营销 案例"


def test_domain_words_stay_whole():
    words = [w for w, _ in tokens("双微一抖和小程序都是私域运营的阵地，个人品牌也是")]
    for word in ("双微一抖", "小程序", "私域", "个人品牌"):
        assert word in words


def test_sub_words_share_their_parent_position():
    toks = tokens("中华人民共和国成立")
    positions = dict(toks)
    assert positions["中华人民共和国"] == positions["共和国"] == positions["中华"] == 0
    assert positions["成立"] == 1


def test_positions_are_word_indexes_so_phrases_work():
    toks = tokens("社群的运营方法")
    assert ("社群", 0) in toks and ("运营", 2) in toks and ("方法", 3) in toks


def test_single_letters_and_digits_are_kept_and_english_is_not_stemmed():
    words = [w for w, _ in tokens("C端用户用iPhone，B端看ROI")]
    assert "c" in words and "b" in words
    assert "iphone" in words and "iphon" not in words


def test_index_stop_words_are_dropped_but_still_take_a_position():
    toks = tokens("品牌的故事")
    assert [w for w, _ in toks] == ["品牌", "故事"]
    assert dict(toks)["故事"] == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("有没有讲个人品牌的文章", ["个人品牌", "文章"]),
        ("双微一抖怎么运营", ["双微一抖", "运营"]),
        ("如何做小程序？", ["小程序"]),
        ("推荐关于私域的内容吗", ["私域"]),
        ("中小学生", ["中小学生"]),
        ("AND OR NOT * ? : ( ) ~ ^", ["not"]),
        ("", []),
        ("？！。，", []),
    ],
)
def test_queries_use_default_mode_and_drop_filler(query, expected):
    assert words_of(query) == expected


def test_kind_words_become_a_hint_not_a_requirement():
    seg = get_segmenter()
    parsed = parse_query("小程序 案例", seg, seg.resources)
    assert parsed.kind_hint == "case"
    assert [g.word for g in parsed.content_groups] == ["小程序"]


def test_synonyms_are_attached_to_query_words():
    seg = get_segmenter()
    parsed = parse_query("抖音运营", seg, seg.resources)
    assert "短视频" in parsed.groups[0].synonyms


def test_hash_tags_in_a_query_become_tag_filters():
    seg = get_segmenter()
    parsed = parse_query("#小程序 会员", seg, seg.resources)
    assert parsed.tags == ["小程序"]
    assert [g.word for g in parsed.groups] == ["会员"]


def test_rjieba_cuts_exactly_like_jieba_on_the_sample_content():
    pytest.importorskip("rjieba")
    seg_r = get_segmenter()
    seg_j = Segmenter(seg_r.resources, backend="jieba")
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CONTENT.rglob("*.md"))]
    assert texts, "sample content is missing"
    same = sum(list(seg_r.index_tokens(fold(t))) == list(seg_j.index_tokens(fold(t))) for t in texts)
    assert same == len(texts)


def _search_mode_tokens(seg: Segmenter, text: str) -> list[tuple[str, int]]:
    """Index tokens as the segmenter made them before it kept each word's tokens: every word of the
    cut, and the dictionary words of two and three characters inside it, at the word's position."""
    out, pos = [], 0
    for word in seg._cut(text):
        if not any(c.isalnum() or c == "_" for c in word):
            continue
        if word not in seg.resources.index_stopwords:
            for size in (2, 3):
                for i in range(len(word) - size + 1):
                    if size < len(word) and seg.has_word(word[i : i + size]):
                        out.append((word[i : i + size], pos))
            out.append((word, pos))
        pos += 1
    return out


@pytest.mark.parametrize("backend", ["auto", "jieba"])
def test_index_tokens_and_their_positions_grouped_are_the_search_mode_cut(backend):
    seg = get_segmenter() if backend == "auto" else Segmenter(get_segmenter().resources, backend="jieba")
    texts = [fold(p.read_text(encoding="utf-8")) for p in sorted(SAMPLE_CONTENT.rglob("*.md"))]
    texts += ["访问 www.example.com 看 id-mapping 的 3.5% 哈哈哈哈", "的的的 了 私域流量运营 ，。！"]
    for text in texts * 2:  # the second time from the words the segmenter kept
        expected = _search_mode_tokens(seg, text)
        assert list(seg.index_tokens(text)) == expected
        grouped: dict[str, list[int]] = {}
        for word, pos in expected:
            grouped.setdefault(word, []).append(pos)
        assert seg.index_positions(text) == grouped
        assert list(seg.index_positions(text)) == list(grouped)  # first occurrences in order
