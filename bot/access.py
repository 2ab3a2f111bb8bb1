"""Who may see what: clients by default, employees by one-time invite, admins by setting or invite.

The policy every room asks (chat, results pages, dashboard); the commands that change roles live in
``bot.chat.roles`` and the stored roles in ``bot.store``.
"""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING

from bot.store.people import INVITE_ALPHABET, INVITE_LENGTH
from config.settings import Settings

if TYPE_CHECKING:
    from bot.store import Store

_CODE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_LENGTH}}}$")


def is_invite_code(code: str) -> bool:
    """Whether ``code`` has the shape of an invite code (6 letters/digits of the invite alphabet)."""
    return bool(_CODE.match(code))


def is_configured_admin(settings: Settings, openid: str) -> bool:
    """Whether ADMIN_OPENIDS lists ``openid``."""
    # compare_digest refuses str with non-ASCII characters: compare the UTF-8 bytes (a forged or
    # garbled FromUserName must be an ordinary client, not a crash).
    typed = openid.encode("utf-8", "surrogatepass")
    return any(hmac.compare_digest(typed, admin.encode("utf-8", "surrogatepass")) for admin in settings.admin_openids)


def resolve_role(settings: Settings, openid: str, granted: str | None) -> str:
    """The role from the settings and the role stored for the user (``Store.role``)."""
    if is_configured_admin(settings, openid):
        return "admin"
    return granted if granted in ("employee", "admin") else "client"


def role_of(settings: Settings, store: Store, openid: str) -> str:
    """The user's role, reading the stored one: admin (setting or granted), employee (granted), else client."""
    return resolve_role(settings, openid, store.people.role(openid))
