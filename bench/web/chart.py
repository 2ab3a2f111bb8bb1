"""The growth chart: latency and build rate against corpus size (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

import statistics
from pathlib import Path


def merge_growth(results: list[dict]) -> list[dict]:
    """One growth row per corpus size: the median of each figure over several runs' results."""
    by_size: dict[int, list[dict]] = {}
    for result in results:
        for row in result.get("growth") or []:
            by_size.setdefault(row["docs"], []).append(row)
    merged = []
    for docs, rows in sorted(by_size.items()):
        keys = {k for r in rows for k, v in r.items() if isinstance(v, int | float)}
        out = {k: statistics.median(r[k] for r in rows if r.get(k) is not None) for k in keys}
        out.update(docs=docs, runs=len(rows))
        merged.append(out)
    return merged


def growth_chart(rows: list[dict], path: Path, title: str = "") -> Path:
    """Draw ``rows`` (one dict per corpus size, as ``bench.web.run`` records them) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["docs"])
    docs = [r["docs"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)

    def series(axis, key, label, style):
        points = [(d, r[key]) for d, r in zip(docs, rows, strict=True) if r.get(key) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axis.plot(xs, ys, style, label=label)
            for x, y in points:
                axis.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)

    series(left, "search_p50", "search p50 (in process)", "o-")
    series(left, "search_p99", "search p99 (in process)", "o--")
    series(left, "webhook_p50", "POST /wechat p50 (c=8, unrepeated searches)", "s-")
    series(left, "webhook_p99", "POST /wechat p99 (c=8, unrepeated searches)", "s--")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("documents")
    left.set_ylabel("latency, ms (log)")
    left.set_title("Latency vs corpus size")
    left.grid(True, which="both", alpha=0.3)
    top = max((r.get(k) or 0) for r in rows for k in ("search_p99", "webhook_p99"))
    left.set_ylim(top=max(10.0, top) * 8)  # room for the legend above the lines
    left.legend(fontsize=7, loc="upper left")

    series(right, "docs_per_s", "full build", "o-")
    right.set_xscale("log")
    right.set_xlabel("documents")
    right.set_ylabel("documents / s")
    right.set_ylim(bottom=0)
    right.set_title("Build rate vs corpus size")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)

    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
