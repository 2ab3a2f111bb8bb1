"""Dashboard people pages: invite codes and the employees and admins holding a role."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for

from bot import texts
from bot.access import is_invite_code
from bot.names import clean_name, who
from bot.services import services
from bot.store.people import MAX_NAME
from bot.web.admin import bp
from bot.web.view import WEB_CREATOR

log = logging.getLogger(__name__)


@bp.get("/invites")
def invites():
    """Active invite codes and the form to make one."""
    return render_template("admin/invites.html", invites=services().store.people.invites())


@bp.post("/invites")
def create_invite():
    """Make a one-time invite code for an employee or an admin."""
    role = request.form.get("role", "")
    name = clean_name(request.form.get("name", ""))
    if role not in texts.ROLE_NAMES or len(name) > MAX_NAME:
        abort(400)
    code = services().store.people.create_invite(role, WEB_CREATOR, name)
    if code is None:
        abort(503)
    log.info("管理后台生成了%s邀请码（给 %s）", texts.ROLE_NAMES[role], name or "未署名")
    flash(code, "code")
    return redirect(url_for("admin.invites"))


@bp.post("/invites/<code>/revoke")
def revoke_invite(code: str):
    """Withdraw an unused invite code."""
    if not is_invite_code(code):
        abort(404)
    revoked = services().store.people.revoke_invite(code)
    if revoked is None:
        abort(503)
    if revoked:
        flash(f"邀请码 {code} 已撤销。", "ok")
    else:
        flash(f"邀请码 {code} 已被使用、已过期或不存在。", "warn")
    return redirect(url_for("admin.invites"))


@bp.get("/employees")
def employees():
    """Users holding a granted role, and the admins named in the settings."""
    svc = services()
    return render_template(
        "admin/employees.html",
        holders=svc.store.people.role_holders(),
        setting_admins=sorted(svc.settings.admin_openids),
    )


@bp.post("/employees/revoke")
def revoke_employee():
    """Take a granted role away; the user is a client from their next message on."""
    openid = request.form.get("openid", "").strip()
    if not openid or len(openid) > 64:
        abort(400)
    svc = services()
    person = who(svc, openid)
    revoked = svc.store.people.revoke_role(openid)
    if revoked is None:
        abort(503)
    if revoked:
        log.info("管理后台撤销了 %s 的角色", person)
        flash("已撤销，对方现在是普通客户。", "ok")
    else:
        flash("没有找到这个员工（可能已被撤销）。", "warn")
    return redirect(url_for("admin.employees"))
