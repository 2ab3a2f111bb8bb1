"""Read HTML (files, fetched pages, WeChat article bodies): title, description, cover, text."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from config import clock
from indexer.document import Document, Problem, SourceResult
from indexer.sources.decoding import Unreadable, read_text
from indexer.sources.fields import (
    as_date,
    first_text,
    parse_when,
    read_kind,
    read_visibility,
    split_file_date,
    split_tags,
    summarize,
)
from indexer.sources.front_matter import FrontMatterError, split_front_matter
from indexer.sources.markdown_text import tidy
from indexer.sources.site import SiteInfo, absolute_url, escape_path

_NOISE = ("script", "style", "noscript", "template", "svg", "nav", "iframe")
_CHROME = ("header", "footer", "aside")  # site furniture, dropped only when we fall back to <body>
_BLOCKS = ("p", "div", "section", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table")
_LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_WECHAT_TIME = re.compile(r"""var\s+ct\s*=\s*["'](\d{9,11})["']""")


@dataclass(frozen=True)
class Page:
    """What a page says about itself, and its readable text."""

    title: str = ""
    description: str = ""
    cover: str = ""
    url: str = ""
    keywords: str = ""
    text: str = ""
    date: dt.date | None = None
    wechat_body: bool = False  # the page had WeChat's `#js_content` article container


def parse_page(markup: str | bytes, *, encoding: str | None = None) -> Page:
    """Extract title, description, cover, canonical URL, date and body text from an HTML page."""
    kwargs = {"from_encoding": encoding} if isinstance(markup, bytes) and encoding else {}
    soup = BeautifulSoup(markup, "html.parser", **kwargs)
    metas: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = str(meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = str(meta.get("content") or "").strip()
        if key and content:
            metas.setdefault(key, content)
    canonical = soup.find("link", rel="canonical")
    title_tag = soup.title.get_text(" ", strip=True) if soup.title else ""
    root = soup.select_one("#js_content") or soup.find("article") or soup.find("main")
    wechat_body = root is not None and root.get("id") == "js_content"
    h1 = soup.find("h1")
    raw = markup if isinstance(markup, str) else markup.decode("utf-8", "ignore")
    date = _page_date(metas, raw[:300_000])  # before element_text drops the scripts holding WeChat's date
    title = metas.get("og:title") or title_tag or (h1.get_text(" ", strip=True) if h1 else "")
    return Page(
        title=title,
        description=metas.get("og:description") or metas.get("description", ""),
        cover=metas.get("og:image") or metas.get("twitter:image", ""),
        url=metas.get("og:url") or (str(canonical.get("href") or "") if isinstance(canonical, Tag) else ""),
        keywords=metas.get("keywords", ""),
        text=element_text(root if root is not None else soup.body or soup, chrome=root is None),
        date=date,
        wechat_body=wechat_body,
    )


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment (a WeChat article's `content`, say)."""
    if "<" not in markup:  # plain text; bs4 would also warn that a bare URL "looks like a locator"
        return tidy(html.unescape(markup))
    return element_text(BeautifulSoup(markup, "html.parser"), chrome=False)


def element_text(root, *, chrome: bool) -> str:
    """Text of ``root`` without scripts, styles and navigation, one line per block."""
    for tag in root.find_all((*_NOISE, *_CHROME) if chrome else _NOISE):
        tag.decompose()
    for br in root.find_all("br"):
        br.replace_with("\n")
    for block in root.find_all(_BLOCKS):
        block.append("\n")  # inline tags stay glued, so Chinese phrases are not split mid-word
    return tidy(_LIQUID.sub("", root.get_text()))


def _page_date(metas: dict[str, str], raw: str) -> dt.date | None:
    for key in ("article:published_time", "og:article:published_time", "datepublished", "pubdate"):
        try:
            when = parse_when(metas.get(key, "")[:25] or None)
        except ValueError:
            continue
        if when is not None:
            return as_date(when)
    m = _WECHAT_TIME.search(raw)  # WeChat pages carry the publish time only in a script variable
    return dt.datetime.fromtimestamp(int(m[1]), clock.zone()).date() if m else None


def read_html(path: Path, rel: str, site: SiteInfo) -> SourceResult:
    """Turn the HTML file at ``path`` (``rel`` to the content dir) into a document."""
    result = SourceResult()
    try:
        text, caveats = read_text(path, rel)
        meta, markup, _ = split_front_matter(text)  # Jekyll pages may carry front matter too
    except (Unreadable, FrontMatterError) as exc:
        category = "yaml" if isinstance(exc, FrontMatterError) else "unreadable"
        result.problems.append(Problem(rel, str(exc), category))
        return result
    result.problems.extend(caveats)
    meta = meta or {}
    page = parse_page(markup)
    if not page.text:
        result.problems.append(Problem(rel, "网页里没有正文文字，已跳过", "empty"))
        return result
    stem = PurePosixPath(rel).stem
    title = first_text(meta, ("title",)) or page.title
    if not title:
        title = stem
        reason = f"网页没有标题（og:title、<title> 或 <h1>），已用“{stem}”作标题"
        result.problems.append(Problem(rel, reason, "missing-field", skipped=False))
    url = _file_url(rel, site, page, meta)
    if not url:
        reason = "没有分享链接：网页里没有 og:url 或 canonical，也没有设置站点地址（SITE_URL）"
        result.problems.append(Problem(rel, reason, "no-url", skipped=False))
    kind, _ = read_kind(meta.get("kind"), "case" if "cases" in PurePosixPath(rel).parts[:-1] else "article")
    visibility, ok = read_visibility(meta.get("visibility"))
    if not ok:
        reason = f"visibility “{meta.get('visibility')}” 无效，已按 internal 处理，客户搜不到"
        result.problems.append(Problem(rel, reason, "visibility", skipped=False))
    try:
        when = as_date(parse_when(meta.get("date"))) or page.date
    except ValueError as exc:
        result.problems.append(Problem(rel, f"date 无效：{exc}", "invalid-field", skipped=False))
        when = page.date
    cover = urljoin(url, page.cover) if url and page.cover else absolute_url(site, page.cover)
    result.documents.append(
        Document(
            id=first_text(meta, ("id",)) or str(PurePosixPath(rel).with_suffix("")),
            kind=kind,
            title=title,
            url=url,
            summary=first_text(meta, ("summary", "description")) or page.description or summarize(page.text),
            body=page.text,
            tags=split_tags(meta.get("tags"), meta.get("categories"), page.keywords),
            date=when or split_file_date(stem)[0],
            visibility=visibility,
            cover=cover,
            source=rel,
        )
    )
    return result


def _file_url(rel: str, site: SiteInfo, page: Page, meta: dict) -> str:
    if page.url.lower().startswith(("http://", "https://")):
        return page.url
    given = first_text(meta, ("url", "permalink")) or page.url
    if given:
        return absolute_url(site, given)
    if not site.root:
        return ""
    path = "/" + rel
    if PurePosixPath(rel).name in ("index.html", "index.htm"):
        path = path.rsplit("/", 1)[0] + "/"
    return site.root + escape_path(path)
