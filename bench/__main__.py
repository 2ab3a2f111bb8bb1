"""`python -m bench search|build|quality|web|memory|analytics`: figures printed, never asserted."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def main() -> None:
    """Benchmarks and search-quality figures for CaseLink."""


@main.command()
@click.option("--sizes", default="1000,10000", show_default=True, help="generated corpus sizes, comma separated")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="keep corpora and indexes here")
@click.option("--reuse", is_flag=True, help="search the indexes an earlier run left in --workdir (no build)")
@click.option("--prototype/--no-prototype", default=True, show_default=True, help="time the prototype baseline too")
def search(sizes: str, workdir: Path | None, reuse: bool, prototype: bool) -> None:
    """Build time, index size and search latency with snippets, next to the exhaustive path and a prototype."""
    from bench.search_bench import run

    run([int(s) for s in sizes.split(",") if s.strip()], workdir, echo=click.echo, reuse=reuse, prototype=prototype)


@main.command()
@click.option("--docs", default=10_000, show_default=True, help="documents in the generated corpus")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="keep the corpus and index here")
def build(docs: int, workdir: Path | None) -> None:
    """Full build CPU per document and its serial part, one changed document's way to searches, cold start."""
    from bench.build_bench import run

    run(docs, workdir, echo=click.echo)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split(",") if s.strip())


@main.command()
@click.option("--docs", default=10_000, show_default=True, help="documents in the main generated corpus")
@click.option("--levels", default="1,8,32", show_default=True, help="concurrency levels")
@click.option("--duration", default=10.0, show_default=True, help="measured seconds per level (after the warm-up)")
@click.option("--warmup", default=2.0, show_default=True, help="seconds of each level not counted")
@click.option("--repeat", default=3, show_default=True, help="passes over the levels; figures are medians")
@click.option("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's, 2 per core)")
@click.option(
    "--sizes", default="1000,10000", show_default=True, help="growth corpus sizes ('' to skip; 50000 takes minutes)"
)
@click.option("--growth-duration", default=5.0, show_default=True, help="seconds of c=8 load per growth size")
@click.option("--echo/--no-echo", default=True, show_default=True, help="measure the protocol floor beside the bot")
@click.option("--distinct/--no-distinct", default=True, show_default=True, help="a c=8 level of unrepeated searches")
@click.option("--reindex/--no-reindex", default=True, show_default=True, help="a full rebuild under c=8 load")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="corpora, indexes, logs, results")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="growth PNG (docs/bench-growth.png)")
@click.option("--no-chart", is_flag=True, help="do not draw the growth chart")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="results JSON (default in the workdir)")
@click.option("--max-requests", default=60_000, show_default=True, help="count bound of one level")
@click.option("--max-busy", default=0.3, show_default=True, help="wait until the CPUs are at most this busy (0–1)")
@click.option("--client", type=click.Choice(["raw", "aiohttp"]), default="raw", show_default=True, help="load client")
def web(**kw) -> None:
    """POST /wechat under load (safe mode), next to an echo app's floor; growth; reindex under load."""
    from bench.web.run import Options, run

    opts = Options()
    for name in ("docs", "duration", "warmup", "repeat", "workers", "growth_duration", "echo", "distinct"):
        setattr(opts, name, kw[name])
    opts.reindex, opts.max_requests, opts.max_busy = kw["reindex"], kw["max_requests"], kw["max_busy"]
    opts.client = kw["client"]
    opts.levels, opts.sizes = _ints(kw["levels"]), _ints(kw["sizes"])
    if kw["workdir"]:
        opts.workdir = kw["workdir"].resolve()
    if kw["out"]:
        opts.out = kw["out"].resolve()
    opts.chart = None if kw["no_chart"] else (kw["chart"].resolve() if kw["chart"] else opts.chart)
    run(opts, say=click.echo)


@main.command("web-report")
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="PNG (docs/bench-growth.png)")
@click.option("--no-chart", is_flag=True, help="print the tables only")
def web_report(results: tuple[Path, ...], chart: Path | None, no_chart: bool) -> None:
    """Tables of several `bench web` runs together (medians over every pass) and the growth chart."""
    import json

    from bench.web.chart import growth_chart
    from bench.web.run import Options, combine, report

    combined = combine([json.loads(p.read_text(encoding="utf-8")) for p in results])
    click.echo(report(combined))
    if not no_chart and combined["growth"]:
        runs = "/".join(str(r["runs"]) for r in combined["growth"])
        title = f"CaseLink growth, {combined['machine']['summary']}; medians of {runs} runs"
        click.echo(f"chart: {growth_chart(combined['growth'], chart or Options().chart, title)}")


@main.command()
@click.option("--verbose", is_flag=True, help="list the misses (never for *_blind.yaml sets)")
@click.option("--json", "as_json", is_flag=True, help="one JSON document with every figure")
@click.option("--eval-dir", type=click.Path(file_okay=False, path_type=Path), help="judged sets (bench/eval)")
@click.option("--corpus-root", type=click.Path(file_okay=False, path_type=Path), help="<root>/<corpus> as content")
@click.option("--tuning", is_flag=True, help="only the sets one may tune on (no *_blind, *_heldout)")
def quality(verbose: bool, as_json: bool, eval_dir: Path | None, corpus_root: Path | None, tuning: bool) -> None:
    """Top-3, nDCG@5 and weak flags on every judged set, beside the plain baseline."""
    import json

    from bench.quality import EVAL_DIR, run_all

    results = run_all(eval_dir or EVAL_DIR, corpus_root=corpus_root, tuning=tuning)
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=1))
        return
    for entry in results:
        if "error" in entry:
            click.echo(f"{entry['set']}: skipped ({entry['error']})")
            continue
        blind = " (blind: figures only)" if entry["blind"] else ""
        click.echo(f"{entry['set']}: {entry['queries']} queries on {entry['corpus']}{blind}")
        for name in ("baseline", "caselink"):
            f = entry[name]
            click.echo(
                f"  {name:<9} top-3 {f['top3']:6.1%}  nDCG@5 {f['ndcg5']:.3f}  "
                f"unanswerable flagged {f['unanswerable_flagged']}/{f['unanswerable']}  "
                f"answerable flagged {f['answerable_flagged']:5.1%}"
            )
        if verbose and not entry["blind"]:  # blind sets carry no misses at all (bench.quality.run_all)
            for miss in entry["misses"]["caselink"]:
                click.echo(f"    miss: {miss}")


@main.command()
@click.option("--docs", default=10_000, show_default=True, help="documents in the generated corpus")
@click.option("--distinct", default=2_000, show_default=True, help="searches never seen before, after the fixed 200")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="keep (or reuse) corpus and index")
@click.option("--scales", default="1", show_default=True, help="cache bounds × these factors, one process each")
def memory(docs: int, distinct: int, workdir: Path | None, scales: str) -> None:
    """What a searcher's private memory grows by while serving searches, cache by cache."""
    from bench.memory_bench import run

    run(docs, workdir, distinct, echo=click.echo, scales=tuple(float(s) for s in scales.split(",") if s.strip()))


@main.command()
@click.option("--queries", default=300_000, show_default=True, help="distinct searches in the flood")
@click.option("--repeat", default=5, show_default=True, help="timed reads; the median is printed")
@click.option("--threads", default=8, show_default=True, help="threads logging the flood at once")
def analytics(queries: int, repeat: int, threads: int) -> None:
    """热词 and /admin/queries after a flood of distinct searches (a private redis-server)."""
    from bench.analytics_bench import run

    run(queries, repeat, echo=click.echo, threads=threads)


main()
