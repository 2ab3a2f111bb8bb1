"""The admin dashboard (``/admin``): login with ADMIN_TOKEN, index status and build report, reindex,
search preview, hot queries, invite codes and employees. Server-rendered, no JavaScript.

Security: the token is compared with ``hmac.compare_digest``; a login is a signed, HttpOnly,
SameSite=Lax session cookie (Secure behind https) that lasts at most 12 hours and dies when
ADMIN_TOKEN changes; failed logins are limited per client address through ``State``; every POST
carries a CSRF token (Flask-WTF, checked here only: WeChat's webhook cannot send one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from bot import buildjob, texts
from bot.admin_view import HELPERS, WEB_CREATOR, report_view, stats_view
from bot.roles import is_invite_code
from bot.services import Services, services
from config.errors import CaseLinkError
from config.settings import Settings

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

SESSION_HOURS = 12
MAX_LOGIN_FAILURES = 10  # per client address in 10 minutes (State.LOGIN_FAILURE_TTL)
PREVIEW_LIMIT = 10
HOT_LIMIT = 20
HOT_PERIODS = (7, 30)
PUBLIC_ENDPOINTS = {"admin.login"}
NAV = (
    ("admin.overview", "概览"),
    ("admin.search", "搜索预览"),
    ("admin.queries", "热词"),
    ("admin.invites", "邀请码"),
    ("admin.employees", "员工"),
)
ERRORS = {
    400: ("请求无效", "表单已过期或不完整，请返回上一页刷新后再试。"),
    403: ("没有权限", "请先登录管理后台。"),
    404: ("页面不存在", "没有这个页面，请从导航进入。"),
    405: ("不支持的操作", "这个地址不接受这种请求，请从页面上的按钮操作。"),
    413: ("内容太大", "提交的内容太大。"),
    429: ("尝试次数过多", "登录失败次数过多，请 10 分钟后再试。"),
    500: ("出错了", "服务器出了点问题，已记录日志，请稍后再试。"),
}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def session_config(settings: Settings) -> dict:
    """Flask settings for the dashboard's session cookie and CSRF tokens."""
    return {
        "SESSION_COOKIE_NAME": "caselink_admin",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.public_base_url.startswith("https://"),
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=SESSION_HOURS),
        "WTF_CSRF_TIME_LIMIT": None,  # a form token lives as long as the session it belongs to
    }


# --- login ------------------------------------------------------------------------------------


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
    if svc.state.login_failures(_client()) >= MAX_LOGIN_FAILURES:
        log.warning("管理后台登录尝试过多（来自 %s）", _client())
        abort(429)
    typed = request.form.get("token", "")
    if not typed.strip():
        return _login_error("请输入管理口令。", 400)
    if not hmac.compare_digest(typed.encode("utf-8"), svc.settings.admin_token.encode("utf-8")):
        svc.state.add_login_failure(_client())
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


# --- pages ------------------------------------------------------------------------------------


@bp.get("/")
def overview():
    """Index status, the last build report and whether Redis answers."""
    svc = services()
    return render_template(
        "admin/overview.html",
        stats=_stats(svc),
        report=report_view(svc.settings.index_dir),
        redis_ok=svc.state.ping(),
        build=buildjob.status(svc),
    )


@bp.post("/reindex")
def reindex():
    """Start a background rebuild unless one is running (here, in another worker or from WeChat)."""
    if buildjob.start(services(), by=WEB_CREATOR):
        flash("已开始重建索引。", "ok")
    else:
        flash("已有重建在进行，请等它完成。", "warn")
    return redirect(url_for("admin.progress"))


@bp.get("/reindex")
def progress():
    """The current or last rebuild; refreshes itself while one runs, then shows the new report."""
    svc = services()
    build = buildjob.status(svc)
    running = bool(build) and build["state"] == buildjob.RUNNING
    report = report_view(svc.settings.index_dir) if build and not running else None
    return render_template("admin/reindex.html", build=build, running=running, report=report)


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
    state = services().state
    periods = [
        (days, {kind: state.top_queries(kind, days, HOT_LIMIT) for kind in ("q", "q0", "qweak")})
        for days in HOT_PERIODS
    ]
    return render_template("admin/queries.html", periods=periods)


@bp.get("/invites")
def invites():
    """Active invite codes and the form to make one."""
    return render_template("admin/invites.html", invites=services().state.invites())


@bp.post("/invites")
def create_invite():
    """Make a one-time invite code for an employee or an admin."""
    role = request.form.get("role", "")
    if role not in texts.ROLE_NAMES:
        abort(400)
    code = services().state.create_invite(role, WEB_CREATOR)
    if code is None:
        flash("现在无法生成邀请码（Redis 不可用），请稍后再试。", "error")
    else:
        flash(code, "code")
    return redirect(url_for("admin.invites"))


@bp.post("/invites/<code>/revoke")
def revoke_invite(code: str):
    """Withdraw an unused invite code."""
    if not is_invite_code(code):
        abort(404)
    if services().state.revoke_invite(code):
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
        holders=svc.state.role_holders(),
        setting_admins=sorted(svc.settings.admin_openids),
    )


@bp.post("/employees/revoke")
def revoke_employee():
    """Take a granted role away; the user is a client from their next message on."""
    openid = request.form.get("openid", "").strip()
    if not openid or len(openid) > 64:
        abort(400)
    svc = services()
    if svc.state.revoke_role(openid):
        log.info("管理后台撤销了角色 user=%s", svc.user_hash(openid))
        flash("已撤销，对方现在是普通客户。", "ok")
    else:
        flash("没有找到这个员工（可能已被撤销），或 Redis 不可用。", "warn")
    return redirect(url_for("admin.employees"))


def _stats(svc: Services) -> dict:
    try:
        return stats_view(svc.index.searcher().stats())
    except CaseLinkError as exc:
        return {"error": str(exc)}


def error_page(status: int) -> Response:
    """A friendly dashboard page for an HTTP error (used by bot.errors), never a stack trace."""
    title, message = ERRORS.get(status, ERRORS[500])
    try:
        signed_in = logged_in()
    except Exception:  # an error page must render even when the session or Redis is broken
        signed_in = False
    page = render_template(
        "admin/error.html", title=title, message=message, status=status, nav=NAV, logged_in=signed_in, **HELPERS
    )
    response = Response(page, status=status, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    return response
