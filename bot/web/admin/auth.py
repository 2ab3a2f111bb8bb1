"""Dashboard login: ADMIN_TOKEN, the session cookie, the guard in front of every page, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for

from bot.services import services
from bot.web.admin import NAV, SECURITY_HEADERS, SESSION_HOURS, bp
from bot.web.view import HELPERS
from config.settings import Settings

log = logging.getLogger(__name__)

MAX_LOGIN_FAILURES = 10  # per client address in 10 minutes (Store.LOGIN_FAILURE_TTL)
PUBLIC_ENDPOINTS = {"admin.login"}


def _fingerprint(settings: Settings) -> str:
    # Ties a session to the current ADMIN_TOKEN without putting the token in the (readable) cookie.
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, b"admin:" + settings.admin_token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def logged_in() -> bool:
    """Whether this request carries a valid, unexpired dashboard login."""
    mark, since = session.get("admin"), session.get("since", 0)
    if not isinstance(mark, str) or not isinstance(since, int):
        return False
    fresh = 0 <= time.time() - since < SESSION_HOURS * 3600
    return fresh and hmac.compare_digest(mark, _fingerprint(services().settings))


@bp.before_request
def guard() -> Response | None:
    """Send anyone not logged in to the login page, then check the CSRF token of every POST."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not logged_in():
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("admin.login", next=_safe_next(target)))
    current_app.extensions["csrf"].protect()
    return None


@bp.after_request
def secure(response: Response) -> Response:
    """Keep dashboard pages out of caches and frames."""
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.context_processor
def helpers() -> dict:
    return {**HELPERS, "nav": NAV, "logged_in": logged_in()}


def _safe_next(target: str | None) -> str | None:
    # Only paths inside the dashboard: never an open redirect to another site.
    if target and target.startswith("/admin/") and not target.startswith("/admin/login"):
        return target.rstrip("?")
    return None


def _client() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a correct ADMIN_TOKEN starts a 12-hour session."""
    if request.method == "GET":
        if logged_in():
            return redirect(url_for("admin.overview"))
        return render_template("admin/login.html", next=_safe_next(request.args.get("next")))
    svc = services()
    if svc.store.logins.failures(_client()) >= MAX_LOGIN_FAILURES:
        log.warning("管理后台登录尝试过多（来自 %s）", _client())
        abort(429)
    typed = request.form.get("token", "")
    if not typed.strip():
        return _login_error("请输入管理口令。", 400)
    if not hmac.compare_digest(typed.encode("utf-8"), svc.settings.admin_token.encode("utf-8")):
        svc.store.logins.add_failure(_client())
        log.warning("管理后台登录失败（来自 %s）", _client())
        return _login_error("口令不对，请重新输入。", 401)
    session.clear()  # a fresh session (and CSRF token) for the new login
    session.permanent = True
    session.update(admin=_fingerprint(svc.settings), since=int(time.time()))
    log.info("管理后台登录（来自 %s）", _client())
    return redirect(_safe_next(request.form.get("next")) or url_for("admin.overview"))


def _login_error(message: str, status: int):
    page = render_template("admin/login.html", error=message, next=_safe_next(request.form.get("next")))
    return page, status


@bp.post("/logout")
def logout():
    """End the session."""
    session.clear()
    flash("已退出登录。", "ok")
    return redirect(url_for("admin.login"))
