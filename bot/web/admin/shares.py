"""Dashboard pages ``/admin/shares`` and ``/admin/shares.csv``: what travels, and who passes it on.

For the last 7 or 30 days: the most shared and the most opened content, each employee's shares and
how many people opened their links, and a chart per day. A share is an employee fetching a kit or a
card (once per employee, document and day); an open is a distinct browser (``bot.web.shared``).
"""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request

from bot.services import services
from bot.web.admin import bp
from bot.web.charts import daily_bars
from bot.web.view import short_openid

WINDOWS = (7, 30)
TOP = 20


def _days() -> int:
    asked = request.args.get("days", "")
    return int(asked) if asked.isdigit() and int(asked) in WINDOWS else WINDOWS[0]


@bp.get("/shares")
def shares():
    """Most shared and most opened content, shares per employee, a chart, for 7 or 30 days."""
    days = _days()
    report = services().store.shares.report(days)
    docs = [{"id": doc_id, **row} for doc_id, row in report["docs"].items()]
    # Only what someone opened: a row of 0 would hide the page's "nobody opened yet" line.
    opened = [row for row in docs if row["opens"]]
    return render_template(
        "admin/shares.html",
        days=days,
        windows=WINDOWS,
        chart=daily_bars(report["days"]),
        total_shares=sum(row["shares"] for row in docs),
        total_opens=sum(opens for _, _, opens in report["days"]),
        most_shared=sorted(docs, key=lambda r: (-r["shares"], -r["opens"], r["title"]))[:TOP],
        most_opened=sorted(opened, key=lambda r: (-r["opens"], -r["shares"], r["title"]))[:TOP],
        people=_people(report["sharers"]),
    )


@bp.get("/shares.csv")
def shares_csv():
    """The same numbers as CSV (UTF-8 with BOM for Excel): one row per document, then per employee."""
    days = _days()
    report = services().store.shares.report(days)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["类型", "编号", "名称", f"最近 {days} 天分享", f"最近 {days} 天打开人数"])
    for doc_id, row in sorted(report["docs"].items(), key=lambda kv: (-kv[1]["shares"], kv[0])):
        writer.writerow(["内容", doc_id, _cell(row["title"]), row["shares"], row["opens"]])
    for person in _people(report["sharers"]):
        writer.writerow(["员工", person["sharer"], _cell(person["name"]), person["shares"], person["opens"]])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=caselink-shares-{days}d.csv"},
    )


def _people(sharers: dict[str, dict]) -> list[dict]:
    """Each sharer with the name an admin gave them (their invite's), else a short openid."""
    people = services().store.people
    rows = []
    for sharer, row in sharers.items():
        holder = people.holder(row["openid"]) if row["openid"] else None
        name = (holder or {}).get("name") or (short_openid(row["openid"]) if row["openid"] else f"员工 {sharer}")
        rows.append({"sharer": sharer, "name": name, "openid": row["openid"], **row})
    return sorted(rows, key=lambda r: (-r["shares"], -r["opens"], r["name"]))


def _cell(text: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
