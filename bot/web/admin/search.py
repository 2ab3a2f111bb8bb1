"""Dashboard search pages: the side-by-side search preview and the hot queries."""

from __future__ import annotations

from flask import render_template, request

from bot.services import services
from bot.web.admin import bp
from config.errors import CaseLinkError

PREVIEW_LIMIT = 10
HOT_LIMIT = 20
HOT_PERIODS = (7, 30)


@bp.get("/search")
def search():
    """What a client and what an employee would get for a query, side by side."""
    query = request.args.get("q", "").strip()[:100]
    columns, error = [], None
    if query:
        try:
            searcher = services().index.searcher()
            for audience, label in (("client", "客户看到的"), ("employee", "员工看到的")):
                columns.append((label, searcher.search(query, audience=audience, limit=PREVIEW_LIMIT)))
        except CaseLinkError as exc:
            error = str(exc)
    return render_template("admin/search.html", query=query, columns=columns, error=error)


@bp.get("/queries")
def queries():
    """Top queries, zero-result and weak queries over 7 and 30 days."""
    store = services().store
    periods = [
        (days, {kind: store.analytics.top_queries(kind, days, HOT_LIMIT) for kind in ("q", "q0", "qweak")})
        for days in HOT_PERIODS
    ]
    return render_template("admin/queries.html", periods=periods)
