"""Index lifecycle: generations, atomic switch, incremental update, locking, damage."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading

import pytest

from config.errors import IndexLocked, IndexNotReady
from config.settings import PROJECT_ROOT
from indexer import generations
from indexer.build import MAX_SEGMENTS, rebuild, update
from indexer.lock import build_lock
from indexer.search import open_searcher
from tests.conftest import write_post


@pytest.fixture
def small(three_posts):
    return three_posts


def test_rebuild_creates_a_generation_and_switches_current(small):
    settings, _ = small
    report = rebuild(settings)
    assert report.documents == 3 and report.switched
    assert generations.current_name(settings.index_dir) == report.generation
    meta = generations.read_json(settings.index_dir / report.generation / "meta.json")
    assert meta["documents"] == 3 and meta["by_kind"] == {"article": 3}


def test_update_reindexes_only_what_changed(small):
    settings, content = small
    rebuild(settings)
    write_post(content, "2021-1-1-mini.md", "小程序会员体系（修订）", "会员小程序的积分、等级与权益设计。")
    write_post(content, "2021-4-1-new.md", "企业微信标签", "用企业微信给客户打标签。")
    (content / "_posts" / "2021-3-1-crisis.md").unlink()
    report = update(settings)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 1)
    s = open_searcher(settings.index_dir)
    assert s.search("企业微信").hits[0].title == "企业微信标签"
    assert s.search("小程序").hits[0].title == "小程序会员体系（修订）"
    assert not s.search("危机公关").hits
    assert s.stats()["documents"] == 3


def test_update_with_nothing_changed_keeps_the_generation(small):
    settings, _ = small
    first = rebuild(settings)
    report = update(settings)
    assert report.generation == first.generation
    assert report.unchanged == 3 and not report.switched


def test_open_reader_picks_up_a_new_generation_without_restart(small):
    settings, content = small
    rebuild(settings)
    s = open_searcher(settings.index_dir)
    assert not s.search("企业微信").hits
    old = s.stats()["generation"]
    write_post(content, "2021-4-1-new.md", "企业微信标签", "用企业微信给客户打标签。")
    update(settings)
    assert s.search("企业微信").hits
    assert s.stats()["generation"] != old


def test_readers_keep_answering_during_a_rebuild(small):
    settings, _ = small
    rebuild(settings)
    s = open_searcher(settings.index_dir)
    errors, answers = [], []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            try:
                answers.append(len(s.search("小程序").hits))
            except Exception as exc:  # the test records any failure a reader sees
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    for _ in range(3):
        rebuild(settings)
    stop.set()
    for t in readers:
        t.join()
    assert not errors
    assert answers and all(n == 1 for n in answers)


def test_updates_do_not_pile_up_segments(small):
    settings, content = small
    rebuild(settings)
    for i in range(MAX_SEGMENTS + 3):
        write_post(content, f"2022-1-{i + 1}-n.md", f"新文章{i}", f"第{i}篇正文，讲社群运营。")
        update(settings)
    stats = open_searcher(settings.index_dir).stats()
    assert stats["segments"] <= MAX_SEGMENTS
    assert stats["documents"] == 3 + MAX_SEGMENTS + 3


def test_old_generations_are_cleaned_up(small):
    settings, _ = small
    for _ in range(4):
        rebuild(settings)
    gens = [p for p in settings.index_dir.glob("gen-*") if p.is_dir()]
    assert len(gens) == generations.KEEP


def test_a_second_build_says_who_holds_the_lock(small):
    settings, _ = small
    with build_lock(settings.index_dir, "rebuild"), pytest.raises(IndexLocked) as info:
        rebuild(settings, wait=0.3)
    assert "rebuild" in str(info.value) and "进程" in str(info.value)


def test_a_second_build_waits_for_the_first(small):
    settings, _ = small
    held, release = threading.Event(), threading.Event()

    def hold():
        with build_lock(settings.index_dir, "rebuild"):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    told = []
    threading.Timer(0.5, release.set).start()
    report = rebuild(settings, wait=10, on_wait=told.append)
    holder.join()
    assert report.switched and told


def test_missing_index_names_the_build_command(tmp_path):
    with pytest.raises(IndexNotReady) as info:
        open_searcher(tmp_path / "nothing")
    assert "python -m indexer rebuild" in str(info.value)


def test_corrupt_index_names_the_build_command(small):
    settings, _ = small
    report = rebuild(settings)
    gen = settings.index_dir / report.generation
    for toc in gen.glob("*.toc"):
        toc.write_bytes(b"garbage")
    with pytest.raises(IndexNotReady) as info:
        open_searcher(settings.index_dir)
    assert "python -m indexer rebuild" in str(info.value)


def test_current_pointing_nowhere_is_reported(small):
    settings, _ = small
    report = rebuild(settings)
    shutil.rmtree(settings.index_dir / report.generation)
    with pytest.raises(IndexNotReady):
        open_searcher(settings.index_dir)


@pytest.fixture
def edits_seen_at_once(monkeypatch):
    """Resource files are checked on every call instead of once a second (``RECHECK_SECONDS``)."""
    from indexer import resources

    monkeypatch.setattr(resources, "RECHECK_SECONDS", 0.0)


def test_changed_dictionary_says_rebuild_needed(small, tmp_path, edits_seen_at_once):
    settings, _ = small
    config = tmp_path / "config"
    shutil.copytree(settings.config_dir, config)
    custom = settings.with_overrides(config_dir=config)
    rebuild(custom)
    with open(config / "userdict.txt", "a", encoding="utf-8") as fh:
        fh.write("直播间分工 100 n\n")
    try:
        stats = open_searcher(custom.index_dir, config).stats()
        assert stats["rebuild_needed"]
        update(custom)  # an update with other dictionaries turns into a full rebuild
        assert not open_searcher(custom.index_dir, config).stats()["rebuild_needed"]
    finally:
        from indexer.segment import configure

        configure(settings.config_dir)


def test_a_running_bot_notices_a_dictionary_edit_and_rebuilds_with_it(small, tmp_path, edits_seen_at_once):
    """The searcher a bot keeps open sees the edit on the next call; a rebuild in the same process
    uses the new dictionary and records the hash a fresh process computes."""
    from indexer.segment import configure, get_segmenter

    settings, _ = small
    config = tmp_path / "config"
    shutil.copytree(settings.config_dir, config)
    custom = settings.with_overrides(config_dir=config)
    try:
        rebuild(custom)
        running = open_searcher(custom.index_dir, config)
        assert not running.stats()["rebuild_needed"]
        assert get_segmenter().words("直播间分工") != ["直播间分工"]
        with open(config / "userdict.txt", "a", encoding="utf-8") as fh:
            fh.write("直播间分工 100 n\n")
        assert running.stats()["rebuild_needed"]
        report = rebuild(custom)  # what 重建索引 in chat and the dashboard's button run, in-process
        assert get_segmenter().words("直播间分工") == ["直播间分工"]
        code = "import sys; from pathlib import Path; from indexer.resources import load_resources; "
        code += "print(load_resources(Path(sys.argv[1])).digest)"
        fresh = subprocess.run(
            [sys.executable, "-c", code, str(config)], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
        ).stdout.strip()
        meta = generations.read_json(custom.index_dir / report.generation / "meta.json")
        assert meta["resources_hash"] == fresh
        assert not running.stats()["rebuild_needed"]
    finally:
        configure(settings.config_dir)


def test_a_page_that_fails_to_download_is_not_deleted_by_update(small, tmp_path):
    from tests.stubs import StubServer

    settings, _ = small
    page = (
        "<html><head><title>转发的行业报告</title></head><body><article>社交电商行业报告正文。</article></body></html>"
    )
    with StubServer({("GET", "/report"): (200, {"Content-Type": "text/html; charset=utf-8"}, page)}) as stub:
        urls = tmp_path / "urls.txt"
        urls.write_text(stub.url + "/report\n", encoding="utf-8")
        with_urls = settings.with_overrides(urls_file=urls, fetch_loopback_ports=frozenset({stub.port}))
        rebuild(with_urls)
        assert open_searcher(settings.index_dir).search("行业报告").hits
        stub.route("GET", "/report", (503, {}, "busy"))
        report = update(with_urls)
    assert report.removed == 0
    assert any(p.category == "fetch" for p in report.problems)
    assert open_searcher(settings.index_dir).search("行业报告").hits


def test_resource_files_are_checked_once_a_second(tmp_path, monkeypatch):
    """Every message asks for the resources: their files are stat'ed at most once a second, and an edit
    is seen once that second has passed."""
    from indexer import resources

    config = tmp_path / "config"
    shutil.copytree(resources.CONFIG_DIR, config)
    clock = [1000.0]
    monkeypatch.setattr(resources.time, "monotonic", lambda: clock[0])
    before = resources.load_resources(config).digest
    with open(config / "userdict.txt", "a", encoding="utf-8") as fh:
        fh.write("私域裂变营 10 n\n")
    clock[0] += 0.5
    assert resources.load_resources(config).digest == before  # within the second: not looked at
    clock[0] += 0.6
    assert resources.load_resources(config).digest != before
