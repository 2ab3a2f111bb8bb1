"""Meaning beyond the same words (issue 9 item 2), on real indexes: the general thesaurus, the
associations and topics learnt from the company's own posts, and `weak` kept honest."""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import index

from indexer import associations
from indexer.build import rebuild
from indexer.generations import current_path
from indexer.search import open_searcher
from tests.conftest import make_settings

# Topics of an agency's blog, each with the words its posts keep using together.
TOPICS = {
    "salon": ["企业家", "闭门", "圆桌", "对谈", "嘉宾", "主持", "议题", "复盘"],
    "video": ["短视频", "脚本", "分镜", "剪辑", "拍摄", "镜头", "口播", "封面"],
    "brand": ["品牌", "定位", "调性", "口碑", "故事", "形象", "识别", "资产"],
    "travel": ["旅行", "签证", "行李", "机场", "酒店", "路线", "攻略", "景点"],
    "write": ["写作", "文案", "标题", "段落", "修改", "读者", "草稿", "结构"],
}
FILLER = ["我们", "这次", "发现", "其实", "一直", "认为", "重要", "事情", "时候", "可以"]


def _post(path, slug, title, body, visibility="public", tags=""):
    path.write_text(f"---\ntitle: {title}\ntags: [{tags}]\nvisibility: {visibility}\n---\n\n{body}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def blog(tmp_path_factory):
    """60 public posts on five topics, plus the posts each test looks for."""
    tmp = tmp_path_factory.mktemp("meaning")
    posts = tmp / "content" / "_posts"
    posts.mkdir(parents=True)
    rng = random.Random(7)
    n = 0
    for topic, words in TOPICS.items():
        for i in range(12):
            n += 1
            body = "，".join(rng.choice(words) + rng.choice(FILLER) + rng.choice(words) for _ in range(30))
            if topic == "salon" and i < 3:  # few posts name the format: the query word finds little
                body += "。这是一次私董会。"
            title = f"{rng.choice(words)}{rng.choice(words)}笔记 {n}"
            _post(posts / f"2023-2-{n}-{topic}-{n}.md", topic, title, body)
    # Uses the salon topic's words, never the name 私董会 itself.
    _post(
        posts / "2023-3-1-roundtable.md",
        "roundtable",
        "一场闭门圆桌的复盘",
        "企业家围坐对谈，嘉宾轮流主持议题，闭门圆桌的规矩是不外传。" * 3,
    )
    # Pays: the thesaurus knows 工资 and 薪资 are one thing; our own word lists do not.
    _post(posts / "2023-3-2-pay.md", "pay", "薪资谈判的三个原则", "谈薪资之前，先了解行情。薪资不是唯一的回报。")
    _post(posts / "2023-3-3-moving.md", "moving", "买房之前想清楚的事", "买房是一家人的大事，买房前先算清预算。")
    # Internal: only employees may see it, and nothing learnt from it reaches a client's query.
    _post(
        posts / "2023-3-4-secret.md",
        "secret",
        "私董会内部报价单",
        "私董会报价，企业家闭门圆桌的内部价格表，绝密代号青鸾。" * 3,
        visibility="internal",
    )
    _post(
        posts / "2023-3-5-secret2.md",
        "secret2",
        "青鸾项目纪要",
        "青鸾项目与私董会企业家的闭门圆桌。" * 3,
        visibility="internal",
    )
    settings = make_settings(
        tmp, CONTENT_DIR=tmp / "content", SITE_URL="https://agency.example.cn", SEMANTIC_CHANNEL="1"
    )
    rebuild(settings)
    return settings, open_searcher(settings.index_dir, cache_size=0)


def ids(result) -> list[str]:
    return [h.id.split("-", 3)[-1] for h in result.hits]


def test_a_thesaurus_neighbour_finds_the_post_but_the_answer_stays_weak(blog):
    _, searcher = blog
    result = searcher.search("工资怎么谈", limit=3)
    assert "pay" in ids(result)  # the post says 薪资, the question 工资: no shared word
    # 工资 is in no document: the answer is related reading, not a match (issue 9 item 7)
    assert result.weak


def test_what_the_posts_taught_finds_a_post_on_the_topic_that_never_names_it(blog):
    _, searcher = blog
    # The roundtable post never says 私董会; the model learnt from the three salon posts that do that
    # 私董会 goes with 企业家, 闭门, 圆桌 — words the roundtable post is full of.
    result = searcher.search("私董会", audience="client", limit=20)
    assert "roundtable" in ids(result)
    assert not {"secret", "secret2"} & set(ids(result))


def test_an_internal_post_never_reaches_a_client_through_the_semantic_channel(blog):
    _, searcher = blog
    # The internal posts are the closest of all to these words; a client gets only public posts,
    # an employee gets them too.
    for query in ("企业家闭门圆桌", "私董会报价", "青鸾"):
        client = searcher.search(query, audience="client", limit=20)
        assert not {"secret", "secret2"} & set(ids(client)), query
    employee = searcher.search("私董会报价", audience="employee", limit=5)
    assert "secret" in ids(employee)


def test_nothing_learnt_from_internal_posts_is_in_the_model(blog):
    settings, _ = blog
    model = associations.load(current_path(settings.index_dir))
    assert model is not None
    assert "青鸾" not in model.vocabulary  # only internal posts use it
    assert "私董会" in model.vocabulary
    # internal documents are folded into the same space, so employees get the channel too
    with index.open_dir(str(current_path(settings.index_dir))).searcher() as searcher:
        internal = [searcher.document_number(id=f"2023-3-{i}-secret{s}") for i, s in ((4, ""), (5, "2"))]
    assert all(np.linalg.norm(model.docs[d]) > 0.99 for d in internal)


def test_learnt_neighbours_are_words_of_the_same_topic(blog):
    settings, _ = blog
    model = associations.load(current_path(settings.index_dir))
    near = [w for w, _ in model.neighbours("分镜", 5, 0.0)]
    assert set(near) <= set(TOPICS["video"]), near


@pytest.mark.parametrize(
    ("query", "weak"),
    [
        ("买房要趁早吗", False),  # 趁早 is in no post, but it is an adverb: it says when, not what
        ("买房签证", False),  # both are in posts
        ("买房退税", True),  # 退税 is a topic no post covers
    ],
)
def test_only_words_that_name_a_topic_make_an_answer_weak_when_missing(blog, query, weak):
    _, searcher = blog
    result = searcher.search(query, limit=3)
    assert "moving" in ids(result)
    assert result.weak is weak


def test_a_small_corpus_learns_nothing_and_search_still_works(tmp_path):
    posts = tmp_path / "content"
    posts.mkdir()
    _post(posts / "2023-1-1-a.md", "a", "薪资谈判", "谈薪资之前先了解行情。")
    settings = make_settings(tmp_path, CONTENT_DIR=posts, SEMANTIC_CHANNEL="1")
    rebuild(settings)
    assert associations.load(current_path(settings.index_dir)) is None
    assert ids(open_searcher(settings.index_dir).search("工资", limit=3)) == ["a"]


def test_the_semantic_channel_is_off_unless_asked_for(blog, tmp_path):
    # Off by default: on the blind sets it did not help (BENCHMARKS.md); the thesaurus still works.
    settings = make_settings(tmp_path, CONTENT_DIR=blog[0].content_dir)
    rebuild(settings)
    assert associations.load(current_path(settings.index_dir)) is None
    searcher = open_searcher(settings.index_dir, cache_size=0)
    assert "roundtable" not in ids(searcher.search("私董会", limit=20))
    assert "pay" in ids(searcher.search("工资怎么谈", limit=3))


def test_a_word_in_several_groups_gets_their_union_small_groups_first():
    from indexer.meaning import LARGE_GROUP, LARGE_GROUP_FACTOR, parse_thesaurus

    large = ["推广", *(f"词{i}" for i in range(LARGE_GROUP)), "宣传"]
    thesaurus = parse_thesaurus([" ".join(large), "宣传 传播 推广", "孤词", "推广 推广 营销"])
    assert thesaurus.of("推广") == (
        ("宣传", 1.0),  # close in a small group although first met in the large one
        ("传播", 1.0),
        ("营销", 1.0),
        *((f"词{i}", LARGE_GROUP_FACTOR) for i in range(LARGE_GROUP)),
    )
    assert thesaurus.of("孤词") == () and thesaurus.of("没见过") == ()
    assert len(thesaurus) == LARGE_GROUP + 4  # 推广, 宣传, 传播, 营销 and the large group's words
