"""Dashboard login: ADMIN_TOKEN, the server-side session, the guard in front of every page, CSRF."""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from bot.services import services
from bot.store.admin_sessions import SESSION_ID, SESSION_IDLE
from bot.web.admin import NAV, SECURITY_HEADERS, bp
from bot.web.view import HELPERS
from config.settings import Settings

log = logging.getLogger(__name__)

MAX_LOGIN_FAILURES = 10  # per client address in 10 minutes (Store.LOGIN_FAILURE_TTL)
PUBLIC_ENDPOINTS = {"admin.login", "admin.logout"}  # logout needs only its CSRF token
IN, OUT, UNAVAILABLE = "in", "out", "unavailable"


def _fingerprint(settings: Settings) -> str:
    # Ties a session to the current ADMIN_TOKEN without putting the token in the (readable) cookie.
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, b"admin:" + settings.admin_token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def session_state() -> str:
    """This request's dashboard login: ``in``, ``out``, or ``unavailable`` when Redis cannot confirm it."""
    session_id = session.get("sid")
    if session_id is None:
        return OUT
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        # Only SECRET_KEY can sign a cookie: an unreadable one is an old version's, or a leaked key.
        log.warning("管理后台会话 Cookie 签名有效但内容无法识别（旧版本的 Cookie 或 SECRET_KEY 已泄露），按未登录处理")
        return OUT
    svc = services()
    ok = svc.store.admin_sessions.check(session_id, _fingerprint(svc.settings))
    return UNAVAILABLE if ok is None else IN if ok else OUT


def logged_in() -> bool:
    """Whether this request carries an open dashboard session (checked once per request)."""
    if "admin_state" not in g:
        g.admin_state = session_state()
    return g.admin_state == IN


@bp.before_request
def guard() -> Response | None:
    """Send anyone not logged in to the login page (503 when Redis cannot say), then check CSRF."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not logged_in():
        if g.admin_state == UNAVAILABLE:
            abort(503)
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
    """The login form; a correct ADMIN_TOKEN opens a session (1 hour idle, 12 hours at most)."""
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
    session_id = svc.store.admin_sessions.open(_fingerprint(svc.settings))
    if session_id is None:
        abort(503)  # without Redis a login could not be checked, nor ended by logging out
    session.clear()  # a fresh session (and CSRF token) for the new login
    session.permanent = True
    session["sid"] = session_id
    log.info("管理后台登录（来自 %s）", _client())
    return redirect(_safe_next(request.form.get("next")) or url_for("admin.overview"))


def _login_error(message: str, status: int):
    page = render_template("admin/login.html", error=message, next=_safe_next(request.form.get("next")))
    return page, status


@bp.post("/logout")
def logout():
    """End the session on the server, so that a copy of the cookie opens nothing afterwards."""
    session_id = session.get("sid")
    ended = not isinstance(session_id, str) or services().store.admin_sessions.close(session_id)
    session.clear()
    if ended:
        flash("已退出登录。", "ok")
    else:
        flash(f"已退出登录。Redis 暂时不可用，这次登录在服务器上最多再保留 {SESSION_IDLE // 60} 分钟。", "warn")
    return redirect(url_for("admin.login"))
