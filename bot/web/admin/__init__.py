"""The admin dashboard (``/admin``): login with ADMIN_TOKEN, index status and build report, reindex,
search preview, content (per-document overrides), hot queries, taught rules (教它), invite codes and
employees. Server-rendered, no JavaScript. One module per page group (``auth``, ``overview``,
``search``, ``content``, ``teaching``, ``people`` …), all on one blueprint.

Security: the token is compared with ``hmac.compare_digest``; a login is a session kept in Redis
(``bot.store.admin_sessions``: ended by logging out, an hour unused, 12 hours, or a new ADMIN_TOKEN)
whose random id travels in a signed, HttpOnly, SameSite=Lax cookie (Secure behind https). Without
Redis no session can be confirmed, so the dashboard answers 503 instead of trusting the cookie.
Failed logins are limited per client address (in Redis, and in the process while Redis is down);
every POST carries a CSRF token (Flask-WTF, checked here only: WeChat's webhook cannot send one).
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, Response, render_template

from bot.store.admin_sessions import SESSION_MAX
from bot.web.view import HELPERS
from config.settings import Settings

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

NAV = (
    ("admin.overview", "概览"),
    ("admin.search", "搜索预览"),
    ("admin.content", "内容"),
    ("admin.queries", "热词"),
    ("admin.rules", "规则"),
    ("admin.invites", "邀请码"),
    ("admin.employees", "员工"),
    ("admin.replies", "固定回复"),
    ("admin.leads", "线索"),
    ("admin.titles", "标题库"),
    ("admin.shares", "分享统计"),
)
ERRORS = {
    400: ("请求无效", "表单已过期或不完整，请返回上一页刷新后再试。"),
    403: ("没有权限", "请先登录管理后台。"),
    404: ("页面不存在", "没有这个页面，请从导航进入。"),
    405: ("不支持的操作", "这个地址不接受这种请求，请从页面上的按钮操作。"),
    413: ("内容太大", "提交的内容太大。"),
    429: ("尝试次数过多", "登录失败次数过多，请 10 分钟后再试。"),
    500: ("出错了", "服务器出了点问题，已记录日志，请稍后再试。"),
    503: (
        "暂时不可用",
        "现在连不上 Redis：无法核对登录状态，也不能生成邀请码、修改员工或开始重建索引。"
        "公众号里的搜索不受影响。请稍后刷新本页。",
    ),
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
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(seconds=SESSION_MAX),
        "WTF_CSRF_TIME_LIMIT": None,  # a form token lives as long as the session it belongs to
    }


def error_page(status: int) -> Response:
    """A friendly dashboard page for an HTTP error (used by bot.web.errors), never a stack trace."""
    title, message = ERRORS.get(status, ERRORS[500])
    try:
        signed_in = auth.logged_in()
    except Exception:  # an error page must render even when the session check itself fails
        log.exception("错误页无法核对管理后台的登录状态")
        signed_in = False
    page = render_template(
        "admin/error.html", title=title, message=message, status=status, nav=NAV, logged_in=signed_in, **HELPERS
    )
    response = Response(page, status=status, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    return response


# The page groups register their routes on ``bp``.
from bot.web.admin import (  # noqa: E402  (one a line, so merges stay small)
    auth,
    content,
    leads,
    overview,
    people,
    replies,
    search,
    shares,
    teaching,
    titles,
)

__all__ = [
    "auth",
    "bp",
    "content",
    "error_page",
    "leads",
    "overview",
    "people",
    "replies",
    "search",
    "session_config",
    "shares",
    "teaching",
    "titles",
]
