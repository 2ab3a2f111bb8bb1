"""``python -m bot chat``: play the WeChat server from a terminal.

Each line you type becomes a text message from one openid, signed (and with ``--encrypt``
encrypted) exactly as WeChat does it, posted to a running bot or to an in-process app; the reply
is verified, decrypted and printed readably: links as ``标题 <url>``, cards as boxes.
"""

from __future__ import annotations

import random
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from wechatpy.crypto import WeChatCrypto

from bot.wechat.protocol import sign

Transport = Callable[[dict, bytes], tuple[int, str]]
LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
BOX_WIDTH = 44
HELP = """命令：/user OPENID 换一个用户　/event subscribe|unsubscribe　/click KEY　/quit 退出
其余每一行都作为文字消息发送。"""


@dataclass
class Simulator:
    """A WeChat server stand-in bound to one token/key/appid and a transport."""

    transport: Transport
    token: str
    aes_key: str = ""
    appid: str = ""
    encrypt: bool = False
    user: str = "o-simulator-user"
    account: str = "gh_caselink_dev"
    _msg_id: int = field(default_factory=lambda: int(time.time() * 1000) * 1000)

    def text(self, content: str) -> str:
        """Send one text message; return the reply rendered for a terminal."""
        self._msg_id += 1
        return self.send(
            {"MsgType": "text", "Content": content, "MsgId": str(self._msg_id)},
        )

    def event(self, event: str, key: str | None = None) -> str:
        """Send an event (subscribe, unsubscribe, CLICK with a menu key, ...)."""
        fields = {"MsgType": "event", "Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self.send(fields)

    def send(self, fields: dict[str, str]) -> str:
        """Build, sign, optionally encrypt and post one push; render the reply."""
        xml = _to_xml(
            {"ToUserName": self.account, "FromUserName": self.user, "CreateTime": str(int(time.time())), **fields}
        )
        timestamp, nonce = str(int(time.time())), str(random.randrange(10**9))
        query = {"timestamp": timestamp, "nonce": nonce, "signature": sign(self.token, timestamp, nonce)}
        crypto = WeChatCrypto(self.token, self.aes_key, self.appid) if self.encrypt else None
        if crypto:
            sealed = ET.fromstring(crypto.encrypt_message(xml, nonce, timestamp))
            encrypted = sealed.findtext("Encrypt")
            query.update(encrypt_type="aes", msg_signature=sealed.findtext("MsgSignature"))
            xml = _to_xml({"ToUserName": self.account, "Encrypt": encrypted})
        status, body = self.transport(query, xml.encode("utf-8"))
        if status != 200:
            return f"[HTTP {status}] {body.strip()}"
        if body.strip() in ("", "success"):
            return "（没有被动回复：答案会通过客服消息推送，或本来就无需回复）"
        if crypto:
            outer = ET.fromstring(body)
            body = crypto.decrypt_message(
                body, outer.findtext("MsgSignature"), outer.findtext("TimeStamp"), outer.findtext("Nonce")
            )
        return render(body)


def render(reply_xml: str) -> str:
    """A passive-reply XML as terminal text: links as ``标题 <url>``, news articles as boxes."""
    root = ET.fromstring(reply_xml)
    kind = root.findtext("MsgType")
    if kind == "text":
        return LINK.sub(lambda m: f"{m.group(2)} <{m.group(1)}>", root.findtext("Content") or "")
    if kind == "news":
        return "\n".join(_box(item) for item in root.iter("item"))
    return reply_xml


def _box(item: ET.Element) -> str:
    lines = [item.findtext("Title") or "", *_wrap(item.findtext("Description") or "")]
    lines += [f"链接：{item.findtext('Url')}"]
    if item.findtext("PicUrl"):
        lines.append(f"封面：{item.findtext('PicUrl')}")
    top = "┌" + "─" * BOX_WIDTH
    return "\n".join([top, *("│ " + line for line in lines), "└" + "─" * BOX_WIDTH])


def _wrap(text: str, width: int = 20) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or []


def _to_xml(fields: dict[str, str]) -> str:
    parts = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{parts}</xml>"


def http_transport(url: str) -> Transport:
    """Post to a running bot at ``url`` (e.g. http://127.0.0.1:8000/wechat)."""
    import requests

    session = requests.Session()

    def post(query: dict, body: bytes) -> tuple[int, str]:
        res = session.post(url, params=query, data=body, headers={"Content-Type": "text/xml"}, timeout=10)
        res.encoding = "utf-8"
        return res.status_code, res.text

    return post


def app_transport(app) -> Transport:
    """Post to an in-process app through Flask's test client."""
    client = app.test_client()

    def post(query: dict, body: bytes) -> tuple[int, str]:
        res = client.post("/wechat", query_string=query, data=body, content_type="text/xml")
        return res.status_code, res.get_data(as_text=True)

    return post


def repl(sim: Simulator, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
    """Read lines until EOF or /quit, send each, print each reply."""
    write(HELP)
    while True:
        try:
            line = read(f"{sim.user}> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if not line:
            continue
        command, _, arg = line.partition(" ")
        if command == "/quit":
            return
        if command == "/user" and arg:
            sim.user = arg.strip()
            continue
        try:
            if command == "/event" and arg:
                out = sim.event(arg.strip())
            elif command == "/click" and arg:
                out = sim.event("CLICK", arg.strip())
            else:
                out = sim.text(line)
        except OSError as exc:
            out = f"[发送失败] {exc}"
        write(out + "\n")
