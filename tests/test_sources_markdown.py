"""Markdown posts: fields, URLs, every problem category, and the real corpora."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from indexer.sources import SiteInfo, collect
from indexer.sources.fields import as_date, parse_when, split_file_date, split_tags
from indexer.sources.markdown_text import markdown_to_text
from indexer.sources.site import absolute_url, expand_permalink

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
SITE = SiteInfo("https://blog.example.cn")
CST = dt.timezone(dt.timedelta(hours=8))


def write(root: Path, rel: str, content: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def post(title: str = "标题", body: str = "正文内容。", **fields: str) -> str:
    lines = [f"title: {title}"] + [f"{k}: {v}" for k, v in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


def only(result, category: str):
    found = [p for p in result.problems if p.category == category]
    assert len(found) == 1, result.problems
    return found[0]


# --- tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((["双微一抖，社交媒体"],), ("双微一抖", "社交媒体")),
        ((["企业文化，员工对话，NPLUS Social Dinner"],), ("企业文化", "员工对话", "NPLUS Social Dinner")),
        (("个人品牌，分享主义",), ("个人品牌", "分享主义")),
        (("职场,社会资本，贵人",), ("职场", "社会资本", "贵人")),
        (("阅读、交流、实践",), ("阅读", "交流", "实践")),
        (("知识管理 人工智能",), ("知识管理", "人工智能")),
        ((["斐济来信", "国际志工 "],), ("斐济来信", "国际志工")),
        ((["婚礼惊喜，襄阳，Wedding Party"],), ("婚礼惊喜", "襄阳", "Wedding Party")),
        ((["知识资产化", "经验"], "blog"), ("知识资产化", "经验", "blog")),
        ((["社交媒体"], ["社交媒体", "product"]), ("社交媒体", "product")),
        (([2019, "年度"],), ("2019", "年度")),
        (("AI ai Ai",), ("AI",)),
        ((["a,,b", "", None],), ("a", "b")),
        ((None, ""), ()),
    ],
)
def test_split_tags(values, expected):
    assert split_tags(*values) == expected


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("tags: [双微一抖，社交媒体]", ("双微一抖", "社交媒体")),
        ("tags: [企业文化，员工对话，NPLUS Social Dinner]", ("企业文化", "员工对话", "NPLUS Social Dinner")),
        ("tags: 个人品牌，分享主义", ("个人品牌", "分享主义")),
        ("tags: [知识资产化, AI觉醒实录, 一人公司]", ("知识资产化", "AI觉醒实录", "一人公司")),
        ("tags: [总结,知识管理]\ncategories: blog", ("总结", "知识管理", "blog")),
        ("tags:\n  - 品牌\n  - 数字化\ncategories: [product, ai-agent]", ("品牌", "数字化", "product", "ai-agent")),
        ("layout: post", ()),
    ],
)
def test_tags_from_front_matter(tmp_path, front_matter, expected):
    write(tmp_path, "a.md", f"---\ntitle: 标题\n{front_matter}\n---\n正文\n")
    result = collect(tmp_path, site=SITE)
    assert result.documents[0].tags == expected
    assert result.problems == []


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019年3月11日", dt.date(2019, 3, 11)),
        ("2026-05-22 08:00:00 +0800", dt.date(2026, 5, 22)),
        ("2026-02-24 03:38:14 +0800", dt.date(2026, 2, 24)),  # the author's own date, not UTC's
        ("2015-3-02", dt.date(2015, 3, 2)),
        ("2019/03/11", dt.date(2019, 3, 11)),
        ("2024-01-01T10:00:00.000Z", dt.date(2024, 1, 1)),
        ("2024-01-01T23:30:00+08:00", dt.date(2024, 1, 1)),
        (dt.date(2019, 3, 11), dt.date(2019, 3, 11)),
        (dt.datetime(2026, 2, 24, 3, 38, tzinfo=CST), dt.date(2026, 2, 24)),
        (None, None),
        ("", None),
    ],
)
def test_parse_date(value, expected):
    assert as_date(parse_when(value)) == expected


@pytest.mark.parametrize("value", ["下周一", "2019-02-30", "2019", True, 20190311])
def test_parse_date_rejects(value):
    with pytest.raises(ValueError):
        parse_when(value)


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("2026-02-23-写作倒逼专注", (dt.date(2026, 2, 23), "写作倒逼专注")),
        ("2016-11-3-effective-tools", (dt.date(2016, 11, 3), "effective-tools")),
        ("2019-02-1-Enterprise digital transformation", (dt.date(2019, 2, 1), "Enterprise digital transformation")),
        ("2020-02-21-China's advertising industry", (dt.date(2020, 2, 21), "China's advertising industry")),
        ("how-to-write", (None, "how-to-write")),
        ("2019-13-40-bad", (None, "2019-13-40-bad")),
    ],
)
def test_split_file_date(stem, expected):
    assert split_file_date(stem) == expected


def test_front_matter_date_wins_over_file_name(tmp_path):
    write(tmp_path, "_posts/2026-05-21-x.md", post(date="2026-05-22 08:00:00 +0800"))
    assert collect(tmp_path, site=SITE).documents[0].date == dt.date(2026, 5, 22)


# --- URLs -------------------------------------------------------------------------------------

D = dt.date(2016, 11, 3)


@pytest.mark.parametrize(
    ("site", "title", "when", "categories", "expected"),
    [
        (
            SITE,
            "写作倒逼专注",
            D,
            (),
            "https://blog.example.cn/2016/11/03/%E5%86%99%E4%BD%9C%E5%80%92%E9%80%BC%E4%B8%93%E6%B3%A8/",
        ),
        (SITE, "effective-tools", D, (), "https://blog.example.cn/2016/11/03/effective-tools/"),
        (SITE, "the-letter-form -fiji-1", D, (), "https://blog.example.cn/2016/11/03/the-letter-form-fiji-1/"),
        (
            SITE,
            "China's advertising industry",
            D,
            (),
            "https://blog.example.cn/2016/11/03/China's-advertising-industry/",
        ),
        (SITE, "snake_case name", D, (), "https://blog.example.cn/2016/11/03/snake-case-name/"),
        (SITE, "no-date", None, (), "https://blog.example.cn/no-date/"),
        (
            SiteInfo("https://x.cn/blog/", "pretty"),
            "a",
            D,
            ("Product", "AI"),
            "https://x.cn/blog/product/ai/2016/11/03/a/",
        ),
        (SiteInfo("https://x.cn", "date"), "a", D, (), "https://x.cn/2016/11/03/a.html"),
        (SiteInfo("https://x.cn", "/:categories/:title.html"), "a", D, (), "https://x.cn/a.html"),
        (SiteInfo("https://x.cn", "/:year/:i_month/:i_day/:slug"), "My Post", D, (), "https://x.cn/2016/11/3/my-post"),
        (SiteInfo("https://x.cn", "/:categories/:title/"), "a", None, ("blog",), "https://x.cn/blog/a/"),
        (SiteInfo(""), "a", D, (), ""),
    ],
)
def test_expand_permalink(site, title, when, categories, expected):
    assert expand_permalink(site, title=title, when=when, categories=categories) == expected


def test_permalink_date_uses_site_time_zone():
    when = dt.datetime(2026, 2, 24, 3, 38, tzinfo=CST)
    assert (
        expand_permalink(SiteInfo("https://x.cn", timezone="UTC"), title="a", when=when) == "https://x.cn/2026/02/23/a/"
    )
    assert expand_permalink(SiteInfo("https://x.cn"), title="a", when=when) == "https://x.cn/2026/02/24/a/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/案例/一.html", "https://blog.example.cn/%E6%A1%88%E4%BE%8B/%E4%B8%80.html"),
        ("/about/", "https://blog.example.cn/about/"),
        ("img/a b.png", "https://blog.example.cn/img/a%20b.png"),
        ("https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1#rd", "https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1#rd"),
        ("//cdn.example.cn/a.png", "https://cdn.example.cn/a.png"),
        ("", ""),
    ],
)
def test_absolute_url(value, expected):
    assert absolute_url(SITE, value) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"url": "https://mp.weixin.qq.com/s/abc"}, "https://mp.weixin.qq.com/s/abc"),
        ({"permalink": "/关于/"}, "https://blog.example.cn/%E5%85%B3%E4%BA%8E/"),
        ({"link": "/cases/a.html"}, "https://blog.example.cn/cases/a.html"),
        ({"permalink": "/blog/:title/"}, "https://blog.example.cn/blog/x/"),
        ({"slug": "better-name"}, "https://blog.example.cn/2019/03/11/better-name/"),
        ({}, "https://blog.example.cn/2019/03/11/x/"),
    ],
)
def test_post_url(tmp_path, fields, expected):
    write(tmp_path, "_posts/2019-03-11-x.md", post(**fields))
    assert collect(tmp_path, site=SITE).documents[0].url == expected


def test_site_from_jekyll_config(tmp_path):
    write(tmp_path, "_config.yml", "url: https://x.github.io\nbaseurl: /blog\ntimezone: Asia/Shanghai\n")
    write(tmp_path, "_posts/2019-3-11-x.md", post(date="2019-03-11 02:00:00 +0800"))
    result = collect(tmp_path)
    # No `permalink` in _config.yml means Jekyll's "date" style.
    assert result.documents[0].url == "https://x.github.io/blog/2019/03/11/x.html"
    assert result.problems == []


def test_site_argument_wins_over_jekyll_config(tmp_path):
    write(tmp_path, "_config.yml", "url: https://old.example.cn\npermalink: pretty\n")
    write(tmp_path, "_posts/2019-3-11-x.md", post())
    assert collect(tmp_path, site=SITE).documents[0].url == "https://blog.example.cn/2019/03/11/x/"


def test_broken_jekyll_config_is_reported(tmp_path):
    write(tmp_path, "_config.yml", "url: [https://x.cn\n")
    write(tmp_path, "_posts/2019-3-11-x.md", post())
    result = collect(tmp_path)
    assert only(result, "yaml").path == "_config.yml"
    assert only(result, "no-url").path == "_posts/2019-3-11-x.md"


# --- the document's other fields --------------------------------------------------------------


def test_fields_of_a_full_post(tmp_path):
    write(
        tmp_path,
        "_posts/2016-11-3-effective-tools.md",
        "\ufeff---\ntitle: 工欲善其事，必先利其器\ntags: [工具，效率]\nbigimg: /img/path.jpg\n---\n\n"
        "> 用了好的**工具**，才容易做到事半功倍\n\n我在[在行](http://www.zaih.com/m/1)上做行家。![图](/img/a.png)\n",
    )
    (doc,) = collect(tmp_path, site=SITE).documents
    assert doc.id == "_posts/2016-11-3-effective-tools"
    assert (doc.kind, doc.visibility, doc.source) == ("article", "public", "_posts/2016-11-3-effective-tools.md")
    assert doc.title == "工欲善其事，必先利其器"
    assert doc.date == dt.date(2016, 11, 3)
    assert doc.cover == "https://blog.example.cn/img/path.jpg"
    assert doc.body == "用了好的工具，才容易做到事半功倍\n我在在行上做行家。"
    assert doc.summary == "用了好的工具，才容易做到事半功倍 我在在行上做行家。"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"summary": "摘要"}, "摘要"),
        ({"description": "描述 **粗体**"}, "描述 粗体"),
        ({"excerpt": "节选", "subtitle": "副标题"}, "节选"),
        ({"subtitle": "副标题"}, "副标题"),
    ],
)
def test_summary_fields(tmp_path, fields, expected):
    write(tmp_path, "a.md", post(**fields))
    assert collect(tmp_path, site=SITE).documents[0].summary == expected


def test_summary_from_long_body_is_cut_near_120_characters(tmp_path):
    body = "这是一句很长的话，用来测试摘要的长度。" * 20
    write(tmp_path, "a.md", post(body=body))
    summary = collect(tmp_path, site=SITE).documents[0].summary
    assert 60 <= len(summary) <= 121 and summary.endswith("。")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"cover": "https://cdn.example.cn/c.jpg"}, "https://cdn.example.cn/c.jpg"),
        ({"image": "img/a.jpg"}, "https://blog.example.cn/img/a.jpg"),
        ({"image": "{path: /img/p.jpg}"}, "https://blog.example.cn/img/p.jpg"),
        ({"bigimg": ""}, ""),
        ({}, ""),
    ],
)
def test_cover(tmp_path, fields, expected):
    write(tmp_path, "a.md", post(**fields))
    assert collect(tmp_path, site=SITE).documents[0].cover == expected


@pytest.mark.parametrize(
    ("rel", "fields", "expected"),
    [
        ("cases/银行.md", {}, "case"),
        ("cases/银行.md", {"kind": "article"}, "article"),
        ("posts/a.md", {"kind": "case"}, "case"),
        ("posts/a.md", {"kind": "案例"}, "case"),
        ("posts/a.md", {}, "article"),
    ],
)
def test_kind(tmp_path, rel, fields, expected):
    write(tmp_path, rel, post(**fields))
    result = collect(tmp_path, site=SITE)
    assert result.documents[0].kind == expected
    assert result.problems == []


@pytest.mark.parametrize(("value", "expected"), [("internal", "internal"), ("内部", "internal"), ("public", "public")])
def test_visibility(tmp_path, value, expected):
    write(tmp_path, "a.md", post(visibility=value))
    result = collect(tmp_path, site=SITE)
    assert result.documents[0].visibility == expected
    assert result.problems == []


def test_id_from_front_matter(tmp_path):
    write(tmp_path, "a b/c.md", post(id="case-001"))
    write(tmp_path, "a b/d.md", post())
    assert [d.id for d in collect(tmp_path, site=SITE).documents] == ["case-001", "a b/d"]


# --- plain text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("## 小标题 ##\n正文", "小标题\n正文"),
        ("> 引用**加粗**和*斜体*", "引用加粗和斜体"),
        ("见[第一封致股东信](https://xueqiu.com/8689584849/21666424)。", "见第一封致股东信。"),
        ("图片![封面](/img/a.png)之后", "图片之后"),
        ("[![徽章](b.svg)](https://x.cn)文字", "文字"),
        ("网址 https://example.com/a?b=1 之后", "网址 之后"),
        ("- 列表一\n* 列表二\n1. 数字\n- [x] 任务", "列表一\n列表二\n数字\n任务"),
        ("| 表头 | 值 |\n|---|:--:|\n| 甲 | 乙 |", "表头 值\n甲 乙"),
        ("```python\nprint('代码')\n```\n后文", "print('代码')\n后文"),
        ("用 `pip install` 安装", "用 pip install 安装"),
        ('<div class="x">HTML 文本<br/>换行</div>', "HTML 文本\n换行"),
        ("{% include a.html %}正文{{ site.url }}", "正文"),
        ("正文[^1]\n\n[^1]: 注释\n[id]: https://x.cn", "正文"),
        ("参考[链接][id]", "参考链接"),
        ("---\n***\n文字\n====", "文字"),
        ("AT&amp;T 和 &lt;tag&gt; snake_case 2*3*4 \\*星号\\*", "AT&T 和 <tag> snake_case 2*3*4 *星号*"),
    ],
)
def test_markdown_to_text(markdown, expected):
    assert markdown_to_text(markdown) == expected


# --- problems ---------------------------------------------------------------------------------


def test_gbk_file_is_indexed_with_an_encoding_caveat(tmp_path):
    write(tmp_path, "gbk.md", post(title="中文标题", body="中文正文").encode("gbk"))
    result = collect(tmp_path, site=SITE)
    assert result.documents[0].title == "中文标题"
    problem = only(result, "encoding")
    assert (problem.path, problem.skipped) == ("gbk.md", False)
    assert "GBK" in problem.reason and "UTF-8" in problem.reason


def test_utf16_file_is_indexed_with_an_encoding_caveat(tmp_path):
    write(tmp_path, "u16.md", post(title="记事本").encode("utf-16"))
    result = collect(tmp_path, site=SITE)
    assert result.documents[0].title == "记事本"
    assert only(result, "encoding").skipped is False


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "二进制"),
        (b"---\ntitle: \x80\x80\xff\xfe\xff\n---\n", "编码"),
    ],
)
def test_binary_or_undecodable_file_is_skipped(tmp_path, content, words):
    write(tmp_path, "bad.md", content)
    write(tmp_path, "good.md", post())
    result = collect(tmp_path, site=SITE)
    assert [d.id for d in result.documents] == ["good"]
    problem = only(result, "unreadable")
    assert (problem.path, problem.skipped) == ("bad.md", True)
    assert words in problem.reason


def test_dangling_symlink_is_reported_unreadable(tmp_path):
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    assert only(collect(tmp_path, site=SITE), "unreadable").path == "gone.md"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_file_without_permission_is_reported_unreadable(tmp_path):
    path = write(tmp_path, "secret.md", post())
    path.chmod(0)
    try:
        problem = only(collect(tmp_path, site=SITE), "unreadable")
    finally:
        path.chmod(0o644)
    assert "权限" in problem.reason


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("---\ntitle: 标题\ntags: [品牌, 数字化\n---\n正文", "第 3 行"),
        ("---\ntitle: 标题：副标题: 又一个\n---\n正文", "冒号"),
        ("---\ntitle: 没有结尾\n\n正文", "结尾"),
        ("---\n- 列表\n- 不是字典\n---\n正文", "键: 值"),
    ],
)
def test_broken_front_matter_is_skipped(tmp_path, content, words):
    write(tmp_path, "broken.md", content)
    result = collect(tmp_path, site=SITE)
    assert result.documents == []
    problem = only(result, "yaml")
    assert problem.skipped and problem.path == "broken.md"
    assert words in problem.reason


def test_post_without_body_or_summary_is_skipped(tmp_path):
    write(tmp_path, "empty.md", "---\ntitle: 空\n---\n\n<!-- 待写 -->\n")
    write(tmp_path, "summary-only.md", "---\ntitle: 只有摘要\nsummary: 一句话\n---\n")
    result = collect(tmp_path, site=SITE)
    assert [d.title for d in result.documents] == ["只有摘要"]
    assert only(result, "empty").path == "empty.md"


def test_duplicate_id_keeps_the_first(tmp_path):
    write(tmp_path, "a.md", post(title="第一篇", id="same"))
    write(tmp_path, "b.md", post(title="第二篇", id="same"))
    result = collect(tmp_path, site=SITE)
    assert [d.title for d in result.documents] == ["第一篇"]
    problem = only(result, "duplicate")
    assert problem.path == "b.md" and "a.md" in problem.reason and problem.skipped


def test_missing_title_falls_back_to_first_heading(tmp_path):
    write(tmp_path, "a.md", "---\ntags: [x]\n---\n# 真正的标题\n正文")
    write(tmp_path, "b.md", "---\ntags: [x]\n---\n正文")
    result = collect(tmp_path, site=SITE)
    assert [d.title for d in result.documents] == ["真正的标题", "b"]
    assert [p.category for p in result.problems] == ["missing-field", "missing-field"]
    assert not any(p.skipped for p in result.problems)


@pytest.mark.parametrize(
    ("fields", "words"),
    [({"kind": "博客"}, "kind"), ({"date": "下周一"}, "date")],
)
def test_invalid_field_is_a_caveat(tmp_path, fields, words):
    write(tmp_path, "_posts/2019-03-11-a.md", post(**fields))
    result = collect(tmp_path, site=SITE)
    (doc,) = result.documents
    assert (doc.kind, doc.date) == ("article", dt.date(2019, 3, 11))
    problem = only(result, "invalid-field")
    assert words in problem.reason and not problem.skipped


@pytest.mark.parametrize("value", ["secret", "员工", "private"])
def test_unknown_visibility_fails_closed(tmp_path, value):
    write(tmp_path, "a.md", post(visibility=value))
    result = collect(tmp_path, site=SITE)
    assert result.documents[0].visibility == "internal"
    problem = only(result, "visibility")
    assert value in problem.reason and not problem.skipped


def test_unpublished_post_is_skipped(tmp_path):
    write(tmp_path, "a.md", post(published="false"))
    result = collect(tmp_path, site=SITE)
    assert result.documents == []
    assert only(result, "visibility").skipped


def test_no_site_url_gives_empty_url_with_a_caveat(tmp_path):
    write(tmp_path, "_posts/2019-03-11-a.md", post())
    write(tmp_path, "_posts/2019-03-12-b.md", post(url="https://mp.weixin.qq.com/s/b"))
    result = collect(tmp_path)
    assert [d.url for d in result.documents] == ["", "https://mp.weixin.qq.com/s/b"]
    problem = only(result, "no-url")
    assert problem.path == "_posts/2019-03-11-a.md" and not problem.skipped


def test_no_front_matter_uses_first_heading(tmp_path):
    write(tmp_path, "notes/2019-3-1-随笔.md", "# 一篇随笔\n\n没有 front matter 的正文。")
    write(tmp_path, "notes/plain.md", "只有正文。")
    result = collect(tmp_path, site=SITE)
    assert [(d.title, d.date) for d in result.documents] == [("一篇随笔", dt.date(2019, 3, 1)), ("plain", None)]
    assert [p.category for p in result.problems] == ["no-front-matter", "no-front-matter"]
    assert not any(p.skipped for p in result.problems)


def test_commented_out_front_matter_is_still_read(tmp_path):
    write(tmp_path, "_posts/2015-03-02-how-to-write.md", "# ---\ntitle: 如何写作\ntags: [总结]\n---\n\n## 初心\n正文")
    result = collect(tmp_path, site=SITE)
    (doc,) = result.documents
    assert (doc.title, doc.tags, doc.body) == ("如何写作", ("总结",), "初心\n正文")
    assert "# ---" in only(result, "no-front-matter").reason


def test_walk_skips_hidden_backup_and_jekyll_files(tmp_path):
    for rel in [
        ".hidden.md",
        ".git/x.md",
        "_site/a.md",
        "_drafts/a.md",
        "_includes/a.html",
        "_layouts/a.html",
        "node_modules/p/README.md",
        "a.md~",
        "#a.md#",
        ".#a.md",
        ".~lock.a.md#",
        "urls.txt",
        "notes.txt",
        "_config.yml",
    ]:
        write(tmp_path, rel, post())
    write(tmp_path, "b/z.md", post())
    write(tmp_path, "a.markdown", post())
    write(tmp_path, "B.MD", post())
    result = collect(tmp_path, site=SITE)
    assert [d.source for d in result.documents] == ["B.MD", "a.markdown", "b/z.md"]
    assert result.problems == []


def test_missing_content_dir_is_one_problem(tmp_path):
    result = collect(tmp_path / "nope", site=SITE)
    assert result.documents == [] and only(result, "unreadable")


# --- the real corpora -------------------------------------------------------------------------

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")


@needs_corpus
def test_actionthinker_corpus():
    result = collect(CORPUS / "actionthinker", site=SiteInfo("https://actionthinker.github.io"))
    assert len(result.documents) == 77
    assert result.problems == []
    by_name = {Path(d.source).name: d for d in result.documents}
    social = by_name["2019-03-11-how-to-plan-social-media-strategy-next.md"]
    assert social.tags == ("双微一抖", "社交媒体")
    assert social.date == dt.date(2019, 3, 11)
    assert by_name["2016-11-3-effective-tools.md"].date == dt.date(2016, 11, 3)
    assert all(d.url.startswith("https://actionthinker.github.io/") for d in result.documents)
    assert all(d.title and d.body and d.date for d in result.documents)


@needs_corpus
def test_cnfeat_corpus():
    result = collect(CORPUS / "cnfeat", site=SiteInfo("https://cnfeat.github.io"))
    assert len(result.documents) == 646
    assert {p.category for p in result.problems} <= {"no-front-matter"}
    assert len(result.problems) <= 1
    assert all(d.url.startswith("https://cnfeat.github.io/") and d.title for d in result.documents)
