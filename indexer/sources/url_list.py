"""Fetch the pages named in a URL list (WeChat articles and ordinary sites) into documents."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlparse

import requests

from indexer.document import Document, Problem, SourceResult
from indexer.sources.decoding import Unreadable, read_text
from indexer.sources.fields import split_tags, summarize
from indexer.sources.html_pages import parse_page

# mp.weixin.qq.com answers non-browser agents with a verification page, so look like a browser.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 CaseLink/0.1"
)
MAX_WORKERS = 8
MAX_BYTES = 8 * 1024 * 1024
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
_STATUS_HINTS = {403: "（禁止访问）", 404: "（页面不存在）", 410: "（页面已删除）", 429: "（请求太频繁）"}


@dataclass(frozen=True)
class UrlEntry:
    """One line of the URL list."""

    url: str
    kind: str = "article"
    visibility: str = "public"


class FetchError(Exception):
    """The page could not be used; the message is the editor-facing reason."""


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


def read_url_list(path: Path, *, timeout: float = 10.0) -> SourceResult:
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
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(entries))) as pool:
        for outcome in pool.map(lambda e: fetch_document(e, timeout=timeout), entries):  # keeps file order
            if isinstance(outcome, Document):
                result.documents.append(outcome)
            else:
                result.problems.append(outcome)
    return result


def fetch_document(entry: UrlEntry, *, timeout: float) -> Document | Problem:
    """Fetch one listed page; a Problem (category "fetch") explains any failure."""
    try:
        data, encoding = fetch_html(entry.url, timeout=timeout)
        page = parse_page(data, encoding=encoding)
    except FetchError as exc:
        return Problem(entry.url, str(exc), "fetch")
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


def fetch_html(url: str, *, timeout: float) -> tuple[bytes, str | None]:
    """Download an HTML page within ``timeout`` seconds; return its bytes and declared charset."""
    deadline = time.monotonic() + timeout
    try:
        with requests.get(url, headers={"User-Agent": USER_AGENT}, timeout=timeout, stream=True) as resp:
            if resp.status_code != 200:
                raise FetchError(f"网页返回 HTTP {resp.status_code}{_STATUS_HINTS.get(resp.status_code, '')}")
            content_type = resp.headers.get("Content-Type", "")
            if "html" not in content_type.lower():
                raise FetchError(f"不是网页（Content-Type: {content_type or '未声明'}）")
            chunks, size = [], 0
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(f"网页超过 {MAX_BYTES // 1024 // 1024} MB，已放弃")
                if time.monotonic() > deadline:
                    raise FetchError(f"{timeout:g} 秒内没有下载完（超时）")
                chunks.append(chunk)
    except requests.Timeout:
        raise FetchError(f"{timeout:g} 秒内没有响应（超时）") from None
    except requests.ConnectionError as exc:
        # requests reports a body that stalls mid-download as a ConnectionError wrapping a read timeout.
        if "timed out" in str(exc).lower():
            raise FetchError(f"{timeout:g} 秒内没有下载完（超时）") from None
        raise FetchError(f"无法连接：{str(exc)[:200]}") from None
    except requests.RequestException as exc:
        raise FetchError(f"请求失败：{exc}") from None
    match = re.search(r"charset=([\w-]+)", content_type, re.I)
    return b"".join(chunks), match.group(1) if match else None
