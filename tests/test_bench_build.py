"""``python -m bench build`` in miniature, so that the benchmark code cannot rot; its figures are printed,
never asserted. What it checks on the way is behaviour: a changed document is found after `update`."""

from __future__ import annotations

from bench.build_bench import run


def test_bench_build_finds_the_changed_document_after_update(tmp_path):
    lines = []
    figures = run(60, tmp_path, echo=lines.append)
    assert figures["build"]["documents"] == 60
    assert figures["update"]["changed"] == 1 and figures["update"]["found"]
    assert len(lines) == 3
    corpus = tmp_path / "corpus-60" / "_posts"
    assert all("标记词" not in p.read_text(encoding="utf-8") for p in corpus.iterdir())  # the post is restored
