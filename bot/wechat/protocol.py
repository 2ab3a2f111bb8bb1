"""The WeChat server protocol: signatures, timestamps, the three encryption modes, reply sealing.

Official docs: 接入指南 (GET verification, ``signature`` = sha1 of sorted token/timestamp/nonce) and
消息加解密说明 (``encrypt_type=aes``, ``msg_signature`` = sha1 of sorted token/timestamp/nonce/Encrypt,
AES-256-CBC of 16 random bytes + length + xml + appid). Compatible mode differs from safe mode only
in also carrying plaintext fields, which we ignore: with ``encrypt_type=aes`` only Encrypt counts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from config.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
XML_CONTENT_TYPES = ("text/xml", "application/xml")


class BadRequest(Exception):
    """The request is not a well-formed WeChat push (HTTP 400)."""


class Replay(InvalidSignatureException):
    """A correctly signed request outside the time window or with a used nonce (HTTP 403)."""

    def __init__(self, reason: str):
        super().__init__(errmsg=reason)


@dataclass(frozen=True)
class Envelope:
    """A verified, decrypted push: the message XML and how to seal the reply."""

    xml: str
    encrypted: bool
    timestamp: str
    nonce: str
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
        self.cryptos = [
            WeChatCrypto(self.token, key, settings.wechat_appid)
            for key in (settings.wechat_aes_key, settings.wechat_aes_key_previous)
            if key
        ]

    def verify_url(self, args) -> str:
        """Answer the GET handshake: return ``echostr`` (plain even in safe mode) if the signature holds."""
        check_signature(args.get("signature"), self.token, args.get("timestamp", ""), args.get("nonce", ""))
        return args.get("echostr", "")

    def open(self, args, body: bytes, now: float | None = None) -> Envelope:
        """Verify a POST and return its message XML; raise InvalidSignatureException/Replay/BadRequest."""
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        encrypted = args.get("encrypt_type", "raw").lower() == "aes"
        if not encrypted:
            check_signature(args.get("signature"), self.token, timestamp, nonce)
        root = _parse_xml(body)
        if encrypted:
            encrypt = root.findtext("Encrypt")
            if not encrypt:
                # Still authenticate before saying anything about the body.
                check_signature(args.get("signature"), self.token, timestamp, nonce)
                raise BadRequest("encrypt_type=aes but no <Encrypt>")
            check_signature(args.get("msg_signature"), self.token, timestamp, nonce, encrypt)
        self._check_time(timestamp, now)
        if not encrypted:
            return Envelope(body.decode("utf-8"), False, timestamp, nonce)
        xml, key_number = self._decrypt(encrypt, args.get("msg_signature"), timestamp, nonce)
        _parse_xml(xml.encode("utf-8"))
        return Envelope(xml, True, timestamp, nonce, key_number)

    def seal(self, envelope: Envelope, reply_xml: str) -> str:
        """Encrypt a reply when the request was encrypted; ``success`` always stays plain."""
        if not envelope.encrypted or reply_xml in ("", "success") or not self.cryptos:
            return reply_xml
        crypto = self.cryptos[envelope.key_number]
        return crypto.encrypt_message(reply_xml, envelope.nonce, str(int(time.time())))

    def _check_time(self, timestamp: str, now: float | None) -> None:
        try:
            sent = int(timestamp)
        except ValueError:
            raise Replay("timestamp is not a number") from None
        if abs((now or time.time()) - sent) > self.window:
            raise Replay(f"timestamp {sent} outside the {self.window}s window")

    def _decrypt(self, encrypt: str, signature: str, timestamp: str, nonce: str) -> tuple[str, int]:
        if not self.cryptos:
            raise BadRequest("encrypted push but WECHAT_AES_KEY is not set")
        for number, crypto in enumerate(self.cryptos):
            try:
                xml = crypto.decrypt_message({"Encrypt": encrypt}, signature, timestamp, nonce)
            except Exception as exc:  # wechatpy raises anything from ValueError to struct.error here
                log.debug("decrypt with key %d failed: %r", number, exc)
                continue
            if number:
                log.warning("消息用旧的 EncodingAESKey 解密成功：微信后台仍在用旧密钥")
            return xml, number
        raise BadRequest("cannot decrypt <Encrypt> with the current or previous EncodingAESKey")


def _parse_xml(body: bytes) -> ET.Element:
    # WeChat never sends a DTD; refusing one closes the door on entity expansion tricks.
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise BadRequest("DTDs are not accepted")
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"malformed XML: {exc}") from None
    if root.tag != "xml":
        raise BadRequest(f"root element is <{root.tag}>, not <xml>")
    return root
