"""`update` reads again only the content files that changed (indexer.sources.read_cache), and never
misses one that did: an edit that keeps the size and the modification time, a file replaced by
another, settings that change every URL, a damaged cache."""

from __future__ import annotations

import os
import time

import pytest

from indexer import sources
from indexer.build import rebuild, update
from indexer.search import open_searcher
from indexer.sources import read_cache
from tests.conftest import make_settings, write_post


@pytest.fixture
def counted(monkeypatch):
    """The files the Markdown reader opened, in order."""
    opened: list[str] = []
    real = sources.READERS[sources.MARKDOWN]

    def spy(path, rel, site):
        opened.append(rel)
        return real(path, rel, site)

    monkeypatch.setitem(sources.READERS, sources.MARKDOWN, spy)
    monkeypatch.setattr(read_cache, "SETTLE_NS", 0)  # files written by the test count as settled at once
    return opened


def _titles(settings, query: str) -> list[str]:
    return [hit.title for hit in open_searcher(settings.index_dir).search(query, limit=5, audience="employee").hits]


def test_an_update_reads_only_the_file_that_changed(three_posts, counted):
    settings, content = three_posts
    rebuild(settings)
    assert len(counted) == 3
    counted.clear()
    write_post(content, "2021-2-1-douyin.md", "抖音直播团队复盘", "直播间的主播、场控和投手分工。")
    report = update(settings)
    assert counted == ["_posts/2021-2-1-douyin.md"]
    assert (report.changed, report.unchanged) == (1, 2)
    assert "抖音直播团队复盘" in _titles(settings, "直播")
    counted.clear()
    assert update(settings).changed == 0 and counted == []  # nothing changed: nothing read


def test_an_edit_with_the_same_size_and_time_is_still_seen(three_posts, counted):
    settings, content = three_posts
    rebuild(settings)
    post = content / "_posts" / "2021-3-1-crisis.md"
    before = post.stat()
    post.write_text(post.read_text(encoding="utf-8").replace("危机公关", "舆情应对"), encoding="utf-8")
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))  # what `touch -r` or `rsync -t` leave
    assert post.stat().st_size == before.st_size and post.stat().st_mtime_ns == before.st_mtime_ns
    counted.clear()
    report = update(settings)
    assert counted == ["_posts/2021-3-1-crisis.md"] and report.changed == 1
    assert "舆情应对手册" in _titles(settings, "舆情应对")


def test_a_file_changed_while_it_was_read_is_read_again(three_posts, counted, monkeypatch):
    settings, content = three_posts
    monkeypatch.setattr(read_cache, "SETTLE_NS", 3_600 * 10**9)  # every file looks freshly written
    rebuild(settings)
    counted.clear()
    update(settings)
    assert sorted(counted) == sorted(f"_posts/{p.name}" for p in (content / "_posts").iterdir())


def test_new_site_settings_read_every_file_again(three_posts, counted, tmp_path):
    settings, content = three_posts
    rebuild(settings)
    counted.clear()
    moved = make_settings(tmp_path, CONTENT_DIR=content, SITE_URL="https://new.example.cn")
    update(moved)
    assert len(counted) == 3
    hits = open_searcher(moved.index_dir).search("直播", limit=5, audience="employee").hits
    assert hits and all(hit.url.startswith("https://new.example.cn/") for hit in hits)


def test_removed_and_added_files_and_a_damaged_cache(three_posts, counted):
    settings, content = three_posts
    rebuild(settings)
    (content / "_posts" / "2021-1-1-mini.md").unlink()
    write_post(content, "2021-4-1-brand.md", "品牌联名案例", "两个品牌一起做的限量款。")
    counted.clear()
    report = update(settings)
    assert counted == ["_posts/2021-4-1-brand.md"]
    assert (report.added, report.removed) == (1, 1)
    from indexer import generations

    live = generations.current_path(settings.index_dir)
    (live / read_cache.FILE).write_bytes(b"\x80\x05 damaged")
    counted.clear()
    write_post(content, "2021-4-1-brand.md", "品牌联名案例合集", "两个品牌一起做的限量款。")
    report = update(settings)
    assert len(counted) == 3 and report.changed == 1  # read everything again, and still right
    assert "品牌联名案例合集" in _titles(settings, "联名")


def _no_ctime(path):
    """A file system that keeps no ctime or inode we could use: only size and modification time."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, 0, 0)


@pytest.mark.parametrize("settle", [True, False])
def test_a_fresh_edit_is_not_trusted_by_the_next_update(three_posts, monkeypatch, settle):
    """A file changed just before it was read may change again within one tick of the file system's
    clock, keeping its size and modification time: its result is not kept, so the next update reads it
    again. Without the rule (settle=False) that second edit is missed: the test shows what it is for."""
    settings, content = three_posts
    monkeypatch.setattr(sources, "signature", _no_ctime)
    monkeypatch.setattr(read_cache, "SETTLE_NS", 60 * 10**9 if settle else -(10**12))
    rebuild(settings)
    post = content / "_posts" / "2021-2-1-douyin.md"
    tick = time.time_ns()  # both edits land in this one tick of a coarse clock

    def edit(body: str) -> None:
        write_post(content, post.name, "抖音直播团队", body)
        os.utime(post, ns=(tick, tick))

    edit("直播间的主播、场控和投手分工！")
    assert update(settings).changed == 1
    edit("直播间的主播、场控和投手分工？")  # same size, same time
    assert (update(settings).changed == 1) is settle
