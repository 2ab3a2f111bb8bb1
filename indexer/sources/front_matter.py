"""Split YAML front matter from a post with python-frontmatter, explaining failures in Chinese."""

from __future__ import annotations

import re

import frontmatter
import yaml

from config.yaml_text import SAFE_LOADER

_HANDLER = frontmatter.YAMLHandler()
_LOADER = SAFE_LOADER  # libyaml when available (config.yaml_text)
# A block whose opening `---` was turned into a Markdown heading (`# ---`); seen in real blogs.
_COMMENTED = re.compile(r"\A#[ \t]*-{3,}[ \t]*\n(.*?)^-{3,}[ \t]*$\n?", re.M | re.S)
# Parser messages (PyYAML's or libyaml's wording), said so that a content editor knows what to change.
_YAML_HINTS = {
    "mapping values are not allowed": "出现了多余的冒号（值里有英文冒号时，请给整个值加引号）",
    "expected ',' or ']'": "方括号列表没有闭合或格式不对",
    "expected ',' or '}'": "花括号没有闭合或格式不对",
    "could not find expected ':'": "缺少冒号（每行应写成“键: 值”）",
    "cannot start any token": "值以 Tab、@ 或 ` 开头，请改用空格或给值加引号",
    "found undefined alias": "以 * 开头的值会被当成 YAML 别名，请给这个值加引号",
    "found unexpected end of stream": "引号没有闭合",
    "expected <block end>": "缩进不一致，或引号后面还有多余文字",
}


class FrontMatterError(Exception):
    """The front matter exists but cannot be read; the message is the editor-facing reason."""


def split_front_matter(text: str) -> tuple[dict | None, str, bool]:
    """Return (metadata or None when there is none, body, whether the opening `---` was commented)."""
    text = text.lstrip("\ufeff").lstrip("\n")
    if _HANDLER.detect(text):
        try:
            raw, body = _HANDLER.split(text)
        except ValueError:
            raise FrontMatterError("front matter 缺少结尾的 --- 行") from None
        return _load(raw, first_line=1), body, False
    m = _COMMENTED.match(text)
    if m:
        try:
            meta = _load(m.group(1), first_line=2)
        except FrontMatterError:
            return None, text, False
        if meta:
            return meta, text[m.end() :], True
    return None, text, False


def _load(raw: str, first_line: int) -> dict:
    try:
        meta = _HANDLER.load(raw, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        where = f"第 {mark.line + first_line} 行，" if mark is not None else ""
        raise FrontMatterError(f"YAML front matter 无法解析：{where}{explain_yaml(exc)}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"YAML front matter 无法解析：{exc}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter 不是“键: 值”的格式")
    return {str(k).strip().lower(): v for k, v in meta.items()}


def explain_yaml(exc: yaml.MarkedYAMLError) -> str:
    """A Chinese hint for a YAML parser error, or the parser's own words when we have none."""
    problem = exc.problem or str(exc)
    return next((hint for key, hint in _YAML_HINTS.items() if key in problem), problem)
