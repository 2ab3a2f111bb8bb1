"""Reading a request body as XML before anything else looks at it: UTF-8 only, no DTDs, no entities.

WeChat sends UTF-8 XML without a DTD (消息加解密说明, 接收普通消息). ``defusedxml`` refuses a DTD or an
entity declaration whatever encoding the document claims (a UTF-16 body cannot smuggle one past a
byte check), and the body is decoded as strict UTF-8 first, so the text we check is exactly the
text wechatpy's parser reads afterwards.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.wechat.errors import BadRequest


def decode(body: bytes) -> str:
    """The body as text; BadRequest unless it is valid UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None


def parse(text: str) -> ET.Element:
    """Parse one ``<xml>`` document; BadRequest for DTDs, entities, malformed XML or another root."""
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BadRequest(f"DTDs and entities are not accepted ({type(exc).__name__})") from None
    except (ET.ParseError, ValueError, UnicodeError) as exc:
        raise BadRequest(f"malformed XML: {exc}") from None
    if root.tag != "xml":
        raise BadRequest(f"root element is <{root.tag}>, not <xml>")
    return root
