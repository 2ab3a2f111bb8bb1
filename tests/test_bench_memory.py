"""``python -m bench memory`` in miniature (40 documents, 20 unseen searches): figures printed, never
asserted beyond their presence — this machine is shared and noisy."""

from __future__ import annotations

import pytest

from bench.memory_bench import run


@pytest.mark.timeout(180)
def test_bench_memory_reports_each_step_and_each_cache(tmp_path):
    lines: list[str] = []
    figures = run(40, tmp_path / "bench", 20, echo=lines.append, scales=(1.0, 0.5))

    steps = figures["steps"]
    assert len(steps) == 3 and steps[0]["step"] == "opened"
    assert all(s["anon_mb"] > 0 and s["small_arenas_mb"] >= s["small_live_mb"] > 0 for s in steps)
    caches = figures["caches_mb"]
    assert set(caches) == {"decoded posting lists", "term records", "ranked results"}
    assert caches["ranked results"] > 0  # the searches it served are kept, and measured
    text = "\n".join(lines)
    assert "A searcher's private memory (40 documents)" in text and "| ranked results |" in text
    # The trade-off rows: each scale ran in its own process with its bounds scaled, and timed both kinds of search.
    full, half = figures["runs"]
    assert half["bounds"]["ranked queries"] == full["bounds"]["ranked queries"] // 2
    assert half["bounds"]["decoded postings"] == full["bounds"]["decoded postings"] // 2
    assert all(
        r["unseen_ms"]["p99"] > 0 and r["repeated_ms"]["p50"] > 0 and r["unseen_cpu_ms"] > 0 for r in (full, half)
    )
    assert "| 0.5 |" in text
