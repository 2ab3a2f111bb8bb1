"""Opening WeChat's ``Encrypt`` value, saying exactly what is wrong when it cannot be opened.

Official doc 消息加解密说明: AES key = base64(EncodingAESKey + "="), AES-256-CBC with IV = key[:16];
the plaintext is 16 random bytes + a 4-byte big-endian length + the XML + the AppID, padded
PKCS#7-style to a multiple of 32 bytes. wechatpy's decrypt raises anything from ``ValueError`` to
``struct.error`` and hides the reason; an AppID mismatch in particular is a configuration error
an operator must be told about as such.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32


class DecryptError(Exception):
    """``Encrypt`` could not be opened with this key."""


class AppIdMismatch(DecryptError):
    """The key opened the message, but it was sealed for another AppID."""

    def __init__(self, appid: str):
        super().__init__(f"sealed for AppID {appid!r}")
        self.appid = appid


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key an EncodingAESKey stands for."""
    return base64.b64decode(encoding_aes_key + "=")


def decrypt(encrypt: str, key: bytes, appid: str) -> str:
    """The XML inside ``encrypt``; raise AppIdMismatch or DecryptError with the reason."""
    try:
        data = base64.b64decode(encrypt, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptError("Encrypt is not base64") from None
    if not data or len(data) % 16:
        raise DecryptError(f"Encrypt is {len(data)} bytes, not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise DecryptError("bad padding (another EncodingAESKey?)")
    content = plain[16:-pad]
    if len(content) < 4:
        raise DecryptError("too short to hold a message")
    (length,) = struct.unpack(">I", content[:4])
    if 4 + length > len(content):
        raise DecryptError("the length field points past the end (another EncodingAESKey?)")
    xml, sender = content[4 : 4 + length], content[4 + length :]
    if not hmac.compare_digest(sender, appid.encode("utf-8")):
        raise AppIdMismatch(sender.decode("utf-8", "replace"))
    try:
        return xml.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptError("the message inside is not UTF-8") from None
