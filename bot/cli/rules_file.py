"""The rules file (``config/rules.yaml``): written by ``python -m bot rules export``, read by ``import``.

Every entry is checked before anything is stored, with the same checks as a rule made in chat or
on the dashboard; a file with any problem is refused whole, each problem named in Chinese.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import yaml

from bot.teaching import FILE_CREATOR, MAX_RULES, PIN, REWRITE, Rule, TeachingError, new_pin, new_rewrite
from config import clock, yaml_text

HEADER = """\
# 案例通「教它」的规则：python -m bot rules export 生成，修改后用 python -m bot rules import 导入。
# rewrites（同义）：搜索 query 时也搜索 also。
# pins（置顶）：搜索 query 时文档 doc 排第一（doc 是文档 id；title 只是备注）。内部文档只有员工看得到。
# by：谁建的（dashboard = 管理后台，file = 规则文件，其余是管理员的 openid）；at：建立的时间（北京时间）。
"""
FIELDS = {REWRITE: {"query", "also", "by", "at"}, PIN: {"query", "doc", "title", "by", "at"}}
SECTIONS = {"rewrites": REWRITE, "pins": PIN}


class RulesFileError(ValueError):
    """A rules file that cannot be imported; ``problems`` are the Chinese lines to show."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


def dump(rules: list[Rule], tz: dt.tzinfo | None = None) -> str:
    """The rules file for ``rules`` (oldest first, so a file under version control grows at the end).

    Times are written with the offset of ``tz`` (SITE_TIMEZONE; the default zone when None).
    """
    tz = tz or clock.zone()
    ordered = sorted(rules, key=lambda r: (r.at, r.id))
    data = {
        "version": 1,
        "rewrites": [
            {"query": r.query, "also": r.target, "by": r.by, "at": _when(r.at, tz)}
            for r in ordered
            if r.type == REWRITE
        ],
        "pins": [
            {"query": r.query, "doc": r.doc, "title": r.title, "by": r.by, "at": _when(r.at, tz)}
            for r in ordered
            if r.type == PIN
        ],
    }
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def load(text: str, now: float | None = None, tz: dt.tzinfo | None = None) -> list[Rule]:
    """The rules in a rules file (times without an offset are in ``tz``); raise RulesFileError naming every problem."""
    tz = tz or clock.zone()
    try:
        data = yaml_text.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else "文件"
        raise RulesFileError([f"{where}不是有效的 YAML（{getattr(exc, 'problem', None) or exc}）"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RulesFileError(["文件应当由 rewrites:（同义）和 pins:（置顶）两部分组成"])
    extra = [k for k in data if k not in (*SECTIONS, "version")]
    problems = [f"不认识的部分「{k}」（只能有 version、rewrites、pins）" for k in extra]
    if data.get("version", 1) != 1:
        problems.append(f"version 应为 1，文件里是 {data.get('version')!r}")
    rules: list[Rule] = []
    for section, kind in SECTIONS.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            problems.append(f"{section} 应当是列表（每条以「- 」开头）")
            continue
        for i, entry in enumerate(entries, 1):
            try:
                rules.append(_rule(kind, entry, now, tz))
            except TeachingError as exc:
                problems.append(f"{section} 第 {i} 条：{exc}")
    if len({r.id for r in rules}) > MAX_RULES:
        problems.append(f"规则太多：最多 {MAX_RULES} 条")
    if problems:
        raise RulesFileError(problems)
    return rules


def _rule(kind: str, entry: Any, now: float | None, tz: dt.tzinfo) -> Rule:
    if not isinstance(entry, dict):
        raise TeachingError("应当是「键: 值」的一组（query、" + ("also" if kind == REWRITE else "doc") + "）")
    unknown = sorted(str(k) for k in entry if k not in FIELDS[kind])
    if unknown:
        raise TeachingError(f"不认识的键 {', '.join(unknown)}")
    texts = {k: entry.get(k) for k in FIELDS[kind] - {"at"}}
    for key, value in texts.items():
        if value is not None and not isinstance(value, str | int | float):
            raise TeachingError(f"{key} 应当是文字")
    query = str(texts.get("query") or "")
    if not query.strip():
        raise TeachingError("缺少 query（搜索词）")
    by = str(texts.get("by") or FILE_CREATOR)
    at = _parse_when(entry.get("at"), now, tz)
    if kind == REWRITE:
        also = str(texts.get("also") or "")
        if not also.strip():
            raise TeachingError("缺少 also（也搜索的词）")
        return new_rewrite(query, also, by=by, now=at)
    doc = str(texts.get("doc") or "").strip()
    if not doc:
        raise TeachingError("缺少 doc（文档 id）")
    return new_pin(query, doc, str(texts.get("title") or ""), by=by, now=at)


def _when(at: int, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")


def _parse_when(value: Any, now: float | None, tz: dt.tzinfo) -> float:
    if value is None or value == "":
        return time.time() if now is None else now
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dt.datetime | str):
        try:
            moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        except ValueError:
            raise TeachingError(f"at「{value}」不是时间（例如 2026-03-01T14:05:00+08:00）") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp()
    raise TeachingError(f"at「{value}」不是时间（例如 2026-03-01T14:05:00+08:00）")
