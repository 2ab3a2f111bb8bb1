"""Reply values (``bot.chat.replies``) as WeChat's passive-reply XML.

Official doc 被动回复用户消息: text goes into CDATA; a news reply to a user message shows one article.
"""

from __future__ import annotations

import time

from wechatpy.replies import ArticlesReply, TextReply, TransferCustomerServiceReply

from bot.chat.replies import Card, Reply, Text, Transfer


def render_xml(reply: Reply, to_user: str, from_account: str) -> str:
    """The passive-reply XML for ``reply`` (``success`` for Silent)."""
    now = int(time.time())
    if isinstance(reply, Text):
        return TextReply(source=from_account, target=to_user, time=now, content=_xml_safe(reply.content)).render()
    if isinstance(reply, Card):
        article = {
            "title": _xml_safe(reply.title),
            "description": _xml_safe(reply.description),
            "image": _xml_safe(reply.image),
            "url": _xml_safe(reply.url),
        }
        return ArticlesReply(source=from_account, target=to_user, time=now, articles=[article]).render()
    if isinstance(reply, Transfer):  # MsgType transfer_customer_service: the agents get the message
        return TransferCustomerServiceReply(source=from_account, target=to_user, time=now).render()
    return "success"


def _xml_safe(value: str) -> str:
    # Content goes into CDATA: the only sequence that can break out of it is "]]>".
    return (value or "").replace("]]>", "]] >")
