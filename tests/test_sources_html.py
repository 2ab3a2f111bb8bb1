"""HTML files and the page extraction shared with fetched pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer.sources import SiteInfo, collect
from indexer.sources.html_pages import html_to_text, parse_page

SITE = SiteInfo("https://blog.example.cn")


def write(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


FULL = """<!doctype html><html><head>
<title>页面标题 - 站点</title>
<meta property="og:title" content="分享标题">
<meta property="og:description" content="分享描述">
<meta name="description" content="普通描述">
<meta property="og:image" content="/img/cover.jpg">
<meta property="og:url" content="https://www.example.cn/a/">
<meta name="keywords" content="品牌,数字化">
<meta property="article:published_time" content="2024-05-06T09:00:00+08:00">
<style>.x{color:red}</style><script>var secret = "脚本";</script>
</head><body>
<nav>首页 关于</nav><header>站点页眉</header>
<article><h1>文章标题</h1><p>第一段<strong>重点</strong>文字。</p><p>第二段</p><script>track()</script></article>
<footer>版权所有</footer>
</body></html>"""


def test_parse_page_prefers_open_graph():
    page = parse_page(FULL)
    assert (page.title, page.description, page.cover) == ("分享标题", "分享描述", "/img/cover.jpg")
    assert (page.url, page.keywords, page.date) == ("https://www.example.cn/a/", "品牌,数字化", dt.date(2024, 5, 6))
    assert page.text == "文章标题\n第一段重点文字。\n第二段"


@pytest.mark.parametrize(
    ("head", "body", "title"),
    [
        ("<title>标签标题</title>", "<h1>一级标题</h1><p>正文</p>", "标签标题"),
        ("", "<h1>一级标题</h1><p>正文</p>", "一级标题"),
        ("<title></title>", "<p>正文</p>", ""),
    ],
)
def test_title_fallbacks(head, body, title):
    assert parse_page(f"<html><head>{head}</head><body>{body}</body></html>").title == title


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('<main>主体</main><div id="js_content">微信正文</div>', "微信正文"),
        ("<div>侧栏</div><main>主体内容</main>", "主体内容"),
        (
            "<nav>导航</nav><header>页眉</header><div>正文<br>换行</div><aside>边栏</aside><footer>页脚</footer>",
            "正文\n换行",
        ),
    ],
)
def test_body_container(body, text):
    assert parse_page(f"<html><body>{body}</body></html>").text == text


def test_wechat_article_page():
    markup = (
        '<html><head><meta property="og:title" content="公众号文章"><meta property="og:image" '
        'content="https://mmbiz.qpic.cn/a.jpg"></head><body><h1 id="activity-name">公众号文章</h1>'
        '<div class="rich_media_content" id="js_content" style="visibility: hidden;"><section>微信'
        "<span>排版</span>的正文</section><p>第二段</p></div>"
        '<script>var ct = "1700000000";</script></body></html>'
    )
    page = parse_page(markup.encode("utf-8"), encoding="utf-8")
    assert (page.title, page.wechat_body, page.text) == ("公众号文章", True, "微信排版的正文\n第二段")
    assert page.date == dt.date(2023, 11, 15)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>一段&amp;二段<img src='x.png'></p><p>三段</p>", "一段&二段\n三段"),
        ("纯文字 &amp; 没有标签", "纯文字 & 没有标签"),
        ("https://mp.weixin.qq.com/s/abc", "https://mp.weixin.qq.com/s/abc"),
        ("", ""),
    ],
)
def test_html_to_text_of_a_fragment(markup, text):
    assert html_to_text(markup) == text


def test_html_file(tmp_path):
    write(tmp_path, "pages/a.html", FULL)
    (doc,) = collect(tmp_path, site=SITE).documents
    assert (doc.id, doc.kind, doc.title, doc.url) == ("pages/a", "article", "分享标题", "https://www.example.cn/a/")
    assert (doc.summary, doc.tags, doc.date) == ("分享描述", ("品牌", "数字化"), dt.date(2024, 5, 6))
    assert doc.cover == "https://www.example.cn/img/cover.jpg"


@pytest.mark.parametrize(
    ("rel", "head", "url"),
    [
        ("cases/银行 案例.html", "", "https://blog.example.cn/cases/%E9%93%B6%E8%A1%8C%20%E6%A1%88%E4%BE%8B.html"),
        ("cases/index.html", "", "https://blog.example.cn/cases/"),
        ("a.htm", '<link rel="canonical" href="https://x.cn/canon">', "https://x.cn/canon"),
    ],
)
def test_html_file_url(tmp_path, rel, head, url):
    write(tmp_path, rel, f"<html><head><title>标题</title>{head}</head><body><p>正文</p></body></html>")
    (doc,) = collect(tmp_path, site=SITE).documents
    assert doc.url == url
    assert doc.kind == ("case" if rel.startswith("cases/") else "article")


def test_html_with_jekyll_front_matter(tmp_path):
    front = "---\ntitle: 关于我们\npermalink: /about/\nvisibility: internal\n---\n"
    page = front + "<h2>我们</h2>{% include x.html %}<p>介绍</p>"
    write(tmp_path, "about.html", page)
    (doc,) = collect(tmp_path, site=SITE).documents
    assert (doc.title, doc.url, doc.visibility, doc.body) == (
        "关于我们",
        "https://blog.example.cn/about/",
        "internal",
        "我们\n介绍",
    )


def test_html_problems(tmp_path):
    write(tmp_path, "empty.html", "<html><head><title>空</title><script>x()</script></head><body> </body></html>")
    write(tmp_path, "untitled.html", "<html><body><p>只有正文</p></body></html>")
    write(tmp_path, "gbk.html", "<html><head><title>旧页面</title></head><body>旧正文</body></html>".encode("gbk"))
    result = collect(tmp_path)
    assert [(d.title, d.url) for d in result.documents] == [("旧页面", ""), ("untitled", "")]
    assert [(p.path, p.category, p.skipped) for p in result.problems] == [
        ("empty.html", "empty", True),
        ("gbk.html", "encoding", False),
        ("gbk.html", "no-url", False),
        ("untitled.html", "missing-field", False),
        ("untitled.html", "no-url", False),
    ]
