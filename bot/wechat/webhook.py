"""The WeChat webhook (``/wechat``): transport only — verify, decrypt, parse, hand over, seal.

Official docs: 接入概述 (GET handshake), 接收普通消息 / 接收事件推送, 消息加解密说明.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, request
from wechatpy import parse_message

from bot.chat import dispatch
from bot.services import services
from bot.wechat.protocol import XML_CONTENT_TYPES, BadRequest, Replay
from bot.wechat.render import render_xml

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)
MAX_NONCE_TTL = 2 * 86400


@bp.get("/wechat")
def verify() -> Response:
    """URL verification when the server address is saved in the account settings."""
    return Response(services().codec.verify_url(request.args), mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    """One push from WeChat: a message or an event."""
    started = time.monotonic()
    svc = services()
    if request.mimetype not in XML_CONTENT_TYPES:
        raise BadRequest(f"content type {request.mimetype!r} is not XML")
    envelope = svc.codec.open(request.args, request.get_data(cache=False))
    msg = _parse(envelope.xml)
    key = dispatch.message_key(msg)
    # A nonce must be remembered as long as its timestamp is accepted: the window on either side.
    ttl = min(2 * svc.settings.replay_window, MAX_NONCE_TTL)
    accepted, claimed = svc.store.messages.claim_request(envelope.timestamp, envelope.nonce, key, ttl=ttl)
    if not accepted:
        raise Replay("nonce already used for another message")

    handled = {}

    def work():
        reply, ctx = dispatch.process(svc, msg)
        handled["ctx"] = ctx
        return reply

    xml, outcome = svc.delivery.respond(
        key, msg.source, work, lambda reply: render_xml(reply, msg.source, msg.target), claimed=claimed
    )
    if outcome != "retry":  # a retry is the same message again, already counted
        svc.metrics.count_message(msg.type, msg.event if msg.type == "event" else "")
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


def _parse(xml: str):
    try:
        msg = parse_message(xml)
    except Exception as exc:  # xmltodict/expat and missing fields surface as many types
        raise BadRequest(f"not a WeChat message: {type(exc).__name__}") from None
    if msg is None or not msg.source or not msg.type:
        raise BadRequest("message without FromUserName or MsgType")
    return msg
