"""Rules for whole groups of documents (``config/content_rules.yaml``), applied at build time.

A rule says "documents tagged 案例 are cases" or "everything in the folder internal/ is internal"::

    rules:
      - name: 带「案例」标签的是案例
        when: {tag: 案例}
        set: {kind: case}

``when`` takes ``tag`` (a tag, compared case- and width-insensitively), ``folder`` (a folder of the
content directory, at any depth) and ``source`` (``wechat:link`` = forwarded by an admin, ``url`` =
the URL list, ``wechat`` = published articles); all that are given must hold. ``set`` takes ``kind``
(case / article) and ``visibility: internal`` — a rule may hide from clients but never publish:
making a document public is decided one document at a time. Later rules win over earlier ones; an
admin's override of one document (``indexer.overrides``) wins over every rule.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import yaml

from config import yaml_text
from indexer.document import KINDS, Document, Problem
from indexer.text import fold

RULES_FILE = "content_rules.yaml"
CONDITIONS = ("tag", "folder", "source")
SOURCES = {"wechat:link": "管理员转发", "url": "网址清单", "wechat": "公众号已发布"}


@dataclass(frozen=True)
class Rule:
    """One group rule."""

    name: str
    tag: str = ""
    folder: str = ""
    source: str = ""
    kind: str | None = None
    visibility: str | None = None

    def matches(self, doc: Document) -> bool:
        """Whether every condition of the rule holds for ``doc``."""
        if self.tag and fold(self.tag) not in {fold(t) for t in doc.tags}:
            return False
        if self.folder and not _in_folder(doc.source, self.folder):
            return False
        return not self.source or source_kind(doc) == self.source

    def describe(self) -> str:
        """The rule in words, e.g. 标签是「案例」→ 案例."""
        when = []
        if self.tag:
            when.append(f"标签是「{self.tag}」")
        if self.folder:
            when.append(f"在文件夹 {self.folder.strip('/')}/ 里")
        if self.source:
            when.append(f"来自{SOURCES.get(self.source, self.source)}")
        then = []
        if self.kind:
            then.append("案例" if self.kind == "case" else "文章")
        if self.visibility:
            then.append("内部")
        return "、".join(when) + " → " + "、".join(then)


def source_kind(doc: Document) -> str:
    """Where a document came from: ``wechat:link``, ``url``, ``wechat`` or ``file``."""
    if doc.source == "wechat:link":
        return "wechat:link"
    if doc.id.startswith("url:"):
        return "url"
    if doc.id.startswith("wx:"):
        return "wechat"
    return "file"


def _in_folder(source: str, folder: str) -> bool:
    # Plain string splits: this runs for every document and rule (PurePosixPath cost 0.3 s at 10,000).
    parts = [p for p in source.split("#", 1)[0].split("/") if p not in ("", ".")][:-1]
    wanted = _folder_parts(folder)
    return any(parts[i : i + len(wanted)] == wanted for i in range(len(parts) - len(wanted) + 1))


@functools.lru_cache(maxsize=64)
def _folder_parts(folder: str) -> list[str]:
    return list(PurePosixPath(folder.strip("/")).parts)


def load_rules(config_dir: Path) -> tuple[list[Rule], list[Problem]]:
    """The rules of ``config_dir/content_rules.yaml`` (none when it is absent) and what is wrong in it."""
    path = Path(config_dir) / RULES_FILE
    if not path.is_file():
        return [], []
    label = f"config/{RULES_FILE}"
    try:
        data = yaml_text.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [Problem(label, f"规则文件无法读取，没有应用任何规则：{exc}", "rules", skipped=False)]
    entries = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [Problem(label, "规则文件里应有一个 rules: 列表，没有应用任何规则", "rules", skipped=False)]
    rules, problems = [], []
    for number, entry in enumerate(entries, 1):
        rule, reason = _rule(entry, number)
        if rule is None:
            problems.append(Problem(label, f"第 {number} 条规则{reason}，已忽略", "rules", skipped=False))
        else:
            rules.append(rule)
    return rules, problems


def _rule(entry: object, number: int) -> tuple[Rule | None, str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("when"), dict) or not isinstance(entry.get("set"), dict):
        return None, "要有 when: 和 set:"
    when, then = entry["when"], entry["set"]
    if set(when) - set(CONDITIONS) or not when:
        return None, f"的 when 只能写 {'、'.join(CONDITIONS)}"
    if set(then) - {"kind", "visibility"} or not then:
        return None, "的 set 只能写 kind 和 visibility"
    kind, visibility = then.get("kind"), then.get("visibility")
    if kind is not None and kind not in KINDS:
        return None, f"的 kind “{kind}” 只能是 case 或 article"
    if visibility is not None and visibility != "internal":
        return None, "只能把内容设为 internal（公开要在内容里或管理后台逐篇设置）"
    source = str(when.get("source") or "")
    if source and source not in SOURCES:
        return None, f"的 source 只能是 {'、'.join(SOURCES)}"
    name = str(entry.get("name") or f"规则 {number}")
    return Rule(name, str(when.get("tag") or ""), str(when.get("folder") or ""), source, kind, visibility), ""


def apply_rules(rules: list[Rule], docs: list[Document]) -> tuple[list[Document], dict[str, list[str]]]:
    """``docs`` with every matching rule applied in order, and the names of the rules that changed each."""
    applied: dict[str, list[str]] = {}
    out = []
    for doc in docs:
        for rule in rules:
            if not rule.matches(doc):
                continue
            changed = replace(doc, kind=rule.kind or doc.kind, visibility=rule.visibility or doc.visibility)
            if changed != doc:
                applied.setdefault(doc.id, []).append(rule.name)
                doc = changed
        out.append(doc)
    return out, applied
