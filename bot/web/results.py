"""``/r/<token>``: every hit of a search on one light page for WeChat's in-app browser.

The page is one request: server-rendered, CSS inline, no script. Who sees what:
- a token from a client's search shows public content only, whoever opens it;
- a token from an employee's search may have been forwarded to anyone, so internal hits are shown
  only to a viewer verified as a current employee through WeChat web authorisation
  (``bot.web.oauth``); when that cannot be done, public hits with a note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request

from bot import shares, teaching, texts
from bot.access import role_of
from bot.chat.frontdesk.desk import contact_line
from bot.chat.replies import shorten
from bot.links import LinkRefused, ResultLink, read_token
from bot.services import Services, services
from bot.web import oauth
from bot.web.view import marked
from config.errors import IndexNotReady

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

PAGE_LIMIT = 100  # the searcher ranks at most this many
MAX_TAGS = 6
HEADERS = {
    "Cache-Control": "private, no-store",  # may list internal content; never cache or share it
    "Referrer-Policy": "strict-origin-when-cross-origin",  # the token stays on this site
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}
REFUSALS = {
    403: ("链接无效", "这个链接不完整或被改动过，无法打开。请回到公众号重新发送关键词搜索。"),
    410: ("链接已过期", "为了保护内容，结果页链接只在一段时间内有效。请回到公众号重新发送关键词搜索。"),
    503: ("内容库正在准备中", texts.INDEX_NOT_READY),
    404: ("页面不存在", "这个地址没有内容。请在公众号里发送关键词搜索文章和案例。"),
    405: ("无法这样打开", "这个地址不能这样访问。请在公众号里发送关键词搜索文章和案例。"),
    500: ("出了点问题", "页面暂时打不开，请稍后再试，或在公众号里重新搜索。"),
}


@dataclass
class Viewer:
    """What the browser opening a page may see, and what that decision needs to send back."""

    audience: str = "client"
    note: str = ""  # said when internal content may exist but the viewer could not be checked
    cookie: str | None = None  # a fresh viewer cookie to set
    redirect: str | None = None  # go through WeChat web authorisation first
    nonce: str | None = None  # the nonce cookie of that round trip


@bp.get("/r/<token>")
def results(token: str) -> Response:
    """The results page of a signed link."""
    svc = services()
    settings = svc.settings
    try:
        link = read_token(settings.secret_key, token, settings.result_link_ttl)
    except LinkRefused as exc:
        log.info("结果页链接被拒绝（%s）", exc)
        return refusal(exc.status)
    page_url = (settings.public_base_url or request.host_url.rstrip("/")) + request.path
    viewer = identify(svc, link, page_url)
    if viewer.redirect:
        response = redirect(viewer.redirect, code=302)
        response.set_cookie(oauth.NONCE_COOKIE, viewer.nonce or "", max_age=oauth.STATE_TTL, **_cookie_flags())
        return _with_headers(response)
    try:
        searcher = svc.index.searcher()
        taught = teaching.search_options(svc.store, link.query)
        with svc.metrics.time_search("page"):
            result = searcher.search(
                link.query,
                audience=viewer.audience,
                kind=link.kind,
                tag=link.tag,
                limit=PAGE_LIMIT,
                **taught,
            )
    except IndexNotReady:
        return refusal(503)
    log.info(
        "results page from=%s audience=%s viewer=%s hits=%d",
        link.user or "-",
        link.audience,
        viewer.audience,
        result.total,
    )
    html = render_template("pages/results.html", **page_context(link, result, viewer, page_url))
    response = Response(html, mimetype="text/html")
    if viewer.cookie:
        response.set_cookie(oauth.VIEWER_COOKIE, viewer.cookie, max_age=oauth.VIEWER_TTL, **_cookie_flags())
    return _with_headers(response)


def identify(svc: Services, link: ResultLink, page_url: str) -> Viewer:
    """Decide what this browser may see of ``link``'s search (see the module docstring)."""
    if link.audience != "employee":
        return Viewer("client")
    settings = svc.settings
    openid = oauth.read_viewer(settings, request.cookies.get(oauth.VIEWER_COOKIE))
    if openid:
        return Viewer(_audience_of(svc, openid))
    unchecked = Viewer("client", note=texts.PAGE_INTERNAL_NOTE)
    if "state" in request.args or "code" in request.args:  # back from WeChat: never go round again
        nonce = request.cookies.get(oauth.NONCE_COOKIE, "")
        state = request.args.get("state", "")
        if not oauth.check_state(settings, state, page_url, nonce):
            log.warning("网页授权返回的 state 无效或已过期")
            return unchecked
        if not svc.store.once.claim("oauth-state", state, oauth.STATE_TTL):  # None (no Redis): refused too
            log.warning("网页授权返回的 state 已经用过（重放），或现在无法核对")
            return unchecked
        try:
            openid = oauth.exchange_code(settings, request.args.get("code", ""))
        except oauth.WebAuthError as exc:
            log.warning("网页授权失败：%s", exc)
            return unchecked
        return Viewer(_audience_of(svc, openid), cookie=oauth.viewer_cookie(settings, openid))
    if oauth.possible(settings, request.user_agent.string):
        nonce = oauth.new_nonce()
        state = oauth.make_state(settings, page_url, nonce)
        return Viewer(redirect=oauth.authorize_url(settings, page_url, state), nonce=nonce)
    return unchecked


def _audience_of(svc: Services, openid: str) -> str:
    role = role_of(svc.settings, svc.store, openid)
    return "employee" if role in ("employee", "admin") else "client"


def page_context(link: ResultLink, result, viewer: Viewer, page_url: str) -> dict:
    """Everything the template shows, prepared and escaped where it mixes markup and text."""
    label = shorten(link.query, 30)
    hits = [hit_view(h, share_kit(link, h)) for h in result.hits]
    notes = []  # said like the bot says it
    if result.corrected:
        notes.append(texts.CORRECTED.format(corrected=shorten(result.corrected, 20)).strip("（）"))
    if not hits:
        notes.append(texts.NOTHING.format(query=label))
    elif result.weak:
        notes.append(texts.WEAK.format(query=label).rstrip("：") + "。")
    if viewer.note:
        notes.append(viewer.note)
    filters = [texts.KIND_NAMES[link.kind]] if link.kind else []
    if link.tag and link.tag != link.query:
        filters.append("#" + link.tag)
    title = f"「{label}」的搜索结果（{result.total} 条）"
    return {
        "title": title,
        "query": label,
        "total": result.total,
        "filters": filters,
        "notes": notes,
        "hits": hits,
        "description": shorten("；".join(h["title"] for h in hits[:3]) or title, 120),
        "image": next((h.cover for h in result.hits if h.cover.startswith("https://")), ""),
        "page_url": page_url,
        "hours": max(1, round(services().settings.result_link_ttl / 3600)),
    }


def share_kit(link: ResultLink, hit) -> str:
    """The 分享 button's kit page for an employee's search (public hits only; a client's search has none)."""
    if link.audience != "employee" or hit.visibility != "public" or not shares.is_web_url(hit.url):
        return ""
    token = shares.make_kit_token(services().settings.secret_key, shares.KitLink(hit.id, link.user, counts=True))
    return f"/k/{token}"


def hit_view(hit, kit: str = "") -> dict:
    """One hit as the template shows it (``kit``: its share-kit page, if it may be shared)."""
    return {
        "kit": kit,
        "title": hit.title,
        "url": hit.url if urlsplit(hit.url).scheme in ("http", "https") else "",
        "kind": texts.KIND_NAMES.get(hit.kind, ""),
        "internal": hit.visibility == "internal",
        "tags": list(hit.tags[:MAX_TAGS]),
        "date": hit.date,
        "snippet": marked(hit.snippet, hit.highlights),
    }


@bp.context_processor
def company() -> dict:
    """Whose page this is, on every page (results, expired, invalid): account name, follow QR code, contact."""
    svc = services()
    settings = svc.settings
    return {
        "company": {
            "name": settings.account_name or settings.company_name,
            "qr": settings.account_qr_url,
            "contact": contact_line(svc),
        }
    }


def refusal(status: int) -> Response:
    """A friendly page for a link that cannot be shown (403 tampered, 410 expired, 503 no index, other errors)."""
    heading, message = REFUSALS.get(status, REFUSALS[500])
    html = render_template("pages/refused.html", title=heading, heading=heading, message=message)
    return _with_headers(Response(html, status=status, mimetype="text/html"))


def _cookie_flags() -> dict:
    secure = services().settings.public_base_url.startswith("https://") or request.is_secure
    return {"path": "/r/", "httponly": True, "samesite": "Lax", "secure": secure}


def _with_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response
