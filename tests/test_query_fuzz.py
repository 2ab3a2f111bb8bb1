"""Property-based tests of the query path: arbitrary text, tags and kinds never raise, and a client
never gets an internal document (issue 8.12). Bounded to a few hundred examples (~10 s)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Text a user could paste: CJK, Latin, full-width forms, emoji, punctuation, controls, query syntax.
ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
    st.sampled_from(list("私域流量小红书抖音案例文章最新#*?~^()\"':AND OR NOT　，。！？😀🔥\x00\n\t")),
)
WORDS = ["私域", "案例", "#内部", "报价", "复盘", "有没有", "小红薯", "AND", "*"]
QUERIES = st.one_of(
    st.text(ALPHABET, max_size=60),
    st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join),
)
KINDS = st.one_of(st.none(), st.sampled_from(["article", "case"]), st.text(max_size=8))
TAGS = st.one_of(st.none(), st.sampled_from(["内部", "报价", "私域流量", "#", ""]), st.text(ALPHABET, max_size=10))
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def internal_ids(searcher) -> set[str]:
    ids = {h.id for h in searcher.latest(audience="employee", limit=1000) if h.visibility == "internal"}
    assert ids
    return ids


@FUZZ
@given(query=QUERIES, kind=KINDS, tag=TAGS, offset=st.integers(0, 120))
def test_any_query_is_answered_and_a_client_never_sees_internal(searcher, internal_ids, query, kind, tag, offset):
    result = searcher.search(query, audience="client", kind=kind, tag=tag, limit=10, offset=offset)
    assert result.total >= len(result.hits) >= 0
    assert not {h.id for h in result.hits} & internal_ids
    assert all(h.visibility == "public" for h in result.hits)
    assert result.to_json()["query"] == query


@FUZZ
@given(query=QUERIES)
def test_an_employee_query_never_raises(searcher, query):
    result = searcher.search(query, audience="employee", limit=5)
    assert result.total >= len(result.hits)
