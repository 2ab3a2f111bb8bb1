"""Forwarded documents are shared state in Redis (issue 14.3): two forwards at once both kept, any
node's index rebuilt from the content plus Redis has them, ``update`` works on what is live when it
gets the build lock, and a build never runs blind when Redis is down."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis

from config.settings import PROJECT_ROOT
from indexer import (
    Document,
    KeptNotIndexed,
    SharedContent,
    SharedUnavailable,
    add_forwarded,
    generations,
    rebuild,
    update,
    withdraw_forwarded,
)
from indexer.lock import describe_holder
from indexer.search import open_searcher
from tests.conftest import make_settings
from tests.stubs import StubServer


def forwarded(n: int, word: str) -> Document:
    url = f"https://mp.weixin.qq.com/s/{word}{n}"
    return Document(
        id="url:" + url,
        kind="article",
        title=f"转发的文章{n}：{word}",
        url=url,
        summary=f"第 {n} 篇转发的文章，讲{word}。",
        body=f"{word}的做法和复盘。" * 3,
        source="wechat:link",
    )


@pytest.fixture
def small(tmp_path):
    content = tmp_path / "content" / "_posts"
    content.mkdir(parents=True)
    (content / "2021-1-1-mini.md").write_text("---\ntitle: 小程序会员体系\n---\n会员积分。\n", encoding="utf-8")
    return make_settings(tmp_path, CONTENT_DIR=tmp_path / "content", SITE_URL="https://blog.example.cn")


@pytest.fixture
def shared(redis_url):
    """The shared state under a prefix of its own (tests share one Redis)."""
    return SharedContent(redis.Redis.from_url(redis_url), prefix=f"caselink-test-{uuid.uuid4().hex[:8]}:")


def test_two_forwards_at_once_are_both_kept_and_searchable(small, shared):
    rebuild(small, shared=shared)
    docs = [forwarded(i, "直播复盘") for i in range(4)]
    barrier = threading.Barrier(len(docs))
    errors = []

    def forward(doc: Document) -> None:
        barrier.wait()
        try:
            add_forwarded(small, doc, by="o-admin", shared=shared)
        except Exception as exc:  # the test reports what any forward met
            errors.append(exc)

    threads = [threading.Thread(target=forward, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {item.doc.id for item in shared.forwarded()} == {d.id for d in docs}
    found = open_searcher(small.index_dir).search("直播复盘", limit=10)
    assert {h.id for h in found.hits} == {d.id for d in docs}


def test_another_node_rebuilt_from_the_same_redis_has_them(small, shared, tmp_path):
    rebuild(small, shared=shared)
    for i in range(2):
        add_forwarded(small, forwarded(i, "社群分层"), by="o-admin", shared=shared)
    here = open_searcher(small.index_dir).search("社群分层", limit=10)
    assert len(here.hits) == 2
    other = small.with_overrides(index_dir=tmp_path / "node-b" / "index")
    rebuild(other, shared=shared)
    rebuild(small, shared=shared)  # both nodes rebuilt from the same content and Redis: the same answers
    for query in ("社群分层", "转发的文章", "会员积分"):
        here = open_searcher(small.index_dir).search(query, limit=10)
        there = open_searcher(other.index_dir).search(query, limit=10)
        assert [(h.id, h.score) for h in there.hits] == [(h.id, h.score) for h in here.hits]
    assert not (small.index_dir / "added.jsonl").exists()  # nothing lives in one node's directory


def test_withdrawn_documents_leave_the_index_and_the_shared_state(small, shared):
    rebuild(small, shared=shared)
    doc = forwarded(1, "危机公关")
    add_forwarded(small, doc, by="o-admin", shared=shared)
    assert withdraw_forwarded(small, doc.id, by="o-admin", shared=shared).doc == doc
    assert open_searcher(small.index_dir).get(doc.id, audience="employee") is None
    assert shared.forwarded() == [] and shared.withdrawn() == {doc.id}
    assert withdraw_forwarded(small, doc.id, by="o-admin", shared=shared) is None


def test_the_cli_includes_forwarded_documents_from_redis(small, private_redis, tmp_path):
    """``python -m indexer rebuild`` on another node, with REDIS_URL: the same documents."""
    shared = SharedContent(redis.Redis.from_url(private_redis.url))  # the deployment's own prefix
    add_forwarded(small, forwarded(7, "品牌年度规划"), by="o-admin", shared=shared)
    index = tmp_path / "cli-node" / "index"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CASELINK_DEV": "1",
        "REDIS_URL": private_redis.url,
        "CONTENT_DIR": str(small.content_dir),
        "INDEX_DIR": str(index),
        "URLS_FILE": str(tmp_path / "none.txt"),
    }
    run = [sys.executable, "-m", "indexer"]
    built = subprocess.run([*run, "rebuild"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    out = subprocess.run(
        [*run, "search", "品牌年度规划", "--json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert [h["title"] for h in json.loads(out.stdout)["hits"]] == ["转发的文章7：品牌年度规划"]


def test_a_build_stops_when_redis_is_down_instead_of_dropping_forwarded_documents(small, private_redis):
    shared = SharedContent(redis.Redis.from_url(private_redis.url, socket_connect_timeout=0.5))
    rebuild(small, shared=shared)
    add_forwarded(small, forwarded(1, "直播间分工"), by="o-admin", shared=shared)
    live = generations.current_name(small.index_dir)
    private_redis.stop()
    for build in (rebuild, update):
        with pytest.raises(SharedUnavailable) as info:
            build(small, shared=shared)
        assert "Redis 不可用" in str(info.value)
    assert generations.current_name(small.index_dir) == live
    assert open_searcher(small.index_dir).search("直播间分工").hits


def test_documents_forwarded_before_the_move_to_redis_are_moved_once(small, shared):
    small.index_dir.mkdir(parents=True)
    old = forwarded(3, "老接口")
    (small.index_dir / "added.jsonl").write_text(json.dumps(old.to_dict(), ensure_ascii=False) + "\n", "utf-8")
    rebuild(small, shared=shared)
    assert [item.doc for item in shared.forwarded()] == [old]
    assert not (small.index_dir / "added.jsonl").exists() and (small.index_dir / "added.jsonl.imported").exists()
    assert open_searcher(small.index_dir).get(old.id) is not None


def test_update_works_on_the_generation_that_is_live_when_it_gets_the_lock(small, shared, tmp_path):
    """An update that waited for a rebuild must start from that rebuild's result, not from what was
    live when it started waiting (it re-indexed everything again, or linked a deleted generation)."""
    opened = threading.Event()

    def page(call):
        opened.wait(20)
        return "<html><head><title>慢网页</title></head><body><article>慢慢打开的正文。</article></body></html>"

    with StubServer({("GET", "/slow"): page}) as stub:
        urls = tmp_path / "urls.txt"
        urls.write_text(stub.url + "/slow\n", encoding="utf-8")
        settings = small.with_overrides(urls_file=urls, fetch_loopback_ports=frozenset({stub.port}))
        opened.set()
        rebuild(settings, shared=shared)
        opened.clear()
        posts = small.content_dir / "_posts"
        (posts / "2021-2-1-new.md").write_text("---\ntitle: 企业微信标签\n---\n给客户打标签。\n", "utf-8")

        results = {}
        slow = threading.Thread(target=lambda: results.update(rebuild=rebuild(settings, shared=shared)))
        slow.start()
        deadline = time.monotonic() + 10
        while "rebuild" not in describe_holder(small.index_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        waiting = threading.Thread(target=lambda: results.update(update=update(settings, wait=30, shared=shared)))
        waiting.start()
        time.sleep(0.5)  # the update is now waiting for the lock
        opened.set()
        slow.join()
        waiting.join()
    assert results["rebuild"].documents == 3
    assert (results["update"].added, results["update"].changed, results["update"].removed) == (0, 0, 0)
    assert results["update"].generation == results["rebuild"].generation


def test_a_forward_kept_when_redis_fails_before_the_index_update_says_kept(small, shared, redis_url):
    """Redis takes the write, then refuses the reads the update needs: the document is kept (the next
    build indexes it) and the caller is told exactly that, not that nothing was kept."""
    rebuild(small, shared=shared)
    admin = redis.Redis.from_url(redis_url)
    user, password = f"writer-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    # A Redis user that may write the shared state but not read it back: the update's read fails.
    admin.acl_setuser(user, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all", "-@read"])
    try:
        writer = redis.Redis.from_url(redis_url, username=user, password=password)
        only_writes = SharedContent(writer, prefix=shared.prefix)
        doc = forwarded(1, "复盘")
        with pytest.raises(KeptNotIndexed) as failed:
            add_forwarded(small, doc, by="o-admin", shared=only_writes)
        assert not isinstance(failed.value, SharedUnavailable) and "Redis" in str(failed.value)
        assert [item.doc.id for item in shared.forwarded()] == [doc.id]  # kept for the next build
        update(small, shared=shared)
        assert doc.title in [hit.title for hit in open_searcher(small.index_dir).search("复盘").hits]
    finally:
        admin.acl_deluser(user)
