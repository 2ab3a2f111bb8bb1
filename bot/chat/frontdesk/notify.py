"""Tell every admin about a new lead, within seconds, as a customer-service message.

Admins are those of ADMIN_OPENIDS and those promoted by an invite. WeChat may refuse a push
(48001 unverified account, 45015 past the 48-hour window …): the lead stays new, and the
dashboard's badge counts it, so nothing depends on the push arriving.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from wechatpy.exceptions import WeChatClientException

from bot.services import Services

log = logging.getLogger(__name__)

KIND_NAMES = {"phone": "手机", "wechat": "微信"}


def recipients(services: Services) -> list[str]:
    """Every admin's openid: from the settings and by role."""
    granted = [h["openid"] for h in services.store.people.role_holders() if h["role"] == "admin"]
    return sorted(set(services.settings.admin_openids) | set(granted))


def message(services: Services, lead: dict[str, Any]) -> str:
    """The push text (user-typed parts escaped: WeChat renders <a> in text messages)."""

    def safe(key: str) -> str:
        return str(lead.get(key, "")).replace("<", "＜").replace(">", "＞")

    lines = [
        f"新线索 #{lead['id']}",
        f"称呼：{safe('name')}",
        f"公司：{safe('company')}",
        f"联系方式：{safe('contact')}（{KIND_NAMES.get(lead.get('contact_kind', ''), '')}）",
        f"需求：{safe('need')[:300]}",
    ]
    base = services.settings.public_base_url
    if base:
        lines.append(f'<a href="{base}/admin/leads">在管理后台处理</a>')
    return "\n".join(lines)


def admins(services: Services, lead: dict[str, Any]) -> int:
    """Push ``lead`` to every admin; return how many got it (the rest see the dashboard badge)."""
    text = message(services, lead)
    reached = 0
    for openid in recipients(services):
        try:
            services.wechat.message.send_text(openid, text)
            reached += 1
        except WeChatClientException as exc:
            log.warning("线索 #%s 推送给管理员失败（errcode=%s），后台角标提醒", lead["id"], exc.errcode)
        except requests.RequestException as exc:
            log.warning("线索 #%s 推送时接口不可达（%s），后台角标提醒", lead["id"], type(exc).__name__)
    services.store.leads.update(lead["id"], pushed=str(reached))
    return reached
