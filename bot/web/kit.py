"""``/k/<token>``: one document's share kit on a phone — 朋友圈, 微博, 小红书, a short-video script and a
private message, each with a copy button.

Server-rendered in one request; the only script is the copy button's, allowed by a per-response
nonce in the Content-Security-Policy (nothing else may run). The document is looked up as a client
sees the index, whoever opens the page: internal or removed content shows no kit.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, render_template, request

from bot import shares, texts
from bot.links import LinkRefused
from bot.services import services
from bot.web.results import company, refusal
from config.errors import IndexNotReady
from creative import weibo_length

log = logging.getLogger(__name__)

bp = Blueprint("kit", __name__)
bp.context_processor(company)  # the kit, gone and refused pages say whose they are, as results pages do

GONE = ("内容已下线", "这篇内容已经下线，或只供内部参考，不能分享。请在公众号里重新搜索。")


@bp.get("/k/<token>")
def kit_page(token: str) -> Response:
    """The share kit behind a signed kit link."""
    svc = services()
    try:
        link = shares.read_kit_token(svc.settings.secret_key, token)
    except LinkRefused as exc:
        log.info("分享页链接被拒绝（%s）", exc)
        return refusal(exc.status)
    try:
        searcher = svc.index.searcher()
        hit = searcher.get(link.doc_id, audience="client")
        body = searcher.body(link.doc_id, audience="client")
    except IndexNotReady:
        return refusal(503)
    if hit is None or body is None or not shares.is_web_url(hit.url):
        html = render_template("pages/refused.html", title=GONE[0], heading=GONE[0], message=GONE[1])
        return _secured(Response(html, status=404, mimetype="text/html"), "")
    base = svc.settings.public_base_url or request.host_url.rstrip("/")
    kit = shares.kit_for(svc, hit, body, link.sharer, base)
    if link.counts and link.sharer:  # the 分享 button of a results page (chat counts its own kits)
        svc.store.shares.record_share(hit.id, link.sharer, "", hit.title)
    nonce = secrets.token_urlsafe(16)
    html = render_template(
        "pages/kit.html",
        title=kit.title,
        kind=texts.KIND_NAMES.get(hit.kind, "内容"),
        date=hit.date,
        url=hit.url,
        forms=kit.forms(),
        weibo_length=weibo_length(kit.weibo),
        note="",
        nonce=nonce,
    )
    return _secured(Response(html, mimetype="text/html"), nonce)


def _secured(response: Response, nonce: str) -> Response:
    script = f"script-src 'nonce-{nonce}'; " if nonce else ""
    response.headers.update(
        {
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "strict-origin-when-cross-origin",  # the token stays on this site
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                f"default-src 'none'; {script}style-src 'unsafe-inline'; img-src 'self' https: data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            ),
        }
    )
    return response
