"""The WeChat server protocol: signatures, timestamps, the three message modes, reply sealing.

Official docs: 接入指南 (GET verification, ``signature`` = sha1 of sorted token/timestamp/nonce) and
消息加解密说明 (``encrypt_type=aes``, ``msg_signature`` = sha1 of sorted token/timestamp/nonce/Encrypt).

``signature`` covers only token, timestamp and nonce — not the body — so in plaintext mode a body
is as good as the (timestamp, nonce) it arrives with. Hence: in compatible and safe mode
(``WECHAT_MESSAGE_MODE``) only the encrypted part counts, which ``msg_signature`` does cover, and
a push without it is refused; in every mode each (timestamp, nonce) is accepted once
(``bot.store.messages``), within ``REPLAY_WINDOW`` of now; with ``WECHAT_ACCOUNT_ID`` set, a
message must be addressed to that account.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot.wechat import cipher, safexml
from bot.wechat.errors import BadRequest, Refused
from config.settings import Settings

__all__ = ["MAX_BODY", "BadRequest", "Codec", "Envelope", "Handshake", "Refused", "check_signature", "sign"]

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_NONCE = 64
XML_CONTENT_TYPES = ("text/xml", "application/xml")
ENCRYPT_TYPES = ("raw", "aes")  # absent means raw (plaintext mode)


@dataclass(frozen=True)
class Handshake:
    """A verified GET: the ``echostr`` to give back and the (timestamp, nonce) it used."""

    echostr: str
    timestamp: str
    nonce: str


@dataclass(frozen=True)
class Envelope:
    """A verified, decrypted push: the message XML and how to seal the reply."""

    xml: str
    encrypted: bool
    timestamp: str
    nonce: str
    fingerprint: str  # what the signature covered: a resend of the same request has the same one
    key_number: int = 0  # which EncodingAESKey opened it (0 current, 1 previous): the reply uses the same


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(signature: str | None, token: str, *parts: str) -> None:
    """Raise InvalidSignatureException unless ``signature`` signs token and parts."""
    if not signature or not hmac.compare_digest(signature.encode("utf-8"), sign(token, *parts).encode("utf-8")):
        raise InvalidSignatureException()


class Codec:
    """Verifies and opens WeChat pushes and seals our replies, with key rotation."""

    def __init__(self, settings: Settings):
        self.token = settings.wechat_token
        self.window = settings.replay_window
        self.mode = settings.wechat_message_mode
        self.account = settings.wechat_account_id
        self.appid = settings.wechat_appid
        keys = [k for k in (settings.wechat_aes_key, settings.wechat_aes_key_previous) if k]
        self.keys = [cipher.aes_key(k) for k in keys]
        self.cryptos = [WeChatCrypto(self.token, k, self.appid) for k in keys]

    def verify_url(self, args, now: float | None = None) -> Handshake:
        """Check the GET handshake (signature and timestamp); ``echostr`` is plain even in safe mode."""
        timestamp, nonce = self._stamp(args)
        check_signature(args.get("signature"), self.token, timestamp, nonce)
        self._check_time(timestamp, now)
        return Handshake(args.get("echostr", ""), timestamp, nonce)

    def open(self, args, body: bytes, now: float | None = None) -> Envelope:
        """Verify a POST and return its message XML; raise InvalidSignatureException/Refused/BadRequest."""
        timestamp, nonce = self._stamp(args)
        encrypt_type = args.get("encrypt_type", "raw")
        if encrypt_type not in ENCRYPT_TYPES:
            # WeChat sends exactly these: a variant such as "AES" is not from WeChat, so it is refused, not guessed at.
            raise BadRequest(f"unknown encrypt_type {encrypt_type[:20]!r}")
        if encrypt_type == "raw":
            if self.mode != "plain":
                check_signature(args.get("signature"), self.token, timestamp, nonce)
                raise Refused(f"plaintext push refused: WECHAT_MESSAGE_MODE={self.mode} counts only the encrypted part")
            check_signature(args.get("signature"), self.token, timestamp, nonce)
            self._check_time(timestamp, now)
            xml = safexml.decode(body)
            root = safexml.parse(xml)
            return self._addressed(root, Envelope(xml, False, timestamp, nonce, _digest(body)))
        encrypt = safexml.parse(safexml.decode(body)).findtext("Encrypt")
        if not encrypt:
            # Authenticate before saying anything about the body.
            check_signature(args.get("signature"), self.token, timestamp, nonce)
            raise Refused("encrypt_type=aes without <Encrypt>: only the encrypted part counts")
        check_signature(args.get("msg_signature"), self.token, timestamp, nonce, encrypt)
        self._check_time(timestamp, now)
        xml, key_number = self._decrypt(encrypt)
        envelope = Envelope(xml, True, timestamp, nonce, _digest(encrypt.encode("utf-8")), key_number)
        return self._addressed(safexml.parse(xml), envelope)

    def seal(self, envelope: Envelope, reply_xml: str) -> str:
        """Encrypt a reply when the request was encrypted; ``success`` always stays plain."""
        if not envelope.encrypted or reply_xml in ("", "success") or not self.cryptos:
            return reply_xml
        crypto = self.cryptos[envelope.key_number]
        return crypto.encrypt_message(reply_xml, envelope.nonce, str(int(time.time())))

    @staticmethod
    def _stamp(args) -> tuple[str, str]:
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if not nonce or len(nonce) > MAX_NONCE:
            raise Refused("missing or oversized nonce")
        return timestamp, nonce

    def _check_time(self, timestamp: str, now: float | None) -> None:
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            raise Refused("timestamp is not a number")
        sent = int(timestamp)
        if abs((now or time.time()) - sent) > self.window:
            raise Refused(f"timestamp {sent} outside the {self.window}s window")

    def _addressed(self, root, envelope: Envelope) -> Envelope:
        # Only the authenticated XML says where a message was sent: the inner one in safe mode.
        if self.account and not hmac.compare_digest(
            (root.findtext("ToUserName") or "").encode("utf-8"), self.account.encode("utf-8")
        ):
            raise Refused("ToUserName is not WECHAT_ACCOUNT_ID")
        return envelope

    def _decrypt(self, encrypt: str) -> tuple[str, int]:
        if not self.keys:
            raise BadRequest("encrypted push but WECHAT_AES_KEY is not set")
        reasons, mismatch = [], None
        for number, key in enumerate(self.keys):
            try:
                xml = cipher.decrypt(encrypt, key, self.appid)
            except cipher.AppIdMismatch as exc:
                mismatch = exc
                continue
            except cipher.DecryptError as exc:
                reasons.append(f"{'previous' if number else 'current'} key: {exc}")
                continue
            if number:
                log.warning("消息用旧的 EncodingAESKey 解密成功：微信后台仍在用旧密钥")
            return xml, number
        if mismatch is not None:
            raise BadRequest(
                f"消息属于 AppID {mismatch.appid}，与 WECHAT_APPID（{self.appid}）不一致：请核对 WECHAT_APPID"
            )
        raise BadRequest("cannot decrypt <Encrypt>: " + "; ".join(reasons))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
