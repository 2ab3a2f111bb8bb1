"""Who did something, in words people and logs can use: a name, 管理后台, or a hash of an openid."""

from __future__ import annotations

from bot.access import is_configured_admin
from bot.services import Services
from bot.store.people import DASHBOARD


def clean_name(raw: str) -> str:
    """A person's name as typed, on one line, without control characters."""
    return " ".join("".join(ch for ch in raw if ch.isprintable()).split())


def who(services: Services, by: str) -> str:
    """The person behind ``by`` (an openid or ``dashboard``): their invite's name when they have one."""
    if by == DASHBOARD:
        return "管理后台"
    if not by:
        return "未知"
    name = (services.store.people.holder(by) or {}).get("name", "")
    if name:
        return name
    if is_configured_admin(services.settings, by):
        return "配置中的管理员 " + services.user_hash(by)
    return "管理员 " + services.user_hash(by)
