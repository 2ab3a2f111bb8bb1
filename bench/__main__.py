"""`python -m bench search|quality`: figures printed, never asserted."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def main() -> None:
    """Benchmarks and search-quality figures for CaseLink."""


@main.command()
@click.option("--sizes", default="1000,10000", show_default=True, help="generated corpus sizes, comma separated")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="keep corpora and indexes here")
def search(sizes: str, workdir: Path | None) -> None:
    """Build time, index size and search latency with snippets, next to a prototype baseline."""
    from bench.search_bench import run

    run([int(s) for s in sizes.split(",") if s.strip()], workdir, echo=click.echo)


@main.command()
@click.option("--verbose", is_flag=True, help="list the misses")
def quality(verbose: bool) -> None:
    """Top-3, nDCG@5 and weak flags on the hand-judged actionthinker queries."""
    import tempfile

    from bench.quality import EVAL_DIR, baseline_run, caselink_run, evaluate, load_judgements
    from config.settings import PROJECT_ROOT, load_settings
    from indexer.build import rebuild
    from indexer.search import open_searcher

    posts = PROJECT_ROOT.parent / "shared" / "corpus" / "actionthinker" / "_posts"
    if not posts.is_dir():
        raise click.ClickException(f"{posts} is absent")
    work = Path(tempfile.mkdtemp(prefix="caselink-quality-"))
    settings = load_settings(
        {
            "INDEX_DIR": str(work),
            "CONTENT_DIR": str(posts),
            "SITE_URL": "https://actionthinker.github.io",
            "URLS_FILE": str(work / "none"),
        }
    )
    rebuild(settings)
    searcher = open_searcher(settings.index_dir)
    for name in ("actionthinker.yaml", "actionthinker_heldout.yaml"):
        judged = load_judgements(EVAL_DIR / name)
        click.echo(f"{name}: {len(judged)} queries")
        for scores in (
            evaluate("baseline", judged, baseline_run(searcher)),
            evaluate("caselink", judged, caselink_run(searcher)),
        ):
            click.echo("  " + scores.line())
            if verbose:
                for miss in scores.misses:
                    click.echo(f"    miss: {miss}")


main()
