"""Errors become HTTP responses here, and only here.

WeChat never gets a 500: a forged or replayed request gets 403, a malformed one 400, an oversized
one 413, and anything unexpected on ``/wechat`` is logged with its traceback and answered
``success`` (WeChat then shows nothing and does not retry). The dashboard (``/admin``) gets a
friendly Chinese page for every error instead, never a stack trace, and so does anything else a person opens
in a browser; only the machine endpoints answer in short plain text.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from wechatpy.exceptions import InvalidSignatureException
from werkzeug.exceptions import HTTPException

from bot.web import admin, results
from bot.wechat.protocol import BadRequest

log = logging.getLogger(__name__)

MACHINE_PATHS = ("/wechat", "/healthz", "/metrics")


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn exceptions into short plain-text responses."""

    @app.errorhandler(InvalidSignatureException)
    def forbidden(exc: InvalidSignatureException) -> Response:
        log.warning("拒绝请求 %s %s：%s（来自 %s）", request.method, request.path, exc.errmsg, request.remote_addr)
        return Response("forbidden", status=403, mimetype="text/plain")

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> Response:
        log.warning("无效请求 %s %s：%s", request.method, request.path, exc)
        return Response("bad request", status=400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if _is_admin():
            return admin.error_page(exc.code or 500)
        if _is_for_people():
            return results.refusal(exc.code or 500)
        return Response(exc.name.lower(), status=exc.code or 500, mimetype="text/plain")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("未预期的错误 %s %s", request.method, request.path)
        if request.path.startswith("/wechat"):
            return Response("success", status=200, mimetype="text/plain")
        if _is_admin():
            return admin.error_page(500)
        if _is_for_people():
            return results.refusal(500)
        return Response("internal error", status=500, mimetype="text/plain")


def _is_for_people() -> bool:
    # Everything but the machine endpoints (WeChat's webhook, health checks, scrapes) is opened in a browser.
    return not request.path.startswith(MACHINE_PATHS)


def _is_admin() -> bool:
    # The dashboard gets friendly Chinese pages (a 404 has no blueprint: look at the path).
    return request.path == "/admin" or request.path.startswith("/admin/")
