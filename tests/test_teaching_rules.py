"""Rules and picks in Redis (bot.store.rules, bot.teaching), the rules file and ``python -m bot rules``.

Time is passed in (``now=``), never slept. Each test keeps its keys under a prefix of its own or
on a redis-server of its own, so nothing here touches the rules the other tests use.
"""

from __future__ import annotations

import uuid

import pytest
import redis
import yaml
from click.testing import CliRunner

from bot import teaching
from bot.cli import cli
from bot.cli.rules_file import RulesFileError, dump, load
from bot.store import Store
from bot.store.connection import Connection
from bot.store.rules import PICK_HALF_LIFE, Rules
from bot.teaching import LIFT_THRESHOLD, TeachingError
from indexer.teaching import query_key
from tests.teaching_helpers import SHUANGWEI_ID

QUERY = "小程序"
T0 = 1_900_000_000.0
DAY = 86400


@pytest.fixture
def store(redis_url, searcher):  # the searcher configures the segmenter the keys are made with
    prefix = f"caselink-test-{uuid.uuid4().hex[:8]}:"
    raw = redis.Redis.from_url(redis_url)
    yield Store(raw, prefix=prefix)
    keys = list(raw.scan_iter(prefix + "*"))
    if keys:
        raw.delete(*keys)


def lifted_target(searcher) -> tuple[int, object]:
    hits = searcher.search(QUERY, limit=5).hits
    i = max(i for i in range(1, 5) if hits[i].score * teaching.lift(LIFT_THRESHOLD) > hits[i - 1].score)
    return i, hits[i]


def test_picks_lift_a_document_past_the_threshold_and_fade_over_weeks(store, searcher):
    position, wanted = lifted_target(searcher)
    for user in ("u1", "u2"):
        assert teaching.record_pick(store, QUERY, wanted.id, user, now=T0)
    assert not teaching.record_pick(store, f"{QUERY}？", wanted.id, "u1", now=T0 + 60)  # same person, same day
    assert "lifted" not in teaching.search_options(store, QUERY, now=T0 + 120)
    assert teaching.record_pick(store, f"有没有{QUERY}", wanted.id, "u3", now=T0 + 3600)  # the same key

    options = teaching.search_options(store, QUERY, now=T0 + 7200)
    assert options["lifted"] == {wanted.id: pytest.approx(teaching.lift(3), abs=0.01)}
    hits = searcher.search(QUERY, limit=5, **options).hits
    moved = [h.id for h in hits].index(wanted.id)
    assert moved < position and hits[moved].taught == "lifted"

    # a week on the three picks still count 2.1: below the threshold, the order is the plain one again
    week = teaching.search_options(store, QUERY, now=T0 + 7 * DAY)
    assert "lifted" not in week
    assert store.rules.picks(query_key(QUERY), now=T0 + PICK_HALF_LIFE)[wanted.id] == pytest.approx(1.5, 0.01)
    # fresh picks bring it back, counted on top of what is left
    assert teaching.record_pick(store, QUERY, wanted.id, "u4", now=T0 + 7 * DAY)
    assert "lifted" in teaching.search_options(store, QUERY, now=T0 + 7 * DAY)
    assert "lifted" not in teaching.search_options(store, QUERY, now=T0 + 60 * DAY)


def test_picks_are_bounded_per_query_and_in_number_of_queries(redis_url, searcher):
    prefix = f"caselink-test-{uuid.uuid4().hex[:8]}:"
    raw = redis.Redis.from_url(redis_url)
    rules = Rules(Connection(raw, prefix), max_queries=3, max_docs=4)
    try:
        for i in range(6):  # older documents are the weakest
            rules.record_pick("q", f"doc-{i}", "u", now=T0 + i * DAY)
        assert sorted(rules.picks("q", now=T0 + 6 * DAY)) == ["doc-2", "doc-3", "doc-4", "doc-5"]
        for i in range(5):
            rules.record_pick(f"query {i}", "doc", "u", now=T0 + 10 * DAY + i)
        assert raw.zcard(prefix + "rules:picked") == 3
        assert rules.picks("q") == {} and rules.picks("query 0") == {} and rules.picks("query 4")
        assert 0 < raw.ttl(prefix + "rules:picks:query 4") <= 90 * DAY
    finally:
        raw.delete(*raw.scan_iter(prefix + "*"))


def test_rules_are_keyed_checked_and_replaced_not_duplicated(store):
    rule = teaching.add(store, teaching.new_rewrite("抖音运营？", "双微一抖", by="dashboard", now=T0))
    assert rule.query == "抖音运营" and rule.id == "rewrite:抖音 运营→双微一抖"
    teaching.add(store, teaching.new_rewrite("抖音 运营", "双微一抖", by="o-admin", now=T0 + 5))
    assert [(r["by"], r["at"]) for r in store.rules.all()] == [("o-admin", T0 + 5)]
    assert teaching.search_options(store, "抖音运营有什么方法")["expansions"] == ["双微一抖 方法"]
    for query, target, message in [
        ("有没有", "双微一抖", "没有可以搜索的词"),
        ("抖音运营", "？？", "没有可以搜索的词"),
        ("营销", "營銷", "同一个词"),
        ("营" * 31, "营销", "太长了"),
    ]:
        with pytest.raises(TeachingError, match=message):
            teaching.new_rewrite(query, target, by="dashboard")


def test_a_query_takes_a_few_pins_the_newest_first(store, searcher):
    docs = [h.id for h in searcher.search(QUERY, limit=10).hits]
    for i, doc in enumerate(docs[: teaching.MAX_PINS_PER_QUERY]):
        teaching.add(store, teaching.new_pin(QUERY, doc, "", by="dashboard", now=T0 + i))
    with pytest.raises(TeachingError, match="已经置顶了 5 条"):
        teaching.add(store, teaching.new_pin(f"{QUERY}？", docs[6], "", by="dashboard"))
    pinned = teaching.search_options(store, QUERY)["pinned"]
    assert pinned == list(reversed(docs[: teaching.MAX_PINS_PER_QUERY]))
    assert [h.id for h in searcher.search(QUERY, limit=5, pinned=pinned).hits] == pinned


def test_rules_outlive_a_redis_outage_in_each_worker(tmp_path, private_redis, searcher):
    store = Store(redis.Redis.from_url(private_redis.url, socket_timeout=0.5), retry_after=0.0)
    teaching.add(store, teaching.new_pin(QUERY, SHUANGWEI_ID, "", by="dashboard"))
    assert teaching.search_options(store, QUERY)["pinned"] == [SHUANGWEI_ID]  # compiled once
    private_redis.stop()
    assert teaching.search_options(store, QUERY)["pinned"] == [SHUANGWEI_ID]
    with pytest.raises(TeachingError, match="Redis 不可用"):
        teaching.add(store, teaching.new_rewrite("抖音运营", "双微一抖", by="dashboard"))
    private_redis.start()  # an empty Redis (no persistence): the worker notices on the next search
    assert teaching.search_options(store, QUERY) == {}


# --- the rules file ----------------------------------------------------------------------------------


def test_a_rules_file_round_trips(store):
    made = [
        teaching.new_rewrite("抖音运营", "双微一抖", by="dashboard", now=T0),
        teaching.new_pin("私域流量", SHUANGWEI_ID, "双微一抖怎么运营", by="o-admin-1", now=T0 + 60),
    ]
    text = dump(made)
    assert text.startswith("# 案例通「教它」的规则") and "also: 双微一抖" in text
    assert load(text) == made


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rewrites: [\n  - query: a\n", "不是有效的 YAML"),
        ("只是一行字", "两部分组成"),
        ("rules:\n  - query: a\n", "不认识的部分「rules」"),
        ("version: 2\n", "version 应为 1"),
        ("rewrites: 抖音运营\n", "rewrites 应当是列表"),
        ("rewrites:\n  - 抖音运营\n", "rewrites 第 1 条：应当是「键: 值」"),
        ("rewrites:\n  - {query: 抖音运营}\n", "rewrites 第 1 条：缺少 also"),
        ("rewrites:\n  - {also: 双微一抖}\n", "缺少 query"),
        ("rewrites:\n  - {query: 有没有, also: 双微一抖}\n", "没有可以搜索的词"),
        ("rewrites:\n  - {query: 抖音运营, also: 双微一抖, 备注: x}\n", "不认识的键 备注"),
        ("pins:\n  - {query: 抖音运营}\n", "pins 第 1 条：缺少 doc"),
        ("pins:\n  - {query: 抖音运营, doc: x, at: 昨天}\n", "不是时间"),
        ("pins:\n  - {query: [a, b], doc: x}\n", "query 应当是文字"),
    ],
)
def test_a_bad_rules_file_is_refused_whole_with_the_reason(content, message, searcher):
    with pytest.raises(RulesFileError) as refused:
        load(content)
    assert any(message in line for line in refused.value.problems), refused.value.problems


# --- python -m bot rules export|import -----------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, private_redis, sample_settings):
    return {"CASELINK_DEV": "1", "REDIS_URL": private_redis.url, "INDEX_DIR": str(sample_settings.index_dir)}


def run(env: dict, *args: str):
    return CliRunner(env=env).invoke(cli, ["rules", *args])


def test_export_then_import_restores_every_rule(cli_env, private_redis, tmp_path):
    store = Store(redis.Redis.from_url(private_redis.url))
    teaching.add(store, teaching.new_rewrite("抖音运营", "双微一抖", by="dashboard", now=T0))
    teaching.add(store, teaching.new_pin("私域流量", SHUANGWEI_ID, "双微一抖怎么运营", by="o-admin-1", now=T0 + 1))
    before = sorted(store.rules.all(), key=lambda r: r["id"])
    file = tmp_path / "rules.yaml"

    exported = run(cli_env, "export", "--file", str(file))
    assert exported.exit_code == 0, exported.output
    assert "已导出 2 条规则（同义 1 条，置顶 1 条）" in exported.output
    assert yaml.safe_load(file.read_text(encoding="utf-8"))["pins"][0]["doc"] == SHUANGWEI_ID

    redis.Redis.from_url(private_redis.url).flushdb()
    imported = run(cli_env, "import", "--file", str(file))
    assert imported.exit_code == 0, imported.output
    assert "已导入 2 条规则" in imported.output and "不在当前索引里" not in imported.output
    assert sorted(store.rules.all(), key=lambda r: r["id"]) == before
    assert teaching.search_options(store, "私域流量")["pinned"] == [SHUANGWEI_ID]

    # importing again changes nothing; --replace drops what the file does not hold
    teaching.add(store, teaching.new_rewrite("视频号", "直播", by="dashboard"))
    assert run(cli_env, "import", "--file", str(file)).exit_code == 0 and store.rules.count() == 3
    replaced = run(cli_env, "import", "--file", str(file), "--replace")
    assert "原有的其他规则已删除" in replaced.output and store.rules.count() == 2


def test_import_refuses_a_bad_file_and_changes_nothing(cli_env, private_redis, tmp_path):
    store = Store(redis.Redis.from_url(private_redis.url))
    teaching.add(store, teaching.new_rewrite("抖音运营", "双微一抖", by="dashboard"))
    file = tmp_path / "rules.yaml"
    file.write_text("rewrites:\n  - {query: 视频号, also: 直播}\n  - {query: 有没有}\npins:\n  - {doc: x}\n", "utf-8")
    result = run(cli_env, "import", "--file", str(file), "--replace")
    assert result.exit_code == 2
    assert "有 2 个问题，什么都没有导入" in result.output
    assert "rewrites 第 2 条：缺少 also" in result.output and "pins 第 1 条：缺少 query" in result.output
    assert [r["query"] for r in store.rules.all()] == ["抖音运营"]


def test_import_names_pins_the_index_does_not_hold(cli_env, tmp_path):
    file = tmp_path / "rules.yaml"
    file.write_text("pins:\n  - {query: 私域流量, doc: gone/old-post}\n", "utf-8")
    result = run(cli_env, "import", "--file", str(file))
    assert result.exit_code == 0 and "1 条置顶的文档不在当前索引里" in result.output
    assert "私域流量 → gone/old-post" in result.output


def test_rules_commands_need_redis(tmp_path):
    result = run({"CASELINK_DEV": "1", "REDIS_URL": ""}, "export", "--file", str(tmp_path / "r.yaml"))
    assert result.exit_code == 1 and "请先设置 REDIS_URL" in result.output
    missing = run({"CASELINK_DEV": "1", "REDIS_URL": "redis://127.0.0.1:9/0"}, "import", "--file", str(tmp_path / "x"))
    assert missing.exit_code == 1 and "读不了规则文件" in missing.output
