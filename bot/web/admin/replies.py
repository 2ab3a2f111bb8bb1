"""Dashboard page ``/admin/replies``: the front desk's fixed answers, contact card and working hours.

Add, edit, reorder, preview and delete; a change answers through every worker on the next message.
A rejected form comes back filled in as it was sent, with the reasons above it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from flask import abort, flash, redirect, render_template, request, url_for

from bot.chat.frontdesk import editing
from bot.chat.frontdesk.desk import current
from bot.chat.frontdesk.hours import DAY_NAMES, hours_or_default
from bot.chat.frontdesk.rules import ACTIONS, AUDIENCES, KINDS, MATCHES, TRIGGERS, Rule, new_id
from bot.services import services
from bot.web.admin import bp
from bot.web.view import WEB_CREATOR

log = logging.getLogger(__name__)

KEYWORD_SPLIT = re.compile(r"[,，、;；\n]+")
FORM_LIMIT = 4000  # characters of any one field; the checks say what the real limits are
CONTACT_FIELDS = (("company", "公司"), ("phone", "电话"), ("email", "邮箱"), ("wechat", "微信"), ("address", "地址"))
LABELS = {"matches": MATCHES, "audiences": AUDIENCES, "kinds": KINDS, "actions": ACTIONS, "triggers": TRIGGERS}


def _field(name: str) -> str:
    return request.form.get(name, "")[:FORM_LIMIT].strip()


def rule_from_form(rule_id: str) -> Rule:
    """The rule as the form describes it (unchecked)."""
    match = _field("match")
    typed = KEYWORD_SPLIT.split(_field("keywords"))
    keywords = () if match in TRIGGERS else tuple(k.strip() for k in typed if k.strip())
    kind = _field("kind")
    return Rule(
        id=rule_id,
        name=_field("name") or (keywords[0] if keywords else MATCHES.get(match, "")),
        match=match,
        keywords=keywords,
        audience=_field("audience"),
        kind=kind,
        text=request.form.get("text", "")[:FORM_LIMIT].strip().replace("\r\n", "\n"),
        title=_field("title") if kind == "card" else "",
        description=_field("description") if kind == "card" else "",
        url=_field("url") if kind == "card" else "",
        image=_field("image") if kind == "card" else "",
        action=_field("action") if kind == "action" else "",
    )


@bp.get("/replies")
def replies():
    """Every rule in order, the preview, conflicts, and the contact card."""
    return _page()


def _page(contact: dict | None = None, hours: dict | None = None, contact_errors: list[str] | None = None) -> str:
    svc = services()
    desk = current(svc)
    typed = request.args.get("try", "").strip()[:200]
    audience = request.args.get("as", "client") if request.args.get("as") in ("client", "employee") else "client"
    tried = editing.preview(svc, typed, audience) if typed else None
    if hours is None:
        stored = hours_or_default(desk.hours)
        end = "24:00" if stored.end == dt.time.max else f"{stored.end:%H:%M}"
        hours = {"days": list(stored.days), "start": f"{stored.start:%H:%M}", "end": end}
    return render_template(
        "admin/replies.html",
        rules=desk.document.rules,
        conflicts=editing.conflicts(desk.document),
        typed=typed,
        audience=audience,
        tried=tried,
        contact=desk.contact if contact is None else contact,
        contact_fields=CONTACT_FIELDS,
        contact_errors=contact_errors or [],
        hours=hours,
        hours_text=hours_or_default(desk.hours).describe(),
        day_names=DAY_NAMES,
        describe=lambda rule: editing.describe(desk, rule),
        **LABELS,
    )


@bp.get("/replies/new")
def new_reply():
    """An empty rule form."""
    rule = Rule(id="", name="", match="exact", audience="everyone", kind="text")
    return render_template("admin/reply_form.html", rule=rule, errors=[], keywords="", seen_at="", **LABELS)


@bp.get("/replies/<rule_id>")
def edit_reply(rule_id: str):
    """A rule's form, filled in."""
    rule = current(services()).document.find(rule_id)
    if rule is None:
        abort(404)
    keywords = "，".join(rule.keywords)
    return render_template(
        "admin/reply_form.html", rule=rule, errors=[], keywords=keywords, seen_at=rule.updated_at, **LABELS
    )


@bp.post("/replies")
def create_reply():
    """Save a new rule."""
    return _save(rule_from_form(new_id()), seen_at=None)


@bp.post("/replies/<rule_id>")
def update_reply(rule_id: str):
    """Save changes to a rule."""
    seen = request.form.get("seen_at", "")
    return _save(rule_from_form(rule_id), seen_at=int(seen) if seen.isdigit() else None)


def _save(rule: Rule, seen_at: int | None):
    try:
        saved = editing.save_rule(services(), rule, by=WEB_CREATOR, seen_at=seen_at)
    except editing.Rejected as exc:
        keywords = request.form.get("keywords", "")[:FORM_LIMIT]
        page = render_template(
            "admin/reply_form.html", rule=rule, errors=exc.errors, keywords=keywords, seen_at=seen_at or "", **LABELS
        )
        return page, 400
    log.info("管理后台保存了固定回复「%s」", saved.name)
    flash(f"已保存「{saved.name}」，所有 worker 的下一条消息起生效。", "ok")
    return redirect(url_for("admin.replies") + f"#rule-{saved.id}")


@bp.post("/replies/<rule_id>/delete")
def delete_reply(rule_id: str):
    """Delete a rule."""
    try:
        gone = editing.delete_rule(services(), rule_id)
    except editing.Rejected as exc:
        flash(exc.errors[0], "error")
    else:
        flash(f"已删除「{gone.name}」。" if gone else "这条规则已经不在了。", "ok" if gone else "warn")
    return redirect(url_for("admin.replies"))


@bp.post("/replies/<rule_id>/move")
def move_reply(rule_id: str):
    """Move a rule one place up or down."""
    step = -1 if request.form.get("direction") == "up" else 1
    try:
        editing.move_rule(services(), rule_id, step)
    except editing.Rejected as exc:
        flash(exc.errors[0], "error")
    return redirect(url_for("admin.replies") + f"#rule-{rule_id}")


@bp.post("/replies/contact")
def save_contact():
    """Save the contact card and working hours."""
    contact = {key: _field(key) for key, _ in CONTACT_FIELDS}
    contact["map"] = _field("map")
    days = [d for d in request.form.getlist("days") if d.isdigit()]
    hours = {"days": [int(d) for d in days], "start": _field("start"), "end": _field("end")}
    try:
        editing.save_contact(services(), {k: v for k, v in contact.items() if v}, hours)
    except editing.Rejected as exc:
        return _page(contact, hours, exc.errors), 400
    flash("联系方式和工作时间已保存。", "ok")
    return redirect(url_for("admin.replies") + "#contact")
