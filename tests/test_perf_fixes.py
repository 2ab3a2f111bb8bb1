"""The performance fixes of the webhook benchmark (BENCHMARKS.md, "The webhook under load") keep
behaviour: mapped segment reads, the per-generation result cache, fewer Redis round trips, the
lighter pinyin table and map."""

from __future__ import annotations

import io
import pickle
import random
import subprocess
import sys

import pytest

from bot.store import Store
from bot.store.messages import NEW, PENDING_MARK, REPLAY
from indexer import generations, mapped
from indexer.build import rebuild, update
from indexer.search import MIN_CORRECTION_DF, open_searcher
from indexer.segment import active_resources
from tests.bot_fixtures import prefixed_store
from tests.conftest import make_settings, write_post


def test_memory_reader_reads_like_bytesio():
    rng = random.Random(5)
    data = bytes(rng.randrange(256) for _ in range(5000)) + b"line one\nline two\n"
    ours, theirs = mapped._MemoryReader(memoryview(data)), io.BytesIO(data)
    for _ in range(300):
        op = rng.choice(["read", "seek", "seek1", "readline", "tell"])
        if op == "read":
            n = rng.choice([-1, 0, 1, 4, 100, 10_000])
            assert ours.read(n) == theirs.read(n)
        elif op == "seek":
            pos = rng.randrange(len(data) + 10)
            assert ours.seek(pos) == theirs.seek(pos)
        elif op == "seek1":
            assert ours.seek(-3, 2) == theirs.seek(-3, 2)
        elif op == "readline":
            assert ours.readline() == theirs.readline()
        assert ours.tell() == theirs.tell()


def test_mapped_file_unpickles_short_and_long_pickles_in_place():
    small, large = (1, 2.5, "x"), list(range(2000))
    data = pickle.dumps(small) + pickle.dumps(large) + b"tail"
    f = mapped.MappedFile(memoryview(data))
    assert f.read_pickle() == small
    assert f.read_pickle() == large  # longer than the peek: falls back to reading the mapping
    assert f.read(4) == b"tail"


def test_searchers_read_segments_without_copying_them(searcher):
    _, whoosh_searcher = searcher._whoosh()
    postings = whoosh_searcher.reader().leaf_readers()[0][0]._terms._postfile
    assert isinstance(postings, mapped.MappedFile)


@pytest.fixture
def small(tmp_path):
    content = tmp_path / "content"
    for i, (title, body) in enumerate(
        [("小程序会员体系", "会员小程序的积分与等级设计。"), ("抖音直播团队", "直播间的主播、场控和投手分工。")]
        + [(f"品牌案例第{i}篇", f"品牌建设的第{i}个故事，讲品牌与会员。") for i in range(12)]
    ):
        write_post(content, f"2021-1-{i + 1}-p{i}.md", title, body)
    write_post(content, "2021-3-1-inner.md", "内部品牌复盘", "只给员工看的品牌复盘。", "visibility: internal\n")
    return make_settings(tmp_path, CONTENT_DIR=content, SITE_URL="https://blog.example.cn"), content


def test_cached_results_equal_fresh_ones_page_by_page(small):
    settings, _ = small
    rebuild(settings)
    cached, fresh = open_searcher(settings.index_dir), open_searcher(settings.index_dir, cache_size=0)
    for audience in ("client", "employee"):
        for query, kind in [("品牌", None), ("品牌 会员", "article"), ("#测试", None), ("营消", None), ("量子", None)]:
            for _ in range(2):  # the second round is answered from the cache
                for offset in (0, 5, 10, 15):
                    a = cached.search(query, audience=audience, kind=kind, offset=offset)
                    b = fresh.search(query, audience=audience, kind=kind, offset=offset)
                    assert a.to_json() == b.to_json()
        assert [h.id for h in cached.latest(audience=audience)] == [h.id for h in fresh.latest(audience=audience)]
    assert not any(h.visibility == "internal" for h in cached.search("品牌 复盘", limit=50).hits)
    assert any(h.visibility == "internal" for h in cached.search("品牌 复盘", audience="employee", limit=50).hits)


def test_taught_results_from_the_cache_equal_fresh_ones_and_follow_changed_lifts(small):
    settings, _ = small
    rebuild(settings)
    cached, fresh = open_searcher(settings.index_dir), open_searcher(settings.index_dir, cache_size=0)
    ids = [h.id for h in fresh.search("品牌", limit=20).hits]
    last = ids[-1]
    taught = [
        {"lifted": {last: 2.5}},
        {"lifted": {last: 2.5, ids[-2]: 1.6}},  # another lift for the same query: composed again
        {"lifted": {last: 1.2}},
        {"pinned": [ids[3]], "lifted": {last: 2.5}},
        {"expansions": ["会员"], "lifted": {last: 2.5}},
        {"lifted": {"no-such-doc": 2.5}},
    ]
    for _ in range(2):  # the second round is answered from the cache
        for options in taught:
            for offset in (0, 5):
                a = cached.search("品牌", offset=offset, **options).to_json()
                assert a == fresh.search("品牌", offset=offset, **options).to_json()
    # A lift moves the lifted document up; the plain ranking kept beside it is untouched.
    assert cached.search("品牌", limit=20, lifted={last: 2.5}).hits[-1].id != last
    assert [h.id for h in cached.search("品牌", limit=20).hits] == ids


def test_composed_rankings_do_not_push_plain_ones_out_of_the_cache(small):
    settings, _ = small
    rebuild(settings)
    s = open_searcher(settings.index_dir, cache_size=2)
    gen, _, view = s._view("client")
    s.search("品牌")
    s.search("会员")
    for n in range(5):  # more taught variants than the cache holds
        s.search("品牌", lifted={f"doc-{n}": 1.5})
    assert gen.cached(("search", "品牌", view.key, None, None)) is not None


def test_a_new_generation_does_not_answer_from_the_old_cache(small):
    settings, content = small
    rebuild(settings)
    s = open_searcher(settings.index_dir)
    assert s.search("企业微信").total == 0
    assert [h.title for h in s.latest(limit=1)] != ["企业微信标签"]
    write_post(content, "2022-4-1-new.md", "企业微信标签", "用企业微信给客户打标签。")
    update(settings)
    assert s.search("企业微信").total == 1
    assert [h.title for h in s.latest(limit=1)] == ["企业微信标签"]


def test_pinyin_map_keeps_only_corrections_the_searcher_can_make(small):
    settings, _ = small
    rebuild(settings)
    live = generations.current_path(settings.index_dir)
    pinyin = _maps(live)
    domain = active_resources().domain_words
    assert pinyin["all"]
    for entries in (pinyin["all"].values(), (e for e in pinyin["client"].values() if e)):
        assert all(df >= MIN_CORRECTION_DF or word in domain for word, df in entries)


def test_query_time_pinyin_lookup_does_not_import_pypinyin():
    code = (
        "import sys; from indexer.spelling import pinyin_keys; "
        "assert pinyin_keys('营销') == ['yingxiao'], pinyin_keys('营销'); "
        "assert 'pypinyin' not in sys.modules and 'pypinyin.phrases_dict' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_root()))


def _maps(folder) -> dict:
    """A generation's typo maps as plain dicts."""
    from indexer.spelling import MAPS_FILE, parse_maps

    return parse_maps((folder / MAPS_FILE).read_text(encoding="utf-8"))


def _root():
    from config.settings import PROJECT_ROOT

    return PROJECT_ROOT


@pytest.fixture
def store(redis_url):
    with prefixed_store(redis_url, "perf") as made:
        yield made


def test_claim_takes_the_nonce_and_the_message_in_one_step(store):
    st, client, prefix = store
    assert st.messages.claim("1700000000", "n1", "fp1", "m1", ttl=600) == NEW
    assert client.get(prefix + "msg:m1") == PENDING_MARK.encode()
    assert client.get(prefix + "nonce:1700000000:n1") == b"fp1"
    # The same nonce with another request is a replay, and leaves that message unclaimed.
    assert st.messages.claim("1700000000", "n1", "fp2", "m2", ttl=600) == REPLAY
    assert client.get(prefix + "msg:m2") is None


def test_role_and_pending_in_one_round_trip(store):
    st, _, _ = store
    st.people.set_role("u", "employee")
    st.messages.push_pending("u", {"type": "text", "content": "一"})
    assert st.role_and_pending("u", take_pending=False) == ("employee", [])
    assert st.role_and_pending("u") == ("employee", [{"type": "text", "content": "一"}])
    assert st.role_and_pending("u") == ("employee", [])
    assert st.role_and_pending("nobody") == (None, [])


def test_role_and_pending_without_redis_are_defaults(tmp_path):
    from bot.store.client import connect_redis

    # The client the app builds: a refused connection fails at once (redis-py's default backoff waited 4 s).
    st = Store(connect_redis(make_settings(tmp_path, REDIS_URL="redis://127.0.0.1:9/0")))
    assert st.role_and_pending("u") == (None, [])
    assert st.messages.claim("1", "2", "fp", "m9", ttl=60) == NEW  # checked in the process instead


def test_content_hashes_stay_what_earlier_builds_stored():
    """An update compares with the hashes in docs.json: a changed hash function would re-index everything."""
    import datetime as dt

    from indexer.document import Document

    doc = Document(
        id="a",
        kind="case",
        title="标题",
        url="u",
        summary="s",
        body="正文",
        tags=("私域", "社群"),
        date=dt.date(2021, 3, 4),
        visibility="internal",
        cover="c",
        source="x",
    )
    assert doc.content_hash() == "25564563abf4938be9bdf3a4753015d64f91e9d2" == doc.content_hash()
    assert Document(id="b", kind="article", title="t", url="u").content_hash() == (
        "bafb37bb96d60359869f5900335ba6b50b55947e"
    )


def test_compact_typo_map_answers_like_the_map_it_holds(sample_settings):
    """Searchers hold the typo map as one sorted text (3 instead of 20 MB per worker at 10,000
    documents): every reading, every miss and every correction is what the plain map gives."""
    from indexer.spelling import compact_maps, correct, dump_maps, parse_maps

    maps = _maps(generations.current_path(sample_settings.index_dir))
    maps["client"]["zzz"] = None  # a reading no public word has
    text = dump_maps(maps)
    assert parse_maps(text) == maps
    compact = compact_maps(text)
    for part in ("all", "client"):
        assert dict(compact[part].items()) == maps[part] and len(compact[part]) == len(maps[part])
        assert list(compact[part]) == sorted(maps[part])
        for key in ("", "a", "zzzz", "yingxiao1", 5):
            assert (key in compact[part]) == (key in maps[part]) and compact[part].get(key) == maps[part].get(key)
    words = {best[0] for best in maps["all"].values() if best} | {"营消", "按例", "私懂会", "按列"}
    for word in words:
        for audience in ("client", "employee"):
            assert correct(word, compact, audience) == correct(word, maps, audience), (word, audience)
    assert correct("按例", compact, "client")[0] == "案例"
    for broken in ("", "not a map", "#all\n"):
        assert compact_maps(broken)["all"].get("anli") is None and not compact_maps(broken)["client"]


def test_a_generation_from_before_the_text_maps_still_corrects(sample_settings, tmp_path):
    """An index built before the typo maps were kept as text (pinyin.json) keeps its typo help."""
    import shutil

    from indexer.live import Generation
    from indexer.spelling import MAPS_FILE, correct

    old = tmp_path / "gen-old"
    shutil.copytree(generations.current_path(sample_settings.index_dir), old)
    generations.write_json(old / "pinyin.json", _maps(old))
    (old / MAPS_FILE).unlink()
    assert correct("按例", Generation(old, None).pinyin_map, "client")[0] == "案例"


def _in_child(work) -> dict:
    """Run ``work()`` in a forked child (as gunicorn runs a worker) and return what it reported."""
    import json
    import os

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        try:
            os.write(write_end, json.dumps(work()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        return json.loads(pipe.read() or "{}")


def test_a_forked_worker_answers_from_the_parents_searcher_and_still_sees_updates(small, monkeypatch):
    from bot.services import IndexHandle

    settings, content = small
    rebuild(settings)
    handle = IndexHandle(settings)
    parent = handle.searcher()
    handle.settle()
    expected = [h.id for h in parent.search("品牌", limit=20).hits]
    opened = []
    monkeypatch.setattr("indexer.open_searcher", lambda *a, **k: opened.append(1))

    def worker() -> dict:
        s = handle.searcher()
        first = [h.id for h in s.search("品牌", limit=20).hits]
        write_post(content, "2022-4-1-new.md", "企业微信标签", "用企业微信给客户打标签。")
        update(settings)
        return {"adopted": s is parent, "opened": len(opened), "first": first, "new": s.search("企业微信").total}

    got = _in_child(worker)
    assert got == {"adopted": True, "opened": 0, "first": expected, "new": 1}
