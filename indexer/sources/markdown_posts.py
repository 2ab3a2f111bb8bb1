"""Read one Markdown post (Jekyll/Hexo/Hugo front matter) into a Document."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

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
from indexer.sources.markdown_text import markdown_to_text, tidy
from indexer.sources.site import SiteInfo, absolute_url, expand_permalink

_HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t#]*$", re.M)
_PLACEHOLDER = re.compile(r":[a-z_]+")


def read_markdown(path: Path, rel: str, site: SiteInfo) -> SourceResult:
    """Turn the post at ``path`` (``rel`` to the content dir) into a document and its problems."""
    result = SourceResult()
    problems = result.problems
    try:
        text, caveats = read_text(path, rel)
        meta, body, commented = split_front_matter(text)
    except Unreadable as exc:
        problems.append(Problem(rel, str(exc), "unreadable"))
        return result
    except FrontMatterError as exc:
        problems.append(Problem(rel, str(exc), "yaml"))
        return result
    problems.extend(caveats)
    if commented:
        reason = "front matter 的第一行写成了“# ---”，网站不会把它当 front matter；已照常读取，请改成 ---"
        problems.append(Problem(rel, reason, "no-front-matter", skipped=False))
    elif meta is None:
        reason = "没有 front matter（开头的 --- 块），已用第一个标题作标题；建议补上 title、date、tags"
        problems.append(Problem(rel, reason, "no-front-matter", skipped=False))
    meta = meta or {}
    if meta.get("published") is False:
        reason = "写了 published: false，网站不会发布这篇，已跳过（要收录请删掉这一行）"
        problems.append(Problem(rel, reason, "visibility"))
        return result

    stem = PurePosixPath(rel).stem
    file_date, file_slug = split_file_date(stem)
    body_text = markdown_to_text(body)
    title = first_text(meta, ("title",))
    if not title:
        title = _first_heading(body) or stem
        if meta:
            problems.append(Problem(rel, f"front matter 没有 title，已用“{title}”作标题", "missing-field", False))
    when = _post_when(meta, file_date, rel, problems)
    summary = tidy(markdown_to_text(first_text(meta, ("summary", "description", "excerpt", "subtitle"))))
    if not body_text and not summary:
        problems.append(Problem(rel, "正文是空的，也没有 summary/description，已跳过", "empty"))
        return result

    in_cases = "cases" in PurePosixPath(rel).parts[:-1]
    kind, kind_ok = read_kind(meta.get("kind"), "case" if in_cases else "article")
    if not kind_ok:
        reason = f"kind “{meta.get('kind')}” 无效（只能是 article 或 case），已按 {kind} 收录"
        problems.append(Problem(rel, reason, "invalid-field", skipped=False))
    visibility, visibility_ok = read_visibility(meta.get("visibility"))
    if not visibility_ok:
        reason = f"visibility “{meta.get('visibility')}” 无效（只能是 public 或 internal），已按 internal 处理"
        problems.append(Problem(rel, reason, "visibility", skipped=False))

    url = _post_url(meta, site, slug=str(meta.get("slug") or file_slug), when=when)
    if not url:
        reason = "没有分享链接：front matter 没写 url，也没有设置站点地址（SITE_URL 或 _config.yml 的 url）"
        problems.append(Problem(rel, reason, "no-url", skipped=False))
    doc_id = first_text(meta, ("id",)) or str(PurePosixPath(rel).with_suffix(""))
    result.documents.append(
        Document(
            id=doc_id,
            kind=kind,
            title=title,
            url=url,
            summary=summary or summarize(body_text),
            body=body_text,
            tags=split_tags(meta.get("tags"), meta.get("tag"), meta.get("categories"), meta.get("category")),
            date=as_date(when),
            visibility=visibility,
            cover=absolute_url(site, _cover(meta)),
            source=rel,
        )
    )
    return result


def _first_heading(body: str) -> str:
    for m in _HEADING.finditer(body):
        text = markdown_to_text(m.group(1))
        if re.search(r"\w", text):  # skip rules written as headings, such as "# ---"
            return text
    return ""


def _post_when(meta: dict, file_date, rel: str, problems: list[Problem]):
    try:
        when = parse_when(meta.get("date"))
    except ValueError as exc:
        problems.append(Problem(rel, f"date 无效：{exc}；已改用文件名里的日期", "invalid-field", skipped=False))
        when = None
    return when if when is not None else file_date


def _post_url(meta: dict, site: SiteInfo, *, slug: str, when) -> str:
    given = first_text(meta, ("url", "permalink", "link"))
    categories = _jekyll_categories(meta)
    if given and not given.lower().startswith(("http://", "https://", "//")) and _PLACEHOLDER.search(given):
        return expand_permalink(site, title=slug, when=when, categories=categories, pattern=given)
    if given:
        return absolute_url(site, given)
    return expand_permalink(site, title=slug, when=when, categories=categories)


def _jekyll_categories(meta: dict) -> tuple[str, ...]:
    # Jekyll reads a categories string as a space-separated list and lowercases each for the URL.
    out: list[str] = []
    for key in ("category", "categories"):
        value = meta.get(key)
        if isinstance(value, str):
            out.extend(value.split())
        elif isinstance(value, list):
            out.extend(str(v) for v in value if v is not None)
    return tuple(dict.fromkeys(out))


def _cover(meta: dict) -> str:
    for key in ("cover", "image", "bigimg"):
        value = meta.get(key)
        if isinstance(value, dict):  # themes nest it: image: {path: ..., feature: ...}
            value = first_text(value, ("path", "url", "src", "feature"))
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
