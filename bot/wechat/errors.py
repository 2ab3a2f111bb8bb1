"""What can be wrong with a push, as the exceptions ``bot.web.errors`` turns into HTTP answers.

BadRequest              400  not a well-formed WeChat push (or one we cannot read)
InvalidSignatureException (wechatpy)  403  not from WeChat
└── Refused             403  signed, but refused: a replay, a stale timestamp, plaintext in safe mode …
"""

from __future__ import annotations

from wechatpy.exceptions import InvalidSignatureException


class BadRequest(Exception):
    """The request is not a well-formed WeChat push (HTTP 400)."""


class Refused(InvalidSignatureException):
    """A request that must not be acted on although it may be correctly signed (HTTP 403)."""

    def __init__(self, reason: str):
        super().__init__(errmsg=reason)
