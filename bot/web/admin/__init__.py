"""The admin dashboard (``/admin``): login with ADMIN_TOKEN, index status and build report, reindex,
search preview, hot queries, invite codes and employees. Server-rendered, no JavaScript.
One module per page group (``auth``, ``overview``, ``search``, ``people``), all on one blueprint.

Security: the token is compared with ``hmac.compare_digest``; a login is a signed, HttpOnly,
SameSite=Lax session cookie (Secure behind https) that lasts at most 12 hours and dies when
ADMIN_TOKEN changes; failed logins are limited per client address through ``Store``; every POST
carries a CSRF token (Flask-WTF, checked here only: WeChat's webhook cannot send one).
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Response, render_template

from bot.web.view import HELPERS
from config.settings import Settings

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

SESSION_HOURS = 12
NAV = (
    ("admin.overview", "概览"),
    ("admin.search", "搜索预览"),
    ("admin.queries", "热词"),
    ("admin.invites", "邀请码"),
    ("admin.employees", "员工"),
    ("admin.replies", "固定回复"),
    ("admin.leads", "线索"),
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


def error_page(status: int) -> Response:
    """A friendly dashboard page for an HTTP error (used by bot.web.errors), never a stack trace."""
    title, message = ERRORS.get(status, ERRORS[500])
    try:
        signed_in = auth.logged_in()
    except Exception:  # an error page must render even when the session or Redis is broken
        signed_in = False
    page = render_template(
        "admin/error.html", title=title, message=message, status=status, nav=NAV, logged_in=signed_in, **HELPERS
    )
    response = Response(page, status=status, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    return response


# The page groups register their routes on ``bp``.
from bot.web.admin import auth, leads, overview, people, replies, search  # noqa: E402

__all__ = ["auth", "bp", "error_page", "leads", "overview", "people", "replies", "search", "session_config"]
