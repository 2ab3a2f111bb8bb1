"""``python -m bot backup FILE`` and ``python -m bot restore FILE``: the durable Redis state as JSON."""

from __future__ import annotations

from pathlib import Path

import click


def _load_settings():
    from bot.cli import _settings

    return _settings()


class Refused(click.ClickException):
    """A command that could not do its job: one Chinese line on stderr, exit code 1."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


def _state_store(settings):
    """The Store on the configured Redis; stop with a clear message when there is none or it does not answer."""
    from bot.store import Store

    if not settings.redis_configured:
        raise Refused("没有设置 REDIS_URL（或 REDIS_SENTINELS）：进程内的 Redis 替身没有可以备份或恢复的状态")
    store = Store.for_settings(settings)
    if not store.ping():
        raise Refused("连不上 Redis，请检查 REDIS_URL 和 Redis 是否在运行")
    return store


def _counts_line(counts) -> str:
    from bot.store.namespaces import DURABLE

    return "、".join(f"{DURABLE.get(ns, ns)} {n}" for ns, n in sorted(counts.items())) or "没有内容"


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """把 Redis 里需要长期保存的状态（角色、邀请码、搜索统计……）备份到一个 JSON 文件。"""
    import datetime as dt

    from bot.store.backup import BackupError, collect, write_file

    store = _state_store(_load_settings())
    created = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        document, unknown = collect(store.db, created)
        write_file(file, document)
    except BackupError as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise Refused(f"无法写入 {file}：{exc.strerror or exc}") from None
    click.echo(f"已备份 {len(document['keys'])} 个键到 {file}：{_counts_line(document['counts'])}")
    if unknown:
        names = "、".join(f"{ns}（{n} 个）" for ns, n in sorted(unknown.items()))
        click.echo(f"注意：这些键的命名空间没有登记，没有备份：{names}。请在 bot/store/namespaces.py 登记。", err=True)
        raise SystemExit(1)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="同时删除备份里没有的长期状态，恢复成与备份完全一致")
@click.option("--yes", is_flag=True, help="不再确认，直接恢复")
def restore(file: Path, replace: bool, yes: bool) -> None:
    """从备份文件恢复：先检查整个文件，再一次性写入；有任何问题就什么都不写。"""
    from bot.store.backup import BackupError, read_file, validate
    from bot.store.backup import restore as restore_entries

    store = _state_store(_load_settings())
    try:
        data = read_file(file)
        entries = validate(data, store.db.prefix)
    except BackupError as exc:
        raise Refused(f"{exc}。什么都没有恢复。") from None
    if not yes:
        extra = "，并删除备份里没有的长期状态" if replace else ""
        when = data.get("created", "?")
        question = f"将把 {len(entries)} 个键（备份于 {when}）写入 Redis，覆盖同名的键{extra}。继续吗？"
        if not click.confirm(question):
            click.echo("已取消，什么都没有恢复。")
            raise SystemExit(1)
    try:
        counts, expired = restore_entries(store.db, entries, replace=replace)
    except BackupError as exc:
        raise Refused(str(exc)) from None
    line = f"已恢复 {sum(counts.values())} 个键：{_counts_line(counts)}"
    click.echo(line + (f"；{expired} 个已过期（如过期的邀请码），没有恢复" if expired else ""))
