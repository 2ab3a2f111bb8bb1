"""Read case catalogs: YAML (`cases:` list or a top-level list) and CSV, one case a row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from config.yaml_text import SAFE_LOADER
from indexer.document import Document, Problem, SourceResult
from indexer.sources.decoding import Unreadable, read_text
from indexer.sources.fields import as_date, parse_when, read_visibility, split_tags, summarize
from indexer.sources.front_matter import explain_yaml
from indexer.sources.markdown_text import tidy
from indexer.sources.site import SiteInfo, absolute_url

COLUMNS = ("id", "title", "client", "industry", "tags", "url", "summary", "body", "date", "visibility", "cover")
# Editors who build the sheet in Excel tend to write the headers in Chinese.
ALIASES = {
    "编号": "id",
    "标题": "title",
    "客户": "client",
    "行业": "industry",
    "标签": "tags",
    "链接": "url",
    "摘要": "summary",
    "正文": "body",
    "内容": "body",
    "日期": "date",
    "可见范围": "visibility",
    "封面": "cover",
}
_LOADER = SAFE_LOADER  # libyaml when available (config.yaml_text)

Row = tuple[int, str, dict]  # (row number used in ids, label for reasons, fields)


def read_catalog(path: Path, rel: str, site: SiteInfo) -> SourceResult:
    """Turn every row of the catalog at ``path`` into a case document."""
    result = SourceResult()
    try:
        text, caveats = read_text(path, rel)
    except Unreadable as exc:
        result.problems.append(Problem(rel, str(exc), "unreadable"))
        return result
    result.problems.extend(caveats)
    parse = _csv_rows if rel.lower().endswith(".csv") else _yaml_rows
    rows = parse(text, rel, result.problems)
    for number, label, fields in rows:
        doc = _case(fields, rel, number, label, site, result.problems)
        if doc is not None:
            result.documents.append(doc)
    return result


def _key(name: object) -> str:
    key = str(name).strip().lstrip("\ufeff").strip().lower()
    return ALIASES.get(key, key)


def _csv_rows(text: str, rel: str, problems: list[Problem]) -> list[Row]:
    records = csv.reader(io.StringIO(text))
    try:
        header = [_key(h) for h in next(records, [])]
        if "title" not in header:
            reason = f"表头没有 title 列（应为 {','.join(COLUMNS)}），整个文件已跳过"
            problems.append(Problem(rel, reason, "missing-field"))
            return []
        rows = []
        # Numbered like a spreadsheet: the header is row 1, so these match what Excel shows.
        for number, record in enumerate(records, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                reason = f"第 {number} 行有 {len(record)} 列，表头有 {len(header)} 列（值里有逗号时请加引号），已跳过"
                problems.append(Problem(rel, reason, "format"))
                continue
            rows.append((number, f"第 {number} 行", dict(zip(header, record, strict=True))))
        return rows
    except csv.Error as exc:
        problems.append(Problem(rel, f"CSV 格式错误：{exc}", "format"))
        return []


def _yaml_rows(text: str, rel: str, problems: list[Problem]) -> list[Row]:
    try:
        data = yaml.load(text, Loader=_LOADER)  # _LOADER is a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        where = f"第 {mark.line + 1} 行，" if mark is not None else ""
        problems.append(Problem(rel, f"YAML 无法解析：{where}{explain_yaml(exc)}", "yaml"))
        return []
    except yaml.YAMLError as exc:
        problems.append(Problem(rel, f"YAML 无法解析：{exc}", "yaml"))
        return []
    if data is None:
        problems.append(Problem(rel, "案例库文件是空的", "empty"))
        return []
    items = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(items, list):
        problems.append(Problem(rel, "不是案例库格式：应为 “cases:” 下的列表，或顶层就是列表", "format"))
        return []
    rows = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(rel, f"第 {number} 条不是“键: 值”的格式，已跳过", "format"))
            continue
        rows.append((number, f"第 {number} 条", {_key(k): v for k, v in item.items()}))
    return rows


def _cell(value: object) -> str:
    if value is None or isinstance(value, (dict, list, tuple)):
        return ""
    return str(value).strip()


def _case(fields: dict, rel: str, number: int, label: str, site: SiteInfo, problems: list[Problem]) -> Document | None:
    title = _cell(fields.get("title"))
    if not title:
        named = f"（id: {_cell(fields.get('id'))}）" if _cell(fields.get("id")) else ""
        problems.append(Problem(rel, f"{label}{named}缺少标题（title），已跳过", "missing-field"))
        return None
    client, industry, body = _cell(fields.get("client")), _cell(fields.get("industry")), _cell(fields.get("body"))
    # Client and industry go into the text too, so "银行 案例" finds cases whose industry is 银行.
    text = tidy("\n".join([body, f"客户：{client}" if client else "", f"行业：{industry}" if industry else ""]))
    try:
        when = as_date(parse_when(fields.get("date")))
    except ValueError as exc:
        problems.append(Problem(rel, f"{label}的 date 无效：{exc}", "invalid-field", skipped=False))
        when = None
    visibility, ok = read_visibility(fields.get("visibility"))
    if not ok:
        reason = f"{label}的 visibility “{fields.get('visibility')}” 无效，已按 internal 处理，客户搜不到"
        problems.append(Problem(rel, reason, "visibility", skipped=False))
    url = absolute_url(site, _cell(fields.get("url")))
    if not url:
        problems.append(Problem(rel, f"{label}（{title}）没有可用的链接，分享时只有文字", "no-url", skipped=False))
    return Document(
        id=_cell(fields.get("id")) or f"{rel}#{number}",
        kind="case",
        title=title,
        url=url,
        summary=_cell(fields.get("summary")) or summarize(body),
        body=text,
        tags=split_tags(fields.get("tags"), [client], [industry]),
        date=when,
        visibility=visibility,
        cover=absolute_url(site, _cell(fields.get("cover"))),
        source=f"{rel}#{number}",
    )
