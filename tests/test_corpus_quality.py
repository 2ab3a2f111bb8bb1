"""The real blog corpus in ../shared: every post indexed cleanly, and search quality holds up."""

from __future__ import annotations

import pytest

from bench.quality import EVAL_DIR, baseline_run, caselink_run, evaluate, load_judgements
from indexer.build import rebuild
from indexer.search import open_searcher
from tests.conftest import make_settings, shared_path


@pytest.fixture(scope="module")
def actionthinker(tmp_path_factory):
    posts = shared_path("corpus", "actionthinker", "_posts")
    settings = make_settings(
        tmp_path_factory.mktemp("actionthinker"), CONTENT_DIR=posts, SITE_URL="https://actionthinker.github.io"
    )
    report = rebuild(settings)
    return settings, report, open_searcher(settings.index_dir)


def test_all_77_posts_are_indexed_without_problems(actionthinker):
    _, report, searcher = actionthinker
    assert report.documents == 77
    assert report.problems == []
    assert searcher.stats()["documents"] == 77


def test_tags_dates_and_urls_of_real_posts(actionthinker):
    _, _, searcher = actionthinker
    post = searcher.get("2019-03-11-how-to-plan-social-media-strategy-next", audience="client")
    assert post.tags == ("双微一抖", "社交媒体")
    assert post.date == "2019-03-11"
    assert post.url == "https://actionthinker.github.io/2019/03/11/how-to-plan-social-media-strategy-next/"
    tools = searcher.get("2016-11-3-effective-tools", audience="client")
    assert tools.date == "2016-11-03"
    every = searcher.latest(limit=100)
    assert len(every) == 77 and all(h.url.startswith("https://") for h in every)


def test_search_quality_on_hand_judged_queries(actionthinker):
    """Regression floor on our own judged set (harder than the acceptance set); see BENCHMARKS.md."""
    _, _, searcher = actionthinker
    judged = load_judgements(EVAL_DIR / "actionthinker.yaml")
    ours = evaluate("caselink", judged, caselink_run(searcher))
    base = evaluate("baseline", judged, baseline_run(searcher))
    assert ours.top3 / ours.answerable >= 0.85, ours.misses
    assert ours.ndcg / ours.answerable >= 0.78
    assert ours.ndcg > base.ndcg
    assert ours.flagged_unanswerable >= 5
    assert ours.flagged_answerable / ours.answerable <= 0.10
