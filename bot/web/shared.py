"""``/s/<token>``: an employee's shared link. Counts the open, then sends the reader to the article (302).

The token never expires and carries the document and the sharer's hashed id (``bot.shares``). The
document is looked up as a client sees the index: a link to something since made internal or
removed opens a "内容已下线" page instead, and never reveals where the internal article lives.

An open counts a distinct viewer: a random id in a cookie of this browser (path /s/, a year), of
which only a salted hash goes into a HyperLogLog (``Store.shares``); no address, user agent or
openid is kept. Link-preview robots are not counted.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from flask import Blueprint, Response, redirect, render_template, request

from bot import shares
from bot.links import LinkRefused
from bot.services import services
from bot.web.kit import GONE
from bot.web.results import refusal
from config.errors import IndexNotReady

log = logging.getLogger(__name__)

bp = Blueprint("shared", __name__)

VIEWER_COOKIE = "caselink_v"
VIEWER_DAYS = 365
_ROBOT = re.compile(r"bot|spider|crawl|preview|curl|wget|python-requests|headless", re.IGNORECASE)
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@bp.get("/s/<token>")
def shared(token: str) -> Response:
    """Count the open of a shared link and redirect to the article."""
    svc = services()
    try:
        doc_id, sharer = shares.read_share_token(svc.settings.secret_key, token)
    except LinkRefused as exc:
        log.info("分享链接被拒绝（%s）", exc)
        return refusal(exc.status)
    try:
        hit = svc.index.searcher().get(doc_id, audience="client")
    except IndexNotReady:
        return refusal(503)
    if hit is None or not shares.is_web_url(hit.url):
        html = render_template("pages/refused.html", title=GONE[0], heading=GONE[0], message=GONE[1])
        return _no_store(Response(html, status=404, mimetype="text/html"))
    cookie = request.cookies.get(VIEWER_COOKIE, "")
    fresh = not _COOKIE_VALUE.match(cookie)
    if fresh:
        cookie = secrets.token_urlsafe(16)
    if not _ROBOT.search(request.user_agent.string or ""):
        viewer = hashlib.sha256(f"{svc.settings.secret_key}|viewer|{cookie}".encode()).hexdigest()[:20]
        svc.store.shares.record_open(doc_id, sharer, viewer, hit.title)
    response = redirect(hit.url, code=302)
    if fresh:
        secure = svc.settings.public_base_url.startswith("https://") or request.is_secure
        response.set_cookie(
            VIEWER_COOKIE, cookie, max_age=VIEWER_DAYS * 86400, path="/s/", httponly=True, samesite="Lax", secure=secure
        )
    return _no_store(response)


def _no_store(response: Response) -> Response:
    # Every open must reach us to be counted; the token stays out of the article's Referer.
    response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    return response
