"""``/healthz`` and ``/metrics``: figures move with traffic, and under gunicorn every worker's count
is summed (prometheus-client multiprocess mode)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from config.settings import PROJECT_ROOT
from tests.bot_fixtures import ADMIN, AES_KEY, APPID, TOKEN, make_bot_settings, new_openid, run_gunicorn
from tests.stubs import StubServer
from tests.wechat_client import HttpClient, WeChatServer, message_xml


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Exposition text as {(sample name, sorted labels): value}."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(client) -> dict[tuple[str, tuple], float]:
    res = client.get("/metrics")
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith("text/plain; version=")
    return samples(res.get_data(as_text=True))


def value(figures: dict, name: str, **labels) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_with_the_messages(wechat, searcher):
    client = wechat.client
    before = scrape(client)
    user = new_openid()
    wechat.text(user, "私域流量")
    wechat.text(user, "量子纠缠火星基地")  # nothing found
    weak = next(q for q in ("小红书 量子", "抖音 火星基地", "社群 潜水艇", "品牌 恐龙") if searcher.search(q).weak)
    wechat.text(user, weak)
    wechat.text(user, "更多")  # a page of the last search: timed, not counted as a new search
    wechat.event(user, "subscribe")
    wechat.event(user, "CLICK", key="HELP")
    retried = wechat.text_xml(user, "品牌", msg_id=time.time_ns() // 1000)  # unique in the shared Redis
    wechat.post_xml(retried)
    wechat.post_xml(retried)  # WeChat's retry: the same message, counted once
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("caselink_messages_total", type="text", event="") == 5
    assert delta("caselink_messages_total", type="event", event="subscribe") == 1
    assert delta("caselink_messages_total", type="event", event="click") == 1
    assert delta("caselink_search_seconds_count", surface="wechat") == 5
    assert delta("caselink_search_zero_results_total") == 1
    assert delta("caselink_search_weak_results_total") == 1
    assert delta("caselink_reply_deadline_misses_total") == 0
    assert value(after, "caselink_index_documents") == searcher.stats()["documents"]
    assert 0 <= value(after, "caselink_index_age_seconds") < 86400


def test_search_buckets_resolve_milliseconds(wechat):
    wechat.text(new_openid(), "品牌")
    figures = scrape(wechat.client)
    bounds = sorted(float(dict(labels)["le"]) for (name, labels) in figures if name == "caselink_search_seconds_bucket")
    assert bounds[0] <= 0.001 and 0.005 in bounds and 0.05 in bounds and bounds[-1] == float("inf")


def test_the_results_page_is_timed_as_its_own_surface(tmp_path, redis_url, sample_settings):
    from bot import create_app
    from bot.links import ResultLink, make_token

    app = create_app(make_bot_settings(tmp_path, redis_url, sample_settings.index_dir))
    client = app.test_client()
    client.get("/r/" + make_token("caselink-test-secret-key", ResultLink("私域流量", "client")))
    assert value(scrape(client), "caselink_search_seconds_count", surface="page") == 1
    app.extensions["caselink"].close()


def test_healthz_reports_index_age_and_documents(wechat, searcher):
    body = wechat.client.get("/healthz").get_json()
    stats = searcher.stats()
    assert body["status"] == "ok" and body["redis"] is True
    assert body["index_generation"] == stats["generation"]
    assert body["index_documents"] == stats["documents"] > 0
    assert body["index_built_at"] == stats["built_at"]
    assert 0 <= body["index_age_seconds"] < 86400


# --- late answers and pushes --------------------------------------------------------------------------


PAGE = """<html><head><title>慢慢打开的文章</title></head><body><article><p>私域运营的第一步是分层。
这是一段足够长的正文，让抓取器认为页面有内容。</p></article></body></html>"""


def slow_page(call):
    time.sleep(1.2)
    return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE


@pytest.fixture
def api():
    with StubServer(
        {
            ("POST", "/cgi-bin/stable_token"): {"access_token": "ACCESS-TOKEN-M", "expires_in": 7200},
            ("POST", "/cgi-bin/message/custom/send"): {"errcode": 0, "errmsg": "ok"},
            ("GET", "/article"): slow_page,
        }
    ) as stub:
        yield stub


@pytest.fixture
def late_app(tmp_path, redis_url, fresh_index, api):
    from bot import create_app

    redis.Redis.from_url(redis_url).delete(f"caselink:wechatpy:{APPID}_access_token")
    settings = make_bot_settings(
        tmp_path, redis_url, fresh_index, WECHAT_API_BASE=api.url + "/cgi-bin/", REPLY_DEADLINE="0.5"
    ).with_overrides(fetch_loopback_ports=frozenset({api.port}))  # the forwarded article's stand-in
    app = create_app(settings)
    yield app
    app.extensions["caselink"].close()
    # The forwarded article's question (and an answer held after a refused push) stay with ADMIN,
    # whom other tests share: clear them.
    redis.Redis.from_url(redis_url).delete(f"caselink:flow:{ADMIN}", f"caselink:pending:{ADMIN}")


def forward_slow_link(app, api) -> None:
    """An admin forwards an article whose page is slower than the reply deadline."""
    wechat = WeChatServer(app.test_client(), TOKEN, AES_KEY, APPID)
    fields = {
        "ToUserName": "gh_caselink",
        "FromUserName": ADMIN,
        "CreateTime": int(time.time()),
        "MsgType": "link",
        "Title": "慢慢打开的文章",
        "Description": "测试超时",
        "Url": api.url + "/article",
        "MsgId": time.time_ns() // 1000,
    }
    assert wechat.post_xml(message_xml(fields), "safe").success
    app.extensions["caselink"].jobs.shutdown()  # wait for the late answer to be pushed (or kept)


def test_deadline_misses_and_pushes_are_counted(late_app, api):
    forward_slow_link(late_app, api)
    figures = scrape(late_app.test_client())
    assert value(figures, "caselink_reply_deadline_misses_total") == 1
    assert value(figures, "caselink_customer_service_pushes_total") == 1
    assert not any(name == "caselink_customer_service_push_failures_total" for name, _ in figures)


@pytest.mark.parametrize(
    ("response", "errcode"),
    [({"errcode": 48001, "errmsg": "api unauthorized"}, "48001"), ((502, {}, "bad gateway"), "network")],
)
def test_push_failures_are_counted_by_errcode(late_app, api, response, errcode):
    api.route("POST", "/cgi-bin/message/custom/send", response)
    forward_slow_link(late_app, api)
    figures = scrape(late_app.test_client())
    assert value(figures, "caselink_customer_service_pushes_total") == 1
    assert value(figures, "caselink_customer_service_push_failures_total", errcode=errcode) == 1


# --- multiprocess mode ------------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from bot.metrics import Metrics
    m = Metrics()
    assert m.multiproc_dir, "multiprocess mode expected"
    for _ in range(int(sys.argv[1])):
        m.count_message("text")
    m.count_search(0, False)
    with m.time_search("wechat"):
        time.sleep(0.002)
    m.set_index(int(sys.argv[2]), 5.0)
    """
)
READER = "import sys; from bot.metrics import Metrics; sys.stdout.write(Metrics().render()[0].decode())"


def run_python(code: str, *args: str, env: dict) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_two_processes_writing_to_one_directory_are_summed(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    run_python(WRITER, "3", "40", env=env)
    run_python(WRITER, "4", "54", env=env)  # later: its index figure is the most recent
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    figures = samples(run_python(READER, env=env))
    assert value(figures, "caselink_messages_total", type="text", event="") == 7
    assert value(figures, "caselink_search_zero_results_total") == 2
    assert value(figures, "caselink_search_seconds_count", surface="wechat") == 2
    assert value(figures, "caselink_index_documents") == 54


def test_an_empty_multiproc_variable_means_single_process(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": ""}
    code = "from bot.metrics import Metrics; m = Metrics(); m.count_message('text'); print(m.multiproc_dir)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "None"
    assert list(tmp_path.iterdir()) == []  # no metric files dropped into the working directory


CONF_HOOKS = textwrap.dedent(
    """
    import json, os, runpy, sys
    conf = runpy.run_path("gunicorn.conf.py")
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    created = os.path.isdir(path)
    conf["on_starting"](None)
    left = sorted(os.listdir(path))
    conf["on_exit"](None)
    print(json.dumps({"path": path, "created": created, "left": left, "exists": os.path.isdir(path)}))
    """
)


def test_gunicorn_conf_provides_and_cleans_the_directory(tmp_path):
    import json

    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"} | {"CASELINK_DEV": "1"}
    made = json.loads(run_python(CONF_HOOKS, env=env))
    assert made["created"] and made["left"] == [] and not made["exists"]  # its own: removed on exit

    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"stale")  # a previous run's figures
    (given / "notes.txt").write_text("keep")
    kept = json.loads(run_python(CONF_HOOKS, env={**env, "PROMETHEUS_MULTIPROC_DIR": str(given)}))
    assert kept["left"] == ["notes.txt"] and kept["exists"]  # a given directory is emptied, not removed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn_metrics(redis_url, sample_settings, tmp_path):
    """The bot under gunicorn with 2 workers and a metrics directory the test can look into."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with run_gunicorn(redis_url, sample_settings.index_dir, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as url:
        yield url, metrics_dir


def test_gunicorn_workers_are_summed_in_every_scrape(gunicorn_metrics):
    url, metrics_dir = gunicorn_metrics
    server = WeChatServer(HttpClient(url), TOKEN, AES_KEY, APPID)
    sent = 40

    def send(n: int) -> None:
        for _ in range(n):
            assert server.text(new_openid("mp"), "私域流量", "safe").text.startswith("找到 ")

    threads = [threading.Thread(target=send, args=(sent // 8,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writers = {p.name.split("_")[1] for p in metrics_dir.glob("counter_*.db")}
    assert len(writers) == 2, "both workers should have answered some messages"
    for _ in range(4):  # whichever worker answers the scrape reports the sum of both
        res = requests.get(url + "/metrics", timeout=10)
        figures = samples(res.text)
        assert value(figures, "caselink_messages_total", type="text", event="") == sent
        assert value(figures, "caselink_search_seconds_count", surface="wechat") == sent
    assert value(figures, "caselink_index_documents") > 0
    health = requests.get(url + "/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
