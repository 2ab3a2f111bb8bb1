"""Which searches count for 热词: real searches by clients and employees, with their filter.

Not counted: picks and numbers (``1``, ``2 3``), text without a letter or digit (emoji,
``???``), the words of a command (an employee typing ``热词`` is searched, not counted), and
everything admins send (their searches are tests and typos of commands, not demand).
"""

from __future__ import annotations

import unicodedata

from bot import texts
from bot.chat import router
from bot.services import Context


def label(query: str, kind: str | None, tag: str | None) -> str:
    """A search as people typed it: ``案例 个人品牌``, ``#私域 社群``, ``#私域``."""
    parts = [texts.KIND_NAMES[kind]] if kind in texts.KIND_NAMES else []
    if tag:
        parts.append("#" + tag)
    if query and query != tag:
        parts.append(query)
    return " ".join(parts)


def worth_counting(query: str) -> bool:
    """Whether ``query`` is something a person looked for (not a number, symbol or command)."""
    words = query.split()
    if not words or words[0] in router.COMMANDS:
        return False
    meaningful = [ch for ch in query if unicodedata.category(ch)[0] in "LN"]
    if not meaningful:
        return False
    return not all(ch.isdigit() for ch in meaningful)


def record(ctx: Context, query: str, kind: str | None, tag: str | None, total: int, weak: bool) -> None:
    """Count the first page of a new search for 热词 (see the module docstring)."""
    if ctx.is_admin or not worth_counting(query or tag or ""):
        return
    ctx.store.analytics.log_search(label(query, kind, tag), ctx.audience, total, weak)
