"""An independent WeChat-server side for tests: signs, encrypts and posts pushes, and opens replies.

Written from the official docs (接入指南, 消息加解密说明) with ``cryptography`` only — deliberately
not with wechatpy or anything in ``bot/`` — so the tests check our wechatpy-based server against a
second implementation:

- signature = sha1 of the sorted, concatenated strings (token, timestamp, nonce[, Encrypt])
- AES key = base64decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = key[:16]
- plaintext = 16 random bytes + 4-byte big-endian length of the XML + XML + appid,
  padded PKCS#7-style to a multiple of 32 bytes (WeChat's block size for padding, not AES's 16)
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from itertools import count

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32
_ids = count(int(time.time() * 1000) * 1000)


def signature(*parts: str) -> str:
    """WeChat's sha1 over the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def aes_key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    assert len(key) == 32
    return key


def encrypt(xml: str | bytes, encoding_aes_key: str, appid: str, random16: bytes | None = None) -> str:
    """The Encrypt value for ``xml`` (text, or raw bytes to test odd encodings) as WeChat builds it."""
    key = aes_key(encoding_aes_key)
    body = xml.encode("utf-8") if isinstance(xml, str) else xml
    plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + appid.encode("utf-8")
    pad = PAD_BLOCK - len(plain) % PAD_BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt(encrypted: str, encoding_aes_key: str) -> tuple[str, str]:
    """Open an Encrypt value: return (xml, appid)."""
    key = aes_key(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode("utf-8"), plain[20 + length :].decode("utf-8")


def xml_fields(xml: str) -> dict:
    """A flat dict of an <xml> document's children; news articles as a list under "Articles"."""
    root = ET.fromstring(xml)
    out: dict = {}
    for child in root:
        if child.tag == "Articles":
            out["Articles"] = [{f.tag: (f.text or "") for f in item} for item in child]
        else:
            out[child.tag] = child.text or ""
    return out


def message_xml(fields: dict) -> str:
    """Build a push XML the way WeChat lays it out (text in CDATA, numbers bare)."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


@dataclass
class Reply:
    """What came back for one push, decrypted and checked."""

    status: int
    body: str
    fields: dict = field(default_factory=dict)
    encrypted: bool = False

    @property
    def success(self) -> bool:
        return self.status == 200 and self.body in ("success", "")

    @property
    def text(self) -> str:
        assert self.fields.get("MsgType") == "text", self.fields or self.body
        return self.fields["Content"]

    @property
    def article(self) -> dict:
        assert self.fields.get("MsgType") == "news", self.fields or self.body
        assert self.fields["ArticleCount"] == "1"
        return self.fields["Articles"][0]


@dataclass
class WeChatServer:
    """Plays the WeChat server against a Flask test client (or anything with ``.post``/``.get``)."""

    client: object
    token: str
    encoding_aes_key: str = ""
    appid: str = ""
    account: str = "gh_caselink"
    path: str = "/wechat"
    mode: str = ""  # how pushes are sent unless a call says otherwise: safe when there is a key, else plain

    @property
    def default_mode(self) -> str:
        return self.mode or ("safe" if self.encoding_aes_key else "plain")

    def query(self, *, encrypt_part: str | None = None, timestamp: int | None = None, nonce: str | None = None) -> dict:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        args = {"timestamp": ts, "nonce": nonce, "signature": signature(self.token, ts, nonce)}
        if encrypt_part is not None:
            args.update(encrypt_type="aes", msg_signature=signature(self.token, ts, nonce, encrypt_part))
        return args

    def verify(self, echostr: str = "hello", **kw):
        args = self.query(**kw)
        args["echostr"] = echostr
        return self.client.get(self.path, query_string=args)

    def post_xml(
        self, xml: str, mode: str | None = None, *, timestamp=None, nonce=None, args=None, headers=None
    ) -> Reply:
        """Send a push in ``plain``, ``compat`` (plaintext + Encrypt) or ``safe`` (Encrypt only) mode."""
        mode = mode or self.default_mode
        query, body = self.prepare(xml, mode, timestamp=timestamp, nonce=nonce)
        return self.send(args or query, body, mode != "plain", content_type=(headers or {}).get("Content-Type"))

    def prepare(self, xml: str, mode: str | None = None, *, timestamp=None, nonce=None) -> tuple[dict, bytes]:
        """The query and body of one push, as WeChat builds them (to send, resend or tamper with)."""
        mode = mode or self.default_mode
        if mode == "plain":
            return self.query(timestamp=timestamp, nonce=nonce), xml.encode("utf-8")
        encrypted = encrypt(xml, self.encoding_aes_key, self.appid)
        query = self.query(encrypt_part=encrypted, timestamp=timestamp, nonce=nonce)
        if mode == "safe":
            to_user = xml_fields(xml).get("ToUserName", self.account)
            body = (
                f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        else:
            body = xml[: xml.rindex("</xml>")] + f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return query, body.encode("utf-8")

    def send(self, query: dict, body: bytes, encrypted: bool | None = None, content_type: str | None = None) -> Reply:
        """POST a prepared push; the reply is opened like WeChat opens it."""
        encrypted = query.get("encrypt_type") == "aes" if encrypted is None else encrypted
        res = self.client.post(self.path, query_string=query, data=body, content_type=content_type or "text/xml")
        return self.open_reply(res.status_code, res.get_data(as_text=True), query["nonce"], encrypted)

    def open_reply(self, status: int, body: str, nonce: str, encrypted: bool) -> Reply:
        """Check and decrypt a reply like WeChat does; plain replies are parsed as they are."""
        if status != 200 or body in ("success", ""):
            return Reply(status, body)
        outer = xml_fields(body)
        if not encrypted:
            return Reply(status, body, outer)
        assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}, outer
        assert outer["MsgSignature"] == signature(self.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
        xml, appid = decrypt(outer["Encrypt"], self.encoding_aes_key)
        assert appid == self.appid
        return Reply(status, xml, xml_fields(xml), encrypted=True)

    # --- convenience: messages as users send them -----------------------------------------

    def text(self, user: str, content: str, mode: str | None = None, msg_id: int | None = None, **kw) -> Reply:
        return self.post_xml(self.text_xml(user, content, msg_id), mode, **kw)

    def text_xml(self, user: str, content: str, msg_id: int | None = None) -> str:
        return message_xml(
            {
                "ToUserName": self.account,
                "FromUserName": user,
                "CreateTime": int(time.time()),
                "MsgType": "text",
                "Content": content,
                "MsgId": msg_id or next(_ids),
            }
        )

    def link(self, user: str, url: str, title: str = "", description: str = "", mode: str | None = None, **kw) -> Reply:
        """A forwarded article (``MsgType`` link), as WeChat delivers it."""
        fields = {
            "ToUserName": self.account,
            "FromUserName": user,
            "CreateTime": int(time.time()),
            "MsgType": "link",
            "Title": title,
            "Description": description,
            "Url": url,
            "MsgId": next(_ids),
        }
        return self.post_xml(message_xml(fields), mode, **kw)

    def event(self, user: str, event: str, key: str | None = None, mode: str | None = None, create_time=None, **kw):
        fields = {
            "ToUserName": self.account,
            "FromUserName": user,
            "CreateTime": create_time or int(time.time()),
            "MsgType": "event",
            "Event": event,
        }
        if key is not None:
            fields["EventKey"] = key
        return self.post_xml(message_xml(fields), mode, **kw)


class HttpClient:
    """The Flask-test-client calls WeChatServer uses, over real HTTP to a running server."""

    def __init__(self, base_url: str):
        import requests

        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def _wrap(self, res):
        res.encoding = "utf-8"
        res.get_data = lambda as_text=True: res.text
        return res

    def get(self, path: str, query_string=None):
        return self._wrap(self.session.get(self.base_url + path, params=query_string, timeout=10))

    def post(self, path: str, query_string=None, data=b"", content_type="text/xml"):
        headers = {"Content-Type": content_type}
        return self._wrap(
            self.session.post(self.base_url + path, params=query_string, data=data, headers=headers, timeout=10)
        )
