"""The shared fixture `tests/fixtures/broken_content/`: every listed problem, and the good documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.sources import SiteInfo, collect

BROKEN = Path(__file__).parent / "fixtures" / "broken_content"
pytestmark = pytest.mark.skipif(not (BROKEN / "README.md").is_file(), reason="fixture not written yet")

# path -> (category, skipped), one line per row of the fixture's README table that expects a report.
EXPECTED_PROBLEMS = {
    "_posts/2020-3-1-gbk-post.md": ("encoding", False),
    "_posts/2020-3-2-broken-yaml.md": ("yaml", True),
    "_posts/2020-3-3-empty-body.md": ("empty", True),
    "_posts/2020-3-5-duplicate-too.md": ("duplicate", True),
    "_posts/2020-3-6-bad-visibility.md": ("visibility", False),
    "_posts/2020-3-7-no-front-matter.md": ("no-front-matter", False),
    "_posts/2020-3-8-binary.md": ("unreadable", True),
    "cases/broken.yaml": ("yaml", True),
    "cases/catalog.csv": ("format", True),
    "cases/catalog.yaml": ("missing-field", True),
    "pages/empty.html": ("empty", True),
}


@pytest.fixture(scope="module")
def result():
    return collect(BROKEN, site=SiteInfo("https://www.qingteng.example"))


def test_every_listed_problem_is_reported(result):
    assert {p.path: (p.category, p.skipped) for p in result.problems} == EXPECTED_PROBLEMS
    assert len(result.problems) == len(EXPECTED_PROBLEMS)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("_posts/2020-3-1-gbk-post.md", "UTF-8"),
        ("_posts/2020-3-2-broken-yaml.md", "第 2 行"),
        ("_posts/2020-3-5-duplicate-too.md", "_posts/2020-3-4-duplicate.md"),
        ("_posts/2020-3-6-bad-visibility.md", "secret"),
        ("cases/catalog.csv", "第 3 行"),
        ("cases/catalog.yaml", "case-fixture-missing-title"),
    ],
)
def test_reasons_name_what_to_fix(result, path, words):
    (problem,) = [p for p in result.problems if p.path == path]
    assert words in problem.reason


def test_good_documents_are_still_read(result):
    by_id = {d.id: d for d in result.documents}
    assert set(by_id) == {
        "_posts/2020-1-5-good-post",
        "_posts/2020-2-6-another-good",
        "_posts/2020-3-1-gbk-post",
        "dup-1",
        "_posts/2020-3-6-bad-visibility",
        "_posts/2020-3-7-no-front-matter",
        "case-fixture-csv-valid",
        "case-fixture-valid",
        "case-fixture-internal",
    }
    assert by_id["_posts/2020-1-5-good-post"].title == "社群运营的第一周"
    assert by_id["_posts/2020-2-6-another-good"].tags == ("小程序", "会员运营")
    assert by_id["_posts/2020-3-1-gbk-post"].title == "用GBK编码保存的文章"
    assert by_id["dup-1"].source == "_posts/2020-3-4-duplicate.md"
    assert by_id["_posts/2020-3-6-bad-visibility"].visibility == "internal"
    assert by_id["_posts/2020-3-7-no-front-matter"].title == "没有 front matter 的文章"
    assert (by_id["case-fixture-internal"].visibility, by_id["case-fixture-valid"].visibility) == ("internal", "public")


def test_ignored_files_leave_no_trace(result):
    text = " ".join(d.title + d.body for d in result.documents)
    assert "编辑器备份" not in text and "隐藏文件" not in text
    assert not any(d.source == "README.md" for d in result.documents)
