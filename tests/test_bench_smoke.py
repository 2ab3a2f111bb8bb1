"""``python -m bench web`` in miniature, so that the benchmark code cannot rot.

A 40-document corpus, one gunicorn worker, concurrency 2, a few dozen requests per level, the
echo floor, a growth row (10 timed searches), an incremental update and a rebuild under load. Figures are printed by
the real run, never asserted here: this machine is shared and noisy.
"""

from __future__ import annotations

import shutil

import pytest

from bench.web.run import Options, run
from bench.web.servers import RedisServer


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of its own: the bench's searches must not show up in other tests' analytics."""
    if not shutil.which("redis-server"):
        pytest.skip("no redis-server binary (.ci/run installs it)")
    server = RedisServer(tmp_path / "redis")
    yield server.url
    server.stop()


@pytest.mark.timeout(120)
def test_bench_web_runs_end_to_end(own_redis, tmp_path):
    opts = Options(
        docs=40,
        sizes=(40,),
        levels=(2,),
        duration=0.3,
        warmup=0.1,
        repeat=1,
        workers=1,
        growth_duration=0.3,
        distinct=False,
        workdir=tmp_path / "bench",
        chart=tmp_path / "growth.png",
        out=tmp_path / "results.json",
        max_requests=30,
        max_busy=1.0,
        log_level="WARNING",
        reindex_lead=0.2,
        reindex_tail=0.2,
        search_queries=10,
    )
    lines: list[str] = []
    results = run(opts, say=lines.append, redis_url=own_redis)

    levels = {(r["server"], r["concurrency"]): r for r in results["levels"]}
    for server in ("caselink", "echo"):
        level = levels[(server, 2)]
        assert level["requests"] > 0 and level["errors"] == 0, level
    assert "rps_ratio" in levels[("caselink", 2)]
    # Where the CPU went: the servers answered, the client sent, and the bench's Redis was found.
    split = levels[("caselink", 2)]["cpu_ms"]
    assert split["server"] > 0 and split["client"] > 0 and split["redis"] is not None
    assert abs(split["total"] - (split["server"] + split["redis"] + split["client"])) < 0.01
    assert levels[("caselink", 2)]["cpu_ratio"] > 0
    assert "CPU per request sent" in "\n".join(lines)
    (row,) = results["growth"]
    assert row["docs"] == 40 and row["cold_start_s"] > 0 and row["webhook_errors"] == 0
    assert row["worker_rss_mb"] > 0
    assert results["update"]["changed"] == 1
    reindex = results["reindex"]
    assert reindex["rebuild_exit"] == 0 and reindex["errors"] == 0 and reindex["requests"] > 0
    assert reindex["generations_after"] != [reindex["generation_before"]]
    assert not reindex["marker_found_before"]
    assert reindex["marker_found_after"] == reindex["marker_checks_after"]
    assert (tmp_path / "results.json").exists()
    assert (tmp_path / "growth.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any("| caselink | 2 |" in line for line in lines)


def test_the_cpu_split_finds_only_a_redis_server_on_this_machine(own_redis):
    from bench.web.cpu import Meter, local_redis_pid

    pid = local_redis_pid(own_redis)
    assert pid is not None
    assert local_redis_pid("redis://redis.example.com:6379/0") is None
    import redis

    meter = Meter([], pid).start()
    client = redis.Redis.from_url(own_redis)
    for _ in range(2000):
        client.ping()
    split = meter.stop(sent=2000, client_cpu_s=0.0)
    assert split["redis"] is not None and split["redis"] > 0  # 2,000 round trips cost the server something


def test_generated_searches_are_never_commands():
    from bench.web.load import COMMAND_WORDS, Keys, RequestFactory
    from bot.chat.router import COMMANDS

    assert {w for w, c in COMMANDS.items() if not c.admin} <= COMMAND_WORDS
    factory = RequestFactory("http://127.0.0.1:9", Keys("t", "a" * 43, "wx"), ["最新", "品牌", "文章"], distinct=True)
    searches = [r.content for _ in range(3) for r in factory.script() if r.kind == "search"]
    assert set(searches) == {"品牌"}


@pytest.mark.parametrize("client", ["raw", "aiohttp"])
def test_both_load_clients_send_every_request_and_record_the_reply(client):
    import asyncio
    import time

    from yarl import URL

    from bench.web.load import Prepared, Stop, drive
    from tests.stubs import StubServer

    with StubServer({("POST", "/wechat"): (200, {"Content-Type": "text/plain"}, "success")}) as stub:
        reqs = [Prepared("search", "小程序", f"o-{i}", str(i), URL(stub.url + "/wechat"), b"<xml/>") for i in range(6)]
        stop = Stop(at=time.perf_counter() + 10, max_requests=100)
        records = asyncio.run(drive([reqs[:3], reqs[3:]], 2, stop, client=client))
    assert sorted(r.request.nonce for r in records) == [str(i) for i in range(6)]
    assert {(r.status, r.body) for r in records} == {(200, b"success")}
    assert len(stub.calls_to("/wechat")) == 6
