"""Dashboard search pages: the side-by-side search preview (with its 教它 section) and the hot queries."""

from __future__ import annotations

from flask import render_template, request

from bot import teaching
from bot.services import services
from bot.store.analytics import ALL, AUDIENCES, WEAK, ZERO
from bot.web.admin import bp
from bot.web.admin.teaching import TEMPLATE_HELPERS
from config.errors import CaseLinkError

PREVIEW_LIMIT = 10
HOT_LIMIT = 20
HOT_PERIODS = (7, 30)


@bp.get("/search")
def search():
    """What a client and what an employee would get for a query, side by side, with what was taught."""
    query = request.args.get("q", "").strip()[:100]
    with_rules = request.args.get("rules") != "0"
    pin_query = request.args.get("pin_q", "").strip()[:100]
    columns, applied, candidates, error = [], [], [], None
    if query:
        store = services().store
        try:
            searcher = services().index.searcher()
            taught = teaching.search_options(store, query) if with_rules else {}
            for audience, label in (("client", "客户看到的"), ("employee", "员工看到的")):
                columns.append((label, searcher.search(query, audience=audience, limit=PREVIEW_LIMIT, **taught)))
            applied = teaching.applying(store, query)
            if pin_query:
                candidates = searcher.search(pin_query, audience="employee", limit=PREVIEW_LIMIT).hits
        except CaseLinkError as exc:
            error = str(exc)
    return render_template(
        "admin/search.html",
        query=query,
        columns=columns,
        error=error,
        applied=applied,
        with_rules=with_rules,
        pin_query=pin_query,
        candidates=candidates,
        **TEMPLATE_HELPERS,
    )


@bp.get("/queries")
def queries():
    """Top, zero-result and weak searches over 7 and 30 days, clients and employees apart."""
    stats = services().store.analytics
    periods = [
        (
            days,
            {
                audience: {
                    "totals": stats.totals(audience, days),
                    **{kind: stats.top(audience, kind, days, HOT_LIMIT) for kind in (ALL, ZERO, WEAK)},
                }
                for audience in AUDIENCES
            },
        )
        for days in HOT_PERIODS
    ]
    return render_template("admin/queries.html", periods=periods, zone=services().settings.site_timezone)
