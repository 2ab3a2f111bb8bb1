"""`python -m bench quality`: every judged set is scored, and a blind set never shows its content."""

from __future__ import annotations

import json
import subprocess
import sys

from config.settings import PROJECT_ROOT

SET = """queries:
  - q: "{q}"
    type: keyword
    relevant:
      "{wanted}": 3
  - q: "{nothing}"
    type: unanswerable
    relevant: {{}}
"""


def _quality(args: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "quality", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_every_set_is_scored_and_blind_sets_print_figures_only(tmp_path):
    corpora = tmp_path / "corpora"
    corpora.mkdir()
    (corpora / "sample").symlink_to(PROJECT_ROOT / "content")
    evals = tmp_path / "eval"
    evals.mkdir()
    # Both sets miss on purpose (a wanted id that does not exist), so --verbose has misses to list.
    (evals / "sample_dev.yaml").write_text(
        SET.format(q="双微一抖 开放问题", wanted="no-such-post", nothing="量子计算机开放问题"), encoding="utf-8"
    )
    (evals / "sample_blind.yaml").write_text(
        SET.format(q="双微一抖 秘密问题", wanted="no-such-post", nothing="量子计算机秘密问题"), encoding="utf-8"
    )
    common = ["--eval-dir", str(evals), "--corpus-root", str(corpora)]
    text = _quality([*common, "--verbose"])
    assert "sample_blind.yaml: 2 queries on sample (blind: figures only)" in text
    assert "sample_dev.yaml: 2 queries on sample" in text
    assert text.count("baseline  top-3") == 2 and text.count("caselink  top-3") == 2
    assert "开放问题" in text  # the tuning set's misses are listed
    assert "秘密问题" not in text  # the blind set's never are
    data = json.loads(_quality([*common, "--json"]))
    by_set = {entry["set"]: entry for entry in data}
    assert "misses" not in by_set["sample_blind.yaml"] and "秘密问题" not in json.dumps(data, ensure_ascii=False)
    assert by_set["sample_dev.yaml"]["misses"]["caselink"]
    for entry in data:
        assert entry["caselink"]["answerable"] == 1 and entry["caselink"]["unanswerable"] == 1
        assert entry["baseline"]["top3"] == 0.0
