"""The protocol floor: the least a correct WeChat webhook must do, with CaseLink's own libraries.

Check the signature and timestamp, decrypt (safe mode), parse the message, answer a fixed text,
encrypt the reply: ``bot.wechat.protocol.Codec`` (wechatpy's crypto) and ``wechatpy.parse_message`` /
``TextReply``, exactly as ``bot.wechat.webhook`` uses them, on Flask, under the same gunicorn config, but
with no search, no Redis and no conversation. ``python -m bench web`` serves it with
``gunicorn -c gunicorn.conf.py 'bench.echo_app:create_app()'`` beside the bot, so the ratio of
the two is what CaseLink adds to the cost of WeChat's protocol itself.
"""

from __future__ import annotations

import time

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply

from bot.wechat.protocol import MAX_BODY, BadRequest, Codec
from config.settings import Settings, load_settings

ECHO_TEXT = "收到"


def create_app(settings: Settings | None = None) -> Flask:
    """A Flask app with one route, ``POST /wechat``, answering every message with ``ECHO_TEXT``."""
    settings = settings or load_settings()
    codec = Codec(settings)
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY)

    @app.post("/wechat")
    def receive() -> Response:
        envelope = codec.open(request.args, request.get_data(cache=False))
        msg = parse_message(envelope.xml)
        xml = TextReply(source=msg.target, target=msg.source, time=int(time.time()), content=ECHO_TEXT).render()
        return Response(codec.seal(envelope, xml), mimetype="application/xml")

    @app.errorhandler(InvalidSignatureException)
    def forbidden(exc):
        return Response("forbidden", status=403, mimetype="text/plain")

    @app.errorhandler(BadRequest)
    def bad_request(exc):
        return Response("bad request", status=400, mimetype="text/plain")

    return app
