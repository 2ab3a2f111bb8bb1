"""Dashboard pages ``/admin/leads`` and ``/admin/leads.csv``: leads from the chat form.

Each lead: status (new / contacted / closed), who handled it, notes. The number of new leads is
the badge beside 线索 on every dashboard page — the fallback when WeChat refuses the push.
"""

from __future__ import annotations

import csv
import io
import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for

from bot.services import services
from bot.store.leads import STATUSES
from bot.web.admin import bp
from bot.web.view import fmt_time

log = logging.getLogger(__name__)

HANDLER_CHARS = 30
NOTES_CHARS = 1000
CSV_COLUMNS = (
    ("id", "编号"),
    ("created_at", "时间"),
    ("name", "称呼"),
    ("company", "公司"),
    ("contact", "联系方式"),
    ("contact_kind", "类型"),
    ("need", "需求"),
    ("status", "状态"),
    ("handler", "跟进人"),
    ("notes", "备注"),
)
KIND_NAMES = {"phone": "手机", "wechat": "微信"}


@bp.context_processor
def lead_badge() -> dict:
    """How many leads are new, for the badge beside 线索 in the navigation."""
    if request.endpoint in ("admin.login", None):
        return {}
    return {"lead_badge": services().store.leads.count_new()}


@bp.get("/leads")
def leads():
    """Leads, newest first; ``?status=new`` shows one status."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    store = services().store.leads
    return render_template(
        "admin/leads.html",
        leads=store.recent(status),
        status=status,
        statuses=STATUSES,
        kind_names=KIND_NAMES,
        new_count=store.count_new(),
    )


@bp.post("/leads/<number>")
def update_lead(number: str):
    """Change a lead's status, handler and notes."""
    if not number.isdigit():
        abort(404)
    status = request.form.get("status", "")
    handler = request.form.get("handler", "").strip()
    notes = request.form.get("notes", "").strip().replace("\r\n", "\n")
    back = url_for("admin.leads", status=request.form.get("back_status") or None) + f"#lead-{number}"
    if status not in STATUSES or len(handler) > HANDLER_CHARS or len(notes) > NOTES_CHARS:
        flash(f"没有保存线索 #{number}：跟进人最多 {HANDLER_CHARS} 个字，备注最多 {NOTES_CHARS} 个字。", "error")
        return redirect(back)
    if services().store.leads.update(number, status=status, handler=handler, notes=notes) is None:
        flash(f"没有找到线索 #{number}（或 Redis 不可用）。", "warn")
    else:
        log.info("管理后台更新了线索 #%s（%s）", number, status)
        flash(f"线索 #{number} 已保存：{STATUSES[status]}。", "ok")
    return redirect(back)


@bp.get("/leads.csv")
def leads_csv():
    """Every lead as CSV (UTF-8 with BOM, so Excel opens the Chinese correctly)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for lead in services().store.leads.recent():
        row = {
            **lead,
            "created_at": fmt_time(lead.get("created_at")),
            "status": STATUSES.get(lead.get("status", ""), ""),
            "contact_kind": KIND_NAMES.get(lead.get("contact_kind", ""), ""),
        }
        writer.writerow([_cell(row.get(key, "")) for key, _ in CSV_COLUMNS])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=leads.csv"
    return response


def _cell(value) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
