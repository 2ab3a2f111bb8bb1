"""The line DESIGN.md draws between the packages: ``indexer`` never imports Flask or ``bot``, and
``bot`` reaches the index only through ``indexer``'s public API (issue 14.9) — never its build or
source internals, which would tie the web nodes to one node's way of building."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What bot/ may import from indexer: the package's re-exported API, plus the modules meant for both
# sides (the one WeChat API client, the teaching rules' query helpers, the segmenter's set-up).
BOT_MAY_IMPORT = {"indexer", "indexer.search", "indexer.segment", "indexer.teaching", "indexer.wechat_api"}


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every absolute module each file of ``package`` imports (at any depth, lazily or not)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def test_indexer_never_imports_flask_or_the_bot():
    wrong = {
        path: sorted(m for m in names if m.split(".")[0] in ("flask", "bot", "werkzeug"))
        for path, names in imported_modules("indexer").items()
    }
    assert {p: m for p, m in wrong.items() if m} == {}


def test_the_bot_uses_only_the_public_api_of_the_indexer():
    wrong = {
        path: sorted(m for m in names if m.split(".")[0] == "indexer" and m not in BOT_MAY_IMPORT)
        for path, names in imported_modules("bot").items()
    }
    assert {p: m for p, m in wrong.items() if m} == {}
