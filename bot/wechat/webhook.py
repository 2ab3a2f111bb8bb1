"""The WeChat webhook (``/wechat``): transport only — verify, decrypt, parse, hand over, seal.

Official docs: 接入概述 (GET handshake), 接收普通消息 / 接收事件推送, 消息加解密说明.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, request

from bot.chat import dispatch
from bot.services import services
from bot.store import Unit
from bot.store.messages import NEW, REPLAY
from bot.wechat import inbound
from bot.wechat.protocol import XML_CONTENT_TYPES, BadRequest, Refused
from bot.wechat.render import render_xml

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)
MAX_NONCE_TTL = 2 * 86400


def remember_for(replay_window: int) -> int:
    """How long a nonce and a message's reply are kept: as long as a timestamp is accepted, either side."""
    return min(2 * replay_window, MAX_NONCE_TTL)


@bp.get("/wechat")
def verify() -> Response:
    """URL verification when the server address is saved in the account settings."""
    svc = services()
    handshake = svc.codec.verify_url(request.args)
    # The URL's signature is valid for any body of a plaintext push: it must not be usable again.
    ttl = remember_for(svc.settings.replay_window)
    if svc.store.messages.claim(handshake.timestamp, handshake.nonce, "GET", None, ttl) != NEW:
        raise Refused("nonce already used")
    return Response(handshake.echostr, mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    """One push from WeChat: a message or an event."""
    started = time.monotonic()
    svc = services()
    if request.mimetype not in XML_CONTENT_TYPES:
        raise BadRequest(f"content type {request.mimetype!r} is not XML")
    envelope = svc.codec.open(request.args, request.get_data(cache=False))
    msg = inbound.parse(envelope.xml)
    key = inbound.message_key(msg)
    ttl = remember_for(svc.settings.replay_window)
    # One round trip: the claim, and for a new message everything handling it reads (bot.store).
    reads = svc.store.message_reads(
        msg.source or "", take_pending=dispatch.takes_pending(msg), query_key=dispatch.likely_query_key(msg)
    )
    claim = svc.store.messages.claim(envelope.timestamp, envelope.nonce, envelope.fingerprint, key, ttl, reads)
    if claim == REPLAY:
        raise Refused("nonce already used for another request")

    handled = {}

    def work():
        reply, ctx = dispatch.process(svc, msg)
        handled["ctx"] = ctx
        return reply

    if claim == NEW:
        unit = Unit(svc.store.messages.read_for_claim())
        xml, outcome = svc.delivery.respond(
            key, msg.source, unit, work, lambda r: render_xml(r, msg.source, msg.target)
        )
        svc.metrics.count_message(msg.type, msg.event if msg.type == "event" else "")
    else:  # a retry is the same message again, already counted
        xml, outcome = svc.delivery.answer_retry(key), "retry"
    if outcome == "late":
        svc.metrics.deadline_misses.inc()
    ctx = handled.get("ctx")
    log.info(
        "message user=%s type=%s latency_ms=%.0f hits=%s outcome=%s",
        svc.user_hash(msg.source),
        msg.event if msg.type == "event" else msg.type,
        (time.monotonic() - started) * 1000,
        "-" if ctx is None or ctx.hits is None else ctx.hits,
        outcome,
    )
    body = svc.codec.seal(envelope, xml)
    return Response(body, mimetype="text/plain" if body == "success" else "application/xml")
