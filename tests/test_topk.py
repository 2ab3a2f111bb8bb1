"""Candidates scored a posting list at a time (indexer.topk) are Whoosh's own: the same documents,
the same float scores and the same order, for both audiences, with kind and tag filters, after an
incremental update (deleted documents), and the same answers through the whole search, with what
admins taught too. The exhaustive path (Whoosh posting by posting) stays reachable to compare with.

Matched terms: ours are the terms whose whole clause matched. Whoosh's terms collector also reports a
term of an AND (a word's bigrams) whose other terms are missing, when that term's matcher happens to
stand on the document; ranking counts a bigram member only when all its bigrams matched, so the
answers are the same (the tests compare them), and ours are a subset of Whoosh's."""

from __future__ import annotations

import random

import pytest

from bench.corpus import make_queries, write_corpus
from indexer import ranking
from indexer.build import rebuild, update
from indexer.query import parse_query
from indexer.search import _filter, open_searcher
from indexer.segment import get_segmenter
from tests.conftest import make_settings, write_post


def _queries(whoosh_searcher, n: int, seed: int) -> list[str]:
    """Words people type (generated), titles, and pieces of bodies of random documents."""
    rng = random.Random(seed)
    out = make_queries(n, seed=seed)
    total = whoosh_searcher.doc_count_all()
    for _ in range(n):
        fields = whoosh_searcher.stored_fields(rng.randrange(total))
        body = fields.get("body") or ""
        out.append(fields.get("title") or "")
        if len(body) > 12:
            at = rng.randrange(len(body) - 10)
            out.append(body[at : at + rng.choice((2, 3, 4, 6, 10))])
    return out


def _gathered(searcher, query: str, audience: str, kind=None, tags=(), exhaustive=False):
    _, whoosh_searcher, view = searcher._view(audience)
    segmenter = get_segmenter()
    parsed = parse_query(query, segmenter, segmenter.resources)
    ranking.attach_frequencies(whoosh_searcher, parsed)
    filt = _filter(kind, [*parsed.tags, *tags])
    q = ranking.build_query(parsed)
    matches = ranking.gather(whoosh_searcher, view, q, filt, exhaustive=exhaustive)
    return [(m.docnum, m.score, sorted(m.matched_terms())) for m in matches]


def _assert_same_candidates(searcher, queries, kinds=(None,), tags=()) -> int:
    compared = 0
    for i, query in enumerate(queries):
        for audience in ("client", "employee"):
            for kind in kinds if i % 4 == 0 else kinds[:1]:
                ours = _gathered(searcher, query, audience, kind, tags)
                whoosh = _gathered(searcher, query, audience, kind, tags, exhaustive=True)
                assert [m[:2] for m in ours] == [m[:2] for m in whoosh], (query, audience, kind)
                for (_, _, terms), (_, _, theirs) in zip(ours, whoosh, strict=True):
                    assert terms and set(terms) <= set(theirs), (query, audience, kind)
                compared += bool(whoosh)
    return compared


def _assert_same_answers(fast, full, queries, **kw) -> None:
    for query in queries:
        for audience in ("client", "employee"):
            ours = fast.search(query, audience=audience, limit=10, **kw).to_json()
            theirs = full.search(query, audience=audience, limit=10, **kw).to_json()
            assert ours == theirs, (query, audience)


def test_sample_index_candidates_equal_whoosh(searcher):
    _, whoosh_searcher = searcher._whoosh()
    queries = [*_queries(whoosh_searcher, 20, seed=3), "私域流量 社群", "social media 运营", "有没有讲个人品牌的文章"]
    assert _assert_same_candidates(searcher, queries, kinds=(None, "case")) > 60
    assert _assert_same_candidates(searcher, ["品牌 会员", "运营"], tags=("私域",)) >= 0


def test_sample_index_answers_equal_the_exhaustive_path(sample_settings, searcher):
    full = open_searcher(sample_settings.index_dir, cache_size=0, exhaustive=True)
    fast = open_searcher(sample_settings.index_dir, cache_size=0)
    _, whoosh_searcher = searcher._whoosh()
    _assert_same_answers(fast, full, _queries(whoosh_searcher, 8, seed=8))
    # what admins taught joins on both paths alike
    pinned = [full.search("社群", audience="employee", limit=20).hits[-1].id]
    taught = {"expansions": ["私域"], "pinned": pinned, "lifted": {pinned[0]: 1.5}}
    _assert_same_answers(fast, full, ["社群", "社群 运营", "裂变"], **taught)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """250 generated posts (a fifth cases, one in 17 internal), indexed: common words span several posting blocks."""
    tmp = tmp_path_factory.mktemp("generated")
    corpus = write_corpus(tmp / "corpus", 250, seed=9)
    settings = make_settings(tmp, CONTENT_DIR=corpus, SITE_URL="https://bench.example")
    rebuild(settings)
    return settings, corpus


def test_generated_corpus_candidates_equal_whoosh(generated):
    settings, _ = generated
    searcher = open_searcher(settings.index_dir, cache_size=0)
    _, whoosh_searcher = searcher._whoosh()
    queries = _queries(whoosh_searcher, 30, seed=21)
    assert _assert_same_candidates(searcher, queries, kinds=(None, "case")) > 100
    full = open_searcher(settings.index_dir, cache_size=0, exhaustive=True)
    _assert_same_answers(searcher, full, queries[::6])


def test_client_never_gets_internal_documents(generated):
    settings, _ = generated
    searcher = open_searcher(settings.index_dir, cache_size=0)
    _, whoosh_searcher = searcher._whoosh()
    internal = [
        fields["title"]
        for docnum, fields in enumerate(whoosh_searcher.all_stored_fields())
        if fields.get("visibility") == "internal"
    ]
    assert len(internal) >= 14
    seen_by_employees = 0
    for title in internal:
        client = searcher.search(title, audience="client", limit=100)
        assert all(h.visibility != "internal" for h in client.hits), title
        employee = searcher.search(title, audience="employee", limit=100)
        seen_by_employees += any(h.title == title for h in employee.hits)
    assert seen_by_employees >= len(internal) * 0.9


def test_candidates_equal_whoosh_after_an_incremental_update(tmp_path):
    content = tmp_path / "content"
    for i in range(40):
        title, body = f"品牌案例第{i}篇", f"品牌建设的第{i}个故事，讲会员与社群。"
        write_post(content, f"2021-1-{i % 28 + 1}-p{i}.md", title, body)
    settings = make_settings(tmp_path, CONTENT_DIR=content, SITE_URL="https://blog.example.cn")
    rebuild(settings)
    write_post(content, "2021-1-1-p0.md", "会员体系改版", "改版后的会员社群，品牌不变。")
    (content / "_posts" / "2021-1-2-p1.md").unlink()
    update(settings)
    searcher = open_searcher(settings.index_dir, cache_size=0)
    _, whoosh_searcher = searcher._whoosh()
    assert whoosh_searcher.reader().has_deletions()  # Whoosh filters deleted postings: so must we
    assert _assert_same_candidates(searcher, ["品牌", "会员 社群", "第1篇", "改版", "故事"]) >= 8
    titles = [h.title for h in searcher.search("品牌", limit=50).hits]
    assert "品牌案例第1篇" not in titles and "会员体系改版" in titles


def _whoosh_shape(m):
    """Whoosh's matcher tree as nested tuples: how its sums are grouped, with each term and boost."""
    from whoosh.matching import IntersectionMatcher, NullMatcherClass, UnionMatcher
    from whoosh.matching.wrappers import FilterMatcher, WrappingMatcher

    kind = type(m)
    if kind is UnionMatcher or kind is IntersectionMatcher:
        return (kind.__name__, _whoosh_shape(m.a), _whoosh_shape(m.b))
    if kind is WrappingMatcher:
        return ("boost", m.boost, _whoosh_shape(m.child))
    if kind is FilterMatcher:
        return _whoosh_shape(m.child)
    if isinstance(m, NullMatcherClass):
        return None
    if m.is_leaf() and m.term() is not None:
        return ("term", m.term())
    return ("other", kind.__name__)


def _our_shape(node, sub, scoring):
    from indexer import querytree as qt

    if node is None:
        return None
    kind = node[0]
    if kind in (qt._UNION, qt._INTER):
        name = "UnionMatcher" if kind == qt._UNION else "IntersectionMatcher"
        return (name, _our_shape(node[1], sub, scoring), _our_shape(node[2], sub, scoring))
    if kind == qt._WRAP:
        return ("boost", node[2], _our_shape(node[1], sub, scoring))
    if kind == qt._LEAF:
        return ("term", (node[1], node[2]))
    return _whoosh_shape(node[1].matcher(sub, scoring.context))


def test_the_tree_is_shaped_like_whoosh_from_the_kept_term_records(generated):
    """The sums must be grouped as Whoosh groups them (its huffman-like tree over size estimates,
    equal estimates in Whoosh's order) for the scores to be the same floats."""
    from indexer import querytree

    settings, _ = generated
    searcher = open_searcher(settings.index_dir, cache_size=0)
    _, whoosh_searcher = searcher._whoosh()
    segmenter = get_segmenter()
    context = whoosh_searcher.context(needs_current=True)
    compared = 0
    for query in [*_queries(whoosh_searcher, 25, seed=5), "social media 运营", "私域流量 社群"]:
        parsed = parse_query(query, segmenter, segmenter.resources)
        ranking.attach_frequencies(whoosh_searcher, parsed)
        q = ranking.build_query(parsed)
        scoring = querytree.Scoring(whoosh_searcher)
        for sub, _ in whoosh_searcher.leaf_searchers():
            ours = _our_shape(querytree._Builder(scoring, sub).shape(q)[1], sub, scoring)
            assert ours == _whoosh_shape(q.matcher(sub, context)), query
            compared += ours is not None
    assert compared > 40


def test_kept_term_records_answer_like_whoosh(generated):
    from indexer import termstats

    settings, _ = generated
    searcher = open_searcher(settings.index_dir, cache_size=0)
    _, whoosh_searcher = searcher._whoosh()
    reader = whoosh_searcher.reader()
    terms = [(f, t) for f, t in reader.all_terms() if f in ("title", "body", "bigrams", "tags_text")][::37]
    assert len(terms) > 50
    for fieldname, btext in [*terms, ("body", "不在索引里的词".encode()), ("title", b"zzz")]:
        for _ in range(2):  # looked up, then remembered
            assert termstats.doc_frequency(whoosh_searcher, fieldname, btext) == reader.doc_frequency(fieldname, btext)
            assert termstats.doc_frequency(whoosh_searcher, fieldname, btext.decode()) == reader.doc_frequency(
                fieldname, btext.decode()
            )


def test_candidates_equal_whoosh_when_kept_postings_are_evicted(generated, monkeypatch):
    """Posting lists kept between searches (bounded, least recently used out) change nothing."""
    from indexer import termstats

    monkeypatch.setattr(termstats, "MAX_POSTINGS", 400)
    settings, _ = generated
    searcher = open_searcher(settings.index_dir, cache_size=0)
    _, whoosh_searcher = searcher._whoosh()
    queries = _queries(whoosh_searcher, 12, seed=33)
    assert _assert_same_candidates(searcher, queries * 2) > 40
    kept = termstats._postings[whoosh_searcher.leaf_searchers()[0][0].reader()]
    assert 0 < kept.size <= 400 and kept.size == sum(len(ids) for ids, _ in kept.lists.values())
