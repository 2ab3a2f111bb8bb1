"""The share kit (creative/) on real content: every form within its limits, whole sentences only,
no Markdown, nothing internal — for each document of the sample content and the founder's posts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from creative import NotShareable, Piece, make_kit, weibo_length
from creative import kit as limits
from creative.rank import rank
from creative.text import sentences
from indexer.sources import collect
from tests.conftest import SAMPLE_CONTENT, shared_path

LINK = "https://bot.example.cn/s/AbCdEf0123456789-token"
MARKDOWN = re.compile(r"\*\*|__|^\s*#{1,6}\s|^\s*>|\]\(|!\[|`|\|.*\||^\s*[-*+]\s", re.M)
END = re.compile(r"[。！？!?；;…]+[”’」』）)】》\"']*$")
BEFORE = set("\n。！？!?；;…”’」』）)】》\"' ")
FIGURE = re.compile(r"(?<![A-Za-z])\d|[一二两三四五六七八九十]+(?:成|倍|万|亿)")


def sample_documents():
    return collect(SAMPLE_CONTENT).documents


def corpus_documents():
    return collect(shared_path("corpus", "actionthinker")).documents


def whole_sentence_of(piece: str, source: str) -> bool:
    """``piece`` occurs in ``source`` from a sentence start to a sentence end (its last mark may be 。 for ；)."""
    core = END.sub("", piece)
    start = source.find(core)
    while start != -1:
        after = source[start + len(core) : start + len(core) + 1]
        if (start == 0 or source[start - 1] in BEFORE) and after and after in "。！？!?；;…":
            return True
        start = source.find(core, start + 1)
    return False


def check_kit(doc, kit) -> None:
    source = re.sub(r"`+|\*\*|__", "", doc.summary + "\n" + doc.body)  # marks the kit strips from its copy
    forms = dict((key, text) for key, _, text in kit.forms())
    # 朋友圈: at most 4 short lines, the link last.
    lines = kit.moments.split("\n")
    assert 2 <= len(lines) <= limits.MOMENTS_LINES
    assert lines[-1].endswith(LINK)
    assert all(len(line) <= limits.MOMENTS_LINE_CHARS for line in lines[:-1]), lines
    # 微博: 140 字 the way 微博 counts them (the link is 10), 1–3 #话题#, the link.
    assert weibo_length(kit.weibo) <= limits.WEIBO_CHARS, kit.weibo
    assert LINK in kit.weibo
    assert 1 <= len(re.findall(r"#[^#\s]+#", kit.weibo)) <= 3
    # 小红书: a title of at most 20 characters, 3–5 points, 3–6 tags; no link.
    assert 0 < len(kit.xhs_title) <= limits.XHS_TITLE_CHARS
    assert 3 <= len(kit.xhs_points) <= 5
    assert all(len(p) <= limits.XHS_POINT_CHARS for p in kit.xhs_points)
    assert 3 <= len(kit.xhs_tags) <= 6 and all("#" not in t and " " not in t for t in kit.xhs_tags)
    assert "http" not in kit.xiaohongshu
    # Video: a 3-second hook, three beats, a call to action, 15–30 seconds in all.
    hook, *beats, cta = kit.video
    assert (hook.start, hook.end) == (0, 3) and len(hook.text) <= 15
    assert len(beats) == 3 and cta.label == "结尾"
    assert all(a.end == b.start for a, b in zip(kit.video, kit.video[1:], strict=False))
    assert 15 <= kit.video_seconds <= 30
    # Private message: one line with the link.
    assert "\n" not in kit.message and kit.message.endswith(LINK)
    assert len(kit.message.replace(LINK, "")) <= limits.MESSAGE_CHARS
    # No Markdown anywhere; every quoted sentence is whole; nothing else of the text is quoted.
    for key, text in forms.items():
        assert not MARKDOWN.search(text.replace(LINK, "")), (key, text)
    for quoted in kit.quoted:
        assert whole_sentence_of(quoted, source), (doc.id, quoted)
    for key, text in forms.items():
        rest = text.replace(LINK, "")
        for known in sorted([*kit.quoted, doc.title, *re.split(r"[：:，,、｜|]\s*", doc.title)], key=len, reverse=True):
            if known:
                rest = rest.replace(known, "")
        body = re.sub(r"\s", "", source)
        compact = re.sub(r"\s", "", rest)
        leaked = [compact[i : i + 16] for i in range(len(compact) - 15) if compact[i : i + 16] in body]
        assert not leaked, (doc.id, key, leaked[:1])


@pytest.mark.parametrize("documents", [sample_documents, corpus_documents], ids=["sample", "actionthinker"])
def test_every_document_fits_every_form_or_is_refused_when_internal(documents):
    docs = documents()
    internal = [d for d in docs if d.visibility == "internal"]
    public = [d for d in docs if d.visibility == "public"]
    assert public
    for doc in internal:
        with pytest.raises(NotShareable):
            make_kit(Piece.of(doc), LINK)
    for doc in public:
        check_kit(doc, make_kit(Piece.of(doc), LINK, company="青藤互动"))
        check_flat(doc)


def check_flat(doc) -> None:
    """Indexes built before bodies kept their line breaks hold them on one line: headings then sit
    in front of the next sentence. The kit still fits, and never quotes a heading as part of a sentence."""
    kit = make_kit(Piece.of(doc, body=" ".join(doc.body.split())), LINK)
    assert weibo_length(kit.weibo) <= limits.WEIBO_CHARS and 15 <= kit.video_seconds <= 30
    assert len(kit.moments.split("\n")) <= limits.MOMENTS_LINES and len(kit.xhs_title) <= limits.XHS_TITLE_CHARS
    headings = [line for line in doc.body.split("\n") if line and not END.search(line)]
    for quoted in kit.quoted:
        assert not any(quoted.startswith(h + " ") or f"{h} " in quoted for h in headings), (doc.id, quoted)


def test_every_sample_document_through_the_index(searcher):
    """What the bot does: the hit and its stored body from the index (line breaks kept)."""
    by_id = {d.id: d for d in sample_documents()}
    for doc_id, doc in by_id.items():
        hit = searcher.get(doc_id, audience="employee")
        body = searcher.body(doc_id, audience="employee")
        assert hit is not None and body is not None
        assert body.count("\n") == doc.body.strip().count("\n")
        if doc.visibility == "internal":
            assert searcher.body(doc_id, audience="client") is None
            with pytest.raises(NotShareable):
                make_kit(Piece.of(hit, body), LINK)
        else:
            check_kit(doc, make_kit(Piece.of(hit, body), LINK, company="青藤互动"))


def test_the_sample_content_has_internal_documents_to_refuse():
    assert sum(d.visibility == "internal" for d in sample_documents()) >= 4


def test_the_kit_is_deterministic():
    doc = next(d for d in sample_documents() if "hotpot" in d.id)
    assert make_kit(Piece.of(doc), LINK) == make_kit(Piece.of(doc), LINK)


def test_cases_lead_with_their_figures():
    cases = [d for d in sample_documents() if d.kind == "case" and d.visibility == "public"]
    assert len(cases) >= 10
    for doc in cases:
        kit = make_kit(Piece.of(doc), LINK)
        fact = kit.moments.split("\n")[1]
        assert FIGURE.search(fact), (doc.id, fact)


def test_short_titles_are_whole_parts_of_the_title():
    """A 20-character 小红书 title keeps names whole: it is built from the title's own parts."""
    for doc in sample_documents():
        if doc.visibility != "public":
            continue
        title = make_kit(Piece.of(doc), LINK).xhs_title
        parts = re.split(r"\s*[：:｜|，,、]\s*", doc.title)
        for piece in re.split(r"：|｜", title):
            assert piece in doc.title or piece.endswith("分享"), (doc.title, title)
            assert any(piece in part or part in piece for part in parts)


MARKDOWN_POST = """
# 一个标题不是句子

**加粗的开头**说明了重点：品牌要先想清楚目标。这是第二句，它很短。

> 引用里的一句话也要完整。

| 平台 | 频率 |
|---|---|
| 微博 | 每天 |

- 列表第一项写得很完整。
- 列表第二项[带链接](https://example.com/x)也一样。

`代码` 和 ![图片](https://example.com/a.png) 都不该出现。
"""


def test_markdown_is_stripped_and_headings_are_never_quoted():
    piece = Piece("md", "Markdown 测试：标记都去掉", "https://example.com/p", body=MARKDOWN_POST, tags=("测试",))
    kit = make_kit(piece, LINK)
    everything = "\n".join(text for _, _, text in kit.forms())
    assert not MARKDOWN.search(everything.replace(LINK, ""))
    assert "一个标题不是句子" not in everything and "微博 每天" not in everything
    assert "加粗的开头说明了重点：品牌要先想清楚目标。" in everything
    assert "列表第二项带链接也一样。" in kit.quoted or "列表第二项带链接也一样。" not in everything


def test_a_document_without_sentences_still_gets_every_form():
    piece = Piece("t", "只有标题的转发文章", "https://example.com/only-title", tags=("转发",))
    kit = make_kit(piece, LINK, company="青藤互动")
    assert kit.moments.endswith(LINK) and weibo_length(kit.weibo) <= 140
    assert 3 <= len(kit.xhs_points) <= 5 and 3 <= len(kit.xhs_tags) <= 6
    assert 15 <= kit.video_seconds <= 30 and kit.quoted == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("微博", 2),
        ("ab", 1),
        ("abc", 2),  # half-width characters are half a 字, rounded up
        ("https://www.qingteng.example/insights/shuangwei-yidou/", 10),  # a link is 10 字 whatever its length
        ("看这里 https://a.cn/x", 14),
        ("字" * 140, 140),
        ("https://example.com/" + "a" * 200, 50),  # beyond 140 units a link costs the excess too
    ],
)
def test_weibo_counts_like_weibo(text, expected):
    assert weibo_length(text) == expected


def test_textrank_puts_the_sentence_the_others_agree_with_first():
    text = (
        "天气预报说明天下雨。"
        "私域流量的核心是会员和社群的长期运营。"
        "会员运营需要社群里的持续服务。"
        "社群运营要有私域流量的分层。"
        "流量和会员都离不开长期运营。"
    )
    ranked = rank(sentences(text), "私域流量怎么做", case=False)
    assert ranked[0].text == "私域流量的核心是会员和社群的长期运营。"
    assert ranked[-1].text == "天气预报说明天下雨。"


def test_sentences_never_split_inside_quotes_and_skip_lines_without_an_end():
    found = [s.text for s in sentences("小标题\n他说：“先做一页纸。再谈预算。”然后散会了。\n最后一句。")]
    assert "小标题" not in found
    assert "最后一句。" in found
    assert all(s.count("“") == s.count("”") for s in found)


def test_piece_of_reads_any_document_like_object():
    doc = sample_documents()[0]
    piece = Piece.of(doc)
    assert (piece.id, piece.title, piece.body) == (doc.id, doc.title, doc.body)
    assert Piece.of(doc, body="另一段正文。").body == "另一段正文。"


def test_samples_exist():
    assert Path(SAMPLE_CONTENT).is_dir()
