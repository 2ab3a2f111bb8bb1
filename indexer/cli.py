"""`python -m indexer`: build, update, search and inspect the index.

Exit codes: 0 ok, 1 problems reported (skipped content, a busy lock), 2 usage or configuration error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from config.errors import CaseLinkError, ConfigError, IndexLocked, IndexNotReady
from config.settings import Settings, load_dotenv_file, load_settings

err = Console(stderr=True)
out = Console()


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _fail(message: str, code: int) -> None:
    err.print(f"[red]错误：[/red]{message}", highlight=False)
    sys.exit(code)


@click.group(help="案例通索引工具：建立、更新、搜索与查看内容索引。")
@click.pass_context
def main(ctx: click.Context) -> None:
    load_dotenv_file()
    try:
        settings = load_settings()
    except ConfigError as exc:
        _fail(str(exc), 2)
    ctx.obj = {"settings": settings}


def _index_options(func):
    """Every command takes --index and --content (defaults from settings)."""
    func = click.option(
        "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="索引目录（默认 INDEX_DIR）"
    )(func)
    return click.option(
        "--content", "content_dir", type=click.Path(path_type=Path), help="内容目录（默认 CONTENT_DIR）"
    )(func)


def _apply(ctx: click.Context, index_dir: Path | None, content_dir: Path | None) -> Settings:
    settings = _settings(ctx)
    overrides = {}
    if index_dir:
        overrides["index_dir"] = index_dir.resolve()
    if content_dir:
        overrides["content_dir"] = content_dir.resolve()
    return settings.with_overrides(**overrides)


def _build_options(func):
    """rebuild and update take the index options, --wait and --wechat/--no-wechat."""
    func = click.option(
        "--wechat/--no-wechat",
        "wechat",
        default=None,
        help="是否读取公众号已发布的文章（默认看 WECHAT_IMPORT_PUBLISHED）",
    )(func)
    func = click.option("--wait", default=600.0, show_default=True, help="另一个构建正在进行时最多等待的秒数")(func)
    return _index_options(func)


def _run_build(
    ctx: click.Context, mode: str, index_dir: Path | None, content_dir: Path | None, wait: float, wechat: bool | None
) -> None:
    from tqdm import tqdm

    from indexer import build

    settings = _apply(ctx, index_dir, content_dir)
    if wechat is not None:
        settings = settings.with_overrides(import_published=wechat)
    if mode == "rebuild" and not settings.content_dir.is_dir():
        _fail(f"内容目录 {settings.content_dir} 不存在（用 --content 或 CONTENT_DIR 指定）", 2)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="篇", desc="索引", file=sys.stderr, disable=None)
        bar.update(1)

    def waiting(holder: str) -> None:
        err.print(f"等待构建锁：{holder}")

    try:
        report = getattr(build, mode)(settings, progress=progress, wait=wait, on_wait=waiting)
    except IndexLocked as exc:
        _fail(str(exc), 1)
    finally:
        if bar is not None:
            bar.close()
    _print_report(report)
    sys.exit(1 if report.skipped else 0)


def _print_report(report) -> None:
    from indexer.sources import CATEGORIES

    if report.mode == "update":
        out.print(
            f"更新完成：新增 {report.added}，修改 {report.changed}，删除 {report.removed}，未变 {report.unchanged}",
            highlight=False,
        )
    out.print(
        f"索引 {report.documents} 篇 → {report.generation}（{report.seconds:.1f} 秒）；"
        f"问题 {len(report.problems)} 个，其中跳过 {report.skipped} 个",
        highlight=False,
    )
    from indexer.overrides import report_lines

    for line in report_lines(report.to_json()):
        out.print(line, highlight=False)
    if report.problems:
        table = Table("文件", "类别", "原因", "处理", title="构建报告")
        for p in report.problems:
            table.add_row(p.path, CATEGORIES.get(p.category, p.category), p.reason, "跳过" if p.skipped else "已索引")
        err.print(table)
        counts = "，".join(f"{CATEGORIES.get(k, k)} {v}" for k, v in sorted(report.summary().items()))
        err.print(f"按类别：{counts}", highlight=False)


@main.command(help="全量重建索引，完成后原子切换。")
@_build_options
@click.pass_context
def rebuild(ctx, index_dir, content_dir, wait, wechat):
    _run_build(ctx, "rebuild", index_dir, content_dir, wait, wechat)


@main.command(help="增量更新：只处理新增、修改和删除的内容。")
@_build_options
@click.pass_context
def update(ctx, index_dir, content_dir, wait, wechat):
    _run_build(ctx, "update", index_dir, content_dir, wait, wechat)


@main.command(help="搜索索引。例：python -m indexer search 小程序 案例")
@_index_options
@click.argument("query", nargs=-1)
@click.option("--audience", type=click.Choice(["client", "employee"]), default="client", show_default=True)
@click.option("--kind", type=click.Choice(["article", "case"]))
@click.option("--tag", help="只看带这个标签的内容")
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="每行一个查询；配合 --json 每行输出一个 JSON")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def search(ctx, index_dir, content_dir, query, audience, kind, tag, limit, batch, as_json):
    from indexer.search import open_searcher

    settings = _apply(ctx, index_dir, content_dir)
    if not query and batch is None:
        raise click.UsageError("请给出查询词，或用 --batch FILE")
    try:
        searcher = open_searcher(settings.index_dir, overlay=_overlay(settings))
    except IndexNotReady as exc:
        _fail(str(exc), 2)
    if searcher.stats()["rebuild_needed"]:
        err.print("[yellow]提示：词典或停用词在建索引后改过，需要重建索引（python -m indexer rebuild）[/yellow]")
    queries = [line.rstrip("\n") for line in batch] if batch is not None else [" ".join(query)]
    for q in queries:
        result = searcher.search(q, audience=audience, kind=kind, tag=tag, limit=limit)
        if as_json:
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            _print_result(result)


def _overlay(settings: Settings):
    """With REDIS_URL, searches follow the admins' content overrides as the bot's do."""
    from indexer.overrides import Overlay
    from indexer.shared import SharedContent

    shared = SharedContent.connect(settings)
    return Overlay(shared) if shared else None


def _print_result(result) -> None:
    if result.corrected:
        out.print(f"已按「{result.corrected}」搜索", highlight=False)
    if not result.hits:
        tags = "、".join(result.related_tags)
        out.print("没有找到相关内容。" + (f"试试这些标签：{tags}" if tags else ""), highlight=False)
        return
    if result.weak:
        out.print("[yellow]没有直接匹配的内容，以下是相关阅读：[/yellow]")
    table = Table("#", "类型", "标题", "日期", "标签", "摘要", title=f"「{result.query}」共 {result.total} 条")
    for i, hit in enumerate(result.hits, 1):
        snippet = Text(hit.snippet)
        for start, end in hit.highlights:
            snippet.stylize("bold yellow", start, end)
        title = Text(hit.title, style=f"link {hit.url}" if hit.url else "")
        table.add_row(str(i), "案例" if hit.kind == "case" else "文章", title, hit.date, "、".join(hit.tags), snippet)
    out.print(table)


@main.command(help="索引统计。")
@_index_options
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def stats(ctx, index_dir, content_dir, as_json):
    from indexer.search import open_searcher

    settings = _apply(ctx, index_dir, content_dir)
    try:
        data = open_searcher(settings.index_dir).stats()
    except IndexNotReady as exc:
        _fail(str(exc), 2)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    table = Table("项目", "值", title="索引状态")
    for key, value in data.items():
        table.add_row(key, json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value))
    out.print(table)


def run(args: list[str] | None = None) -> None:
    """Entry point with the one place that turns expected errors into messages and exit codes
    (``args``: the command line after ``python -m indexer``, default ``sys.argv[1:]``)."""
    try:
        main(args=args, standalone_mode=True)
    except CaseLinkError as exc:
        _fail(str(exc), 2)
