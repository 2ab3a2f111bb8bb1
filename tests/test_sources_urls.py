"""The URL list: parsing, fetching through a local stand-in server, and failures."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from indexer.fetch import FetchPolicy
from indexer.sources import SiteInfo, collect
from indexer.sources.url_list import UrlEntry, parse_url_list, read_url_list
from tests.stubs import StubServer

HTML = {"Content-Type": "text/html; charset=utf-8"}
WECHAT_PAGE = """<html><head>
<meta property="og:title" content="如何做品牌年度规划">
<meta property="og:description" content="一篇公众号文章的摘要">
<meta property="og:image" content="https://mmbiz.qpic.cn/cover.jpg">
</head><body><h1 id="activity-name">如何做品牌年度规划</h1>
<div id="js_content" style="visibility: hidden;"><p>年度规划从<strong>目标</strong>开始。</p></div>
<script>var ct = "1700000000";</script></body></html>"""
ORDINARY_PAGE = """<html><head><title>普通网站文章</title><meta name="description" content="网站描述">
<meta property="og:image" content="/img/a.jpg"></head>
<body><nav>菜单</nav><article><p>网站正文。</p></article></body></html>"""


def slow(call):
    time.sleep(1.0)  # beyond the 0.5 s timeout the test uses
    return 200, HTML, "<html><body>太慢了</body></html>"


@pytest.fixture
def stub():
    routes = {
        ("GET", "/s/wechat"): (200, HTML, WECHAT_PAGE),
        ("GET", "/blog/post"): (200, {"Content-Type": "text/html"}, ORDINARY_PAGE.encode("utf-8")),
        ("GET", "/gbk"): (200, {"Content-Type": "text/html; charset=gbk"}, "<p>国标编码正文</p>".encode("gbk")),
        ("GET", "/slow"): slow,
        ("GET", "/file.pdf"): (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"),
        ("GET", "/blank"): (200, HTML, "<html><body><script>x()</script></body></html>"),
    }
    with StubServer(routes) as server:
        yield server


def local(*servers: StubServer) -> FetchPolicy:
    """Fetches may reach these local stand-ins (and nothing else on this machine)."""
    return FetchPolicy(loopback_ports=frozenset(s.port for s in servers))


def write_list(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        ("https://mp.weixin.qq.com/s/abc 案例 内部", UrlEntry("https://mp.weixin.qq.com/s/abc", "case", "internal")),
        ("https://x.cn/a case internal", UrlEntry("https://x.cn/a", "case", "internal")),
        ("https://x.cn/a internal  # 只给员工看", UrlEntry("https://x.cn/a", "article", "internal")),
        ("  https://x.cn/a#section  ", UrlEntry("https://x.cn/a#section")),
        ("HTTP://X.CN/a CASE", UrlEntry("HTTP://X.CN/a", "case")),
    ],
)
def test_parse_url_list_line(line, entry):
    assert parse_url_list(line, "urls.txt") == ([entry], [])


def test_parse_url_list_problems():
    text = "# 注释\n\nftp://x.cn/a\nhttps://x.cn/b 置顶\nhttps://x.cn/b\n"
    entries, problems = parse_url_list(text, "urls.txt")
    assert entries == [UrlEntry("https://x.cn/b")]
    assert [(p.path, p.category, p.skipped) for p in problems] == [
        ("urls.txt", "format", True),
        ("urls.txt", "format", False),
        ("https://x.cn/b", "duplicate", True),
    ]
    assert "第 3 行" in problems[0].reason and "置顶" in problems[1].reason and "第 5 行" in problems[2].reason


def test_fetch_pages_in_file_order(tmp_path, stub):
    urls = write_list(tmp_path, f"{stub.url}/blog/post\n{stub.url}/s/wechat case internal\n{stub.url}/gbk\n")
    result = read_url_list(urls, timeout=5, policy=local(stub))
    assert result.problems == []
    ordinary, wechat, gbk = result.documents
    assert (ordinary.id, ordinary.title, ordinary.summary) == (f"url:{stub.url}/blog/post", "普通网站文章", "网站描述")
    assert (ordinary.body, ordinary.cover, ordinary.kind) == ("网站正文。", f"{stub.url}/img/a.jpg", "article")
    assert (wechat.title, wechat.summary, wechat.url) == (
        "如何做品牌年度规划",
        "一篇公众号文章的摘要",
        f"{stub.url}/s/wechat",
    )
    assert (wechat.body, wechat.cover) == ("年度规划从目标开始。", "https://mmbiz.qpic.cn/cover.jpg")
    assert (wechat.kind, wechat.visibility, wechat.date) == ("case", "internal", dt.date(2023, 11, 15))
    assert gbk.body == "国标编码正文"
    assert all("Mozilla/5.0" in call.headers["User-Agent"] for call in stub.calls)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/missing", "HTTP 404"),
        ("/slow", "超时"),
        ("/file.pdf", "application/pdf"),
        ("/blank", "没有正文"),
    ],
)
def test_fetch_failures_are_problems(tmp_path, stub, path, words):
    urls = write_list(tmp_path, f"{stub.url}{path}\n{stub.url}/blog/post\n")
    result = read_url_list(urls, timeout=0.5, policy=local(stub))
    assert [d.title for d in result.documents] == ["普通网站文章"]
    (problem,) = result.problems
    assert (problem.path, problem.category, problem.skipped) == (f"{stub.url}{path}", "fetch", True)
    assert words in problem.reason


def test_unreachable_host_is_a_problem(tmp_path):
    with StubServer() as gone:
        url, policy = gone.url + "/a", local(gone)
    result = read_url_list(write_list(tmp_path, url + "\n"), timeout=2, policy=policy)
    (problem,) = result.problems
    assert (problem.path, problem.category) == (url, "fetch") and "无法连接" in problem.reason


def test_at_most_eight_fetches_at_once(tmp_path):
    lock, active, peak = threading.Lock(), [0], [0]

    def page(call):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return 200, HTML, f"<p>{call.path}</p>"

    with StubServer({("GET", f"/p{i}"): page for i in range(12)}) as server:
        urls = write_list(tmp_path, "".join(f"{server.url}/p{i}\n" for i in range(12)))
        result = read_url_list(urls, timeout=5, policy=local(server))
    assert [d.body for d in result.documents] == [f"/p{i}" for i in range(12)]
    assert 1 < peak[0] <= 8


def test_collect_reads_the_url_list_after_files(tmp_path, stub):
    content = tmp_path / "content"
    (content / "_posts").mkdir(parents=True)
    (content / "_posts" / "2019-03-11-a.md").write_text("---\ntitle: 本地文章\n---\n正文", encoding="utf-8")
    (content / "urls.txt").write_text(f"{stub.url}/ignored-by-the-walk\n", encoding="utf-8")
    urls = write_list(tmp_path, f"{stub.url}/s/wechat\n{stub.url}/missing\n")
    result = collect(content, site=SiteInfo("https://x.cn"), urls_file=urls, fetch_timeout=5, fetch_policy=local(stub))
    assert [d.title for d in result.documents] == ["本地文章", "如何做品牌年度规划"]
    assert [p.category for p in result.problems] == ["fetch"]
    assert sorted(c.path for c in stub.calls) == ["/missing", "/s/wechat"]  # fetched in parallel


def test_missing_url_list_is_ignored(tmp_path):
    assert collect(tmp_path, urls_file=tmp_path / "none.txt").problems == []
