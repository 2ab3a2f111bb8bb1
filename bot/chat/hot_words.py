"""``热词`` / ``热词 30天``: what clients searched (top, nothing found, nothing direct) and what employees did."""

from __future__ import annotations

import re

from bot import texts
from bot.chat import router
from bot.chat.replies import TEXT_LIMIT, Reply, Text, escape, shorten, size
from bot.services import Context
from bot.store.analytics import ALL, MAX_DAYS, MAX_LABEL, WEAK, ZERO

DEFAULT_DAYS = 7
SHOWN = {"top": 10, "zero": 5, "weak": 3, "employees": 5}
_DAYS = re.compile(r"^(\d{1,2})\s*天?$")


@router.command("热词", admin=True)
def hot_words(ctx: Context, arg: str = "") -> Reply:
    """The searches of the last 7 days (``热词 30天``: 30), clients and employees counted apart."""
    days = DEFAULT_DAYS
    if arg.strip():
        match = _DAYS.match(arg.strip())
        if not match or not 1 <= int(match[1]) <= MAX_DAYS:
            return Text(texts.HOT_USAGE)
        days = int(match[1])
    if not ctx.store.reachable():
        return Text(texts.ADMIN_UNAVAILABLE)
    stats = ctx.store.analytics
    clients, _ = stats.totals("client", days)
    employees, _ = stats.totals("employee", days)
    if not clients and not employees:
        return Text(texts.HOT_EMPTY.format(days=days))
    sections = [
        (texts.HOT_HEAD.format(days=days, total=clients), _ranked(stats.top("client", ALL, days, SHOWN["top"]))),
        (texts.HOT_ZERO, _ranked(stats.top("client", ZERO, days, SHOWN["zero"]))),
    ]
    weak = _ranked(stats.top("client", WEAK, days, SHOWN["weak"]))
    if weak:
        sections.append((texts.HOT_WEAK, weak))
    if employees:
        top = stats.top("employee", ALL, days, SHOWN["employees"])
        sections.append((texts.HOT_EMPLOYEES.format(total=employees), _ranked(top)))
    return Text(_render(sections))


def _ranked(rows: list[tuple[str, int]]) -> list[str]:
    return [
        texts.HOT_LINE.format(n=n, query=escape(shorten(query, MAX_LABEL)), count=count)
        for n, (query, count) in enumerate(rows, 1)
    ]


def _render(sections: list[tuple[str, list[str]]]) -> str:
    """The sections within one reply: whole lines are dropped from the longest list until it fits."""
    dropped = False
    while True:
        text = "\n\n".join(head + "\n" + "\n".join(lines or [texts.HOT_NONE]) for head, lines in sections)
        if dropped:
            text += "\n" + texts.TRIMMED
        longest = max(sections, key=lambda s: len(s[1]))
        if size(text) <= TEXT_LIMIT or not longest[1]:
            return text
        longest[1].pop()
        dropped = True
