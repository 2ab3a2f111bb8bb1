"""Fetch the pages named in a URL list (WeChat articles and ordinary sites) into documents."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urljoin, urlparse

from indexer.document import Document, Problem, SourceResult
from indexer.fetch import FetchError, FetchPolicy, UnsafeAddress, fetch
from indexer.sources.decoding import Unreadable, read_text
from indexer.sources.fields import split_tags, summarize
from indexer.sources.html_pages import parse_page

MAX_WORKERS = 8
_WORDS = {
    "case": ("kind", "case"),
    "案例": ("kind", "case"),
    "article": ("kind", "article"),
    "文章": ("kind", "article"),
    "internal": ("visibility", "internal"),
    "内部": ("visibility", "internal"),
    "public": ("visibility", "public"),
    "公开": ("visibility", "public"),
}


@dataclass(frozen=True)
class UrlEntry:
    """One line of the URL list."""

    url: str
    kind: str = "article"
    visibility: str = "public"


def parse_url_list(text: str, label: str) -> tuple[list[UrlEntry], list[Problem]]:
    """Read `URL [case] [internal]` lines, skipping `#` comments and repeated URLs."""
    entries: list[UrlEntry] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(text.split("\n"), start=1):
        words = raw.split()
        if "#" in (w[0] for w in words):  # a word starting with # begins a comment
            words = words[: [w[0] for w in words].index("#")]
        if not words:
            continue
        url, options = words[0], {"kind": "article", "visibility": "public"}
        if not re.match(r"^https?://[^/\s]+", url, re.I):
            problems.append(Problem(label, f"第 {lineno} 行“{url}”不是 http(s) 链接，已跳过", "format"))
            continue
        for word in words[1:]:
            if word.lower() not in _WORDS:
                reason = f"第 {lineno} 行的“{word}”不认识（可写 case、internal），已忽略"
                problems.append(Problem(label, reason, "format", skipped=False))
                continue
            field, value = _WORDS[word.lower()]
            options[field] = value
        if url in seen:
            problems.append(Problem(url, f"{label} 第 {lineno} 行重复列出了这个链接，已跳过", "duplicate"))
            continue
        seen.add(url)
        entries.append(UrlEntry(url, **options))
    return entries, problems


def read_url_list(path: Path, *, timeout: float = 10.0, policy: FetchPolicy | None = None) -> SourceResult:
    """Fetch every page listed in ``path`` (at most 8 at a time) and report the failures."""
    result = SourceResult()
    label = str(path)
    try:
        text, caveats = read_text(path, label)
    except Unreadable as exc:
        result.problems.append(Problem(label, str(exc), "unreadable"))
        return result
    entries, problems = parse_url_list(text, label)
    result.problems.extend(caveats + problems)
    if not entries:
        return result
    fetch_one = partial(fetch_document, timeout=timeout, policy=policy or FetchPolicy())
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(entries))) as pool:
        for outcome in pool.map(fetch_one, entries):  # keeps file order
            if isinstance(outcome, Document):
                result.documents.append(outcome)
            else:
                result.problems.append(outcome)
    return result


def fetch_document(entry: UrlEntry, *, timeout: float, policy: FetchPolicy) -> Document | Problem:
    """Fetch one listed page safely (``indexer.fetch``); a Problem (category "fetch") explains any failure."""
    try:
        fetched = fetch(entry.url, policy, timeout=timeout)
        page = parse_page(fetched.body, encoding=fetched.charset)
    except FetchError as exc:
        return Problem(entry.url, str(exc), "unsafe" if isinstance(exc, UnsafeAddress) else "fetch")
    if urlparse(entry.url).hostname == "mp.weixin.qq.com" and not page.wechat_body:
        return Problem(entry.url, "微信文章页没有正文（文章可能已删除，或触发了微信的访问验证）", "fetch")
    if not page.text:
        return Problem(entry.url, "页面没有正文文字", "fetch")
    return Document(
        id="url:" + entry.url,
        kind=entry.kind,
        title=page.title or entry.url,
        url=entry.url,  # what the admin listed is known to open; og:url may carry tracking params
        summary=page.description or summarize(page.text),
        body=page.text,
        tags=split_tags(page.keywords),
        date=page.date,
        visibility=entry.visibility,
        cover=urljoin(entry.url, page.cover) if page.cover else "",
        source=entry.url,
    )
