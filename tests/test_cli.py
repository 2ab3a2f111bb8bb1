"""`python -m indexer` as an admin uses it: exit codes, JSON contracts, readable output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import chdir

import pytest
from click.testing import CliRunner

from config.settings import PROJECT_ROOT
from indexer.cli import run as cli_run
from tests.conftest import BROKEN_CONTENT, SAMPLE_CONTENT


def run(*args: str, env_extra: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m indexer ARGS`` in this process: the same entry point (``indexer.cli.run``), a clean
    environment, separate stdout and stderr and the exit code, without starting an interpreter and loading
    the dictionary for every command (one test below runs the real subprocess)."""
    env = {name: None for name in os.environ if name not in ("PATH", "HOME")}
    env.update({"CASELINK_DEV": "1", "URLS_FILE": "/nonexistent/urls.txt", **(env_extra or {})})
    with chdir(PROJECT_ROOT), CliRunner().isolation(input=stdin, env=env) as (out, err, _):
        try:
            cli_run(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(["python", "-m", "indexer", *args], code, stdout, stderr)


def run_process(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "CASELINK_DEV": "1", "URLS_FILE": "/nonexistent/urls.txt", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "indexer", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    index = tmp_path_factory.mktemp("cli") / "index"
    proc = run("rebuild", "--content", str(SAMPLE_CONTENT), "--index", str(index))
    assert proc.returncode == 0, proc.stderr
    return index


def test_rebuild_reports_what_it_indexed(built):
    proc = run("stats", "--index", str(built), "--json")
    data = json.loads(proc.stdout)
    assert {"documents", "by_kind", "generation", "built_at", "size_bytes"} <= set(data)
    assert data["documents"] >= 40 and data["by_kind"]["case"] >= 15


def test_search_json_follows_the_contract(built):
    proc = run("search", "小程序", "案例", "--index", str(built), "--json", "--limit", "3")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["query"] == "小程序 案例"
    assert data["hits"] and data["hits"][0]["kind"] == "case"
    assert set(data["hits"][0]) >= {"id", "kind", "title", "url", "tags", "date", "score", "snippet"}


def test_search_batch_prints_one_json_line_per_query(built, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text("双微一抖怎么运营\n私域\nAND OR (\n", encoding="utf-8")
    proc = run("search", "--batch", str(queries), "--json", "--index", str(built))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d["query"] for d in lines] == ["双微一抖怎么运营", "私域", "AND OR ("]


def test_employee_audience_sees_internal_cases(built):
    client = json.loads(run("search", "达人报价", "--index", str(built), "--json").stdout)
    employee = json.loads(run("search", "达人报价", "--audience", "employee", "--index", str(built), "--json").stdout)
    assert "case-kol-price-sheet-internal" in [h["id"] for h in employee["hits"]]
    assert "case-kol-price-sheet-internal" not in [h["id"] for h in client["hits"]]


def test_human_table_shows_titles(built):
    proc = run("search", "危机公关", "--index", str(built))
    assert proc.returncode == 0 and "舆情" in proc.stdout


def test_problems_in_content_exit_1_and_are_listed(tmp_path):
    proc = run("rebuild", "--content", str(BROKEN_CONTENT), "--index", str(tmp_path / "i"))
    assert proc.returncode == 1
    assert "跳过" in proc.stdout and "YAML 无法解析" in proc.stderr


@pytest.mark.parametrize("runner", [run, run_process])
def test_missing_index_exits_2_and_names_the_command(tmp_path, runner):
    proc = runner("search", "小程序", "--index", str(tmp_path / "none"))
    assert proc.returncode == 2
    assert "python -m indexer rebuild" in proc.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("search",), {}),
        (("search", "x", "--limit", "0"), {}),
        (("frobnicate",), {}),
        (("stats",), {"REPLY_DEADLINE": "soon"}),
        (("stats",), {"WECHAT_AES_KEY": "too-short"}),
    ],
)
def test_usage_and_settings_errors_exit_2_with_one_clear_line(args, env):
    proc = run(*args, env_extra=env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_rebuild_can_import_the_accounts_published_articles(tmp_path):
    from tests.stubs import StubServer

    item = {
        "article_id": "A1",
        "update_time": 1700000000,
        "content": {
            "news_item": [
                {
                    "title": "公众号已发布：双十一复盘",
                    "digest": "一次大促的复盘",
                    "content": "<p>双十一的复盘正文</p>",
                    "url": "https://mp.weixin.qq.com/s/a1",
                    "thumb_url": "",
                    "is_deleted": False,
                }
            ]
        },
    }
    routes = {
        ("POST", "/cgi-bin/stable_token"): {"access_token": "T", "expires_in": 7200},
        ("POST", "/cgi-bin/freepublish/batchget"): {"total_count": 1, "item_count": 1, "item": [item]},
    }
    with StubServer(routes) as stub:
        env = {"WECHAT_APPID": "wxappid", "WECHAT_SECRET": "s3cret", "WECHAT_API_BASE": stub.url + "/cgi-bin/"}
        index = str(tmp_path / "i")
        proc = run("rebuild", "--wechat", "--content", str(SAMPLE_CONTENT), "--index", index, env_extra=env)
        assert proc.returncode == 0, proc.stderr
        assert [c.path for c in stub.calls] == ["/cgi-bin/stable_token", "/cgi-bin/freepublish/batchget"]
    found = json.loads(run("search", "双十一复盘", "--index", index, "--json").stdout)
    assert found["hits"][0]["id"] == "wx:A1:1"
