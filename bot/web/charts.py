"""A small bar chart drawn on the server as SVG (no script): shares and opens per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 220
LEFT, BOTTOM, TOP = 36, 28, 14
SERIES = (("分享", "#0f766e"), ("打开", "#99d5cf"))


def daily_bars(days: Sequence[tuple[dt.date, int, int]]) -> Markup:
    """Two bars a day (shares, opens), a value axis from 0 to the largest count, dates below."""
    peak = max([1, *(max(a, b) for _, a, b in days)])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(1, len(days))
    bar = max(1.0, slot * 0.38)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="每天的分享次数和打开人数" '
        'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#c5ccd3"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" fill="#64707d">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" fill="#64707d">0</text>',
    ]
    label_every = 1 if len(days) <= 10 else 5
    for n, (day, *counts) in enumerate(days):
        x0 = LEFT + n * slot + (slot - 2 * bar) / 2
        for k, ((name, colour), count) in enumerate(zip(SERIES, counts, strict=True)):
            h = plot_h * count / peak
            x, y = x0 + k * bar, TOP + plot_h - h
            tip = escape(f"{day:%m-%d} {name} {count}")
            parts.append(
                f'<rect class="bar {"shares" if k == 0 else "opens"}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}" data-count="{count}"><title>{tip}</title></rect>'
            )
        if n % label_every == 0 or n == len(days) - 1:
            cx = LEFT + n * slot + slot / 2
            parts.append(f'<text x="{cx:.1f}" y="{HEIGHT - 10}" text-anchor="middle" fill="#64707d">{day:%m-%d}</text>')
    for k, (name, colour) in enumerate(SERIES):
        parts.append(f'<rect x="{WIDTH - 130 + k * 60}" y="2" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - 116 + k * 60}" y="11" fill="#1f2933">{name}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
