"""A verified push as a wechatpy message, and the key that tells its retries from new messages.

Official docs 接收普通消息 / 接收事件推送: WeChat retries a push it got no answer to; messages are
de-duplicated by ``MsgId``, events by ``FromUserName`` + ``CreateTime``. Both are keyed with the
sender too (a ``MsgId`` is not unique across users in any document WeChat gives), and events also
with ``Event`` and ``EventKey``: two menu clicks in one second are two events.
"""

from __future__ import annotations

import hashlib

from wechatpy import parse_message

from bot.wechat.errors import BadRequest


def parse(xml: str):
    """The wechatpy message for ``xml`` (already checked by ``safexml``); BadRequest if it is not one."""
    try:
        msg = parse_message(xml)
    except Exception as exc:  # xmltodict/expat and missing fields surface as many types
        raise BadRequest(f"not a WeChat message: {type(exc).__name__}") from None
    if msg is None or not isinstance(msg.source, str) or not msg.source or not isinstance(msg.type, str):
        raise BadRequest("message without FromUserName or MsgType")
    try:
        numbers = (msg.id, msg.time)
    except (TypeError, ValueError):
        numbers = None
    if numbers is None or not all(isinstance(n, int) and 0 <= n < 2**64 for n in numbers):
        raise BadRequest("MsgId or CreateTime is not a number")
    return msg


def message_key(msg) -> str:
    """The de-duplication key: sender + MsgId for messages, sender + time + event + key for events."""
    if msg.type == "event":
        parts = ("event", msg.source, str(msg.time), msg.event or "", _text(getattr(msg, "key", "")))
    elif msg.id:
        parts = ("msg", msg.source, str(msg.id))
    else:
        parts = ("untracked", msg.source, str(msg.time), msg.type)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _text(value) -> str:
    return value if isinstance(value, str) else ""
