"""Who may see what: clients by default, employees by one-time invite, admins by setting or invite."""

from __future__ import annotations

import hmac
import re

from bot import texts
from bot.replies import Reply, Text
from bot.services import Context
from bot.state import INVITE_ALPHABET, INVITE_LENGTH, State
from config.settings import Settings

MAX_BIND_FAILURES = 5  # per hour and user; 31^6 codes make guessing hopeless at that rate
_CODE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_LENGTH}}}$")


def is_invite_code(code: str) -> bool:
    """Whether ``code`` has the shape of an invite code (6 letters/digits of the invite alphabet)."""
    return bool(_CODE.match(code))


def role_of(settings: Settings, state: State, openid: str) -> str:
    """The user's role: admin (setting or granted), employee (granted), else client."""
    if is_configured_admin(settings, openid):
        return "admin"
    return resolve_role(settings, openid, state.role(openid))


def is_configured_admin(settings: Settings, openid: str) -> bool:
    """Whether ADMIN_OPENIDS lists ``openid``."""
    return any(hmac.compare_digest(openid, admin) for admin in settings.admin_openids)


def resolve_role(settings: Settings, openid: str, granted: str | None) -> str:
    """The role from the settings and the role stored for the user (``State.role``)."""
    if is_configured_admin(settings, openid):
        return "admin"
    return granted if granted in ("employee", "admin") else "client"


def bind(ctx: Context, code: str) -> Reply:
    """Redeem an invite code (``绑定 CODE``), with a limit on wrong guesses."""
    code = code.strip().upper()
    if not code:
        return Text(texts.BIND_USAGE)
    if ctx.role == "admin":  # an employee may still redeem an admin code
        return Text(texts.BIND_ALREADY.format(role=texts.ROLE_NAMES[ctx.role]))
    state = ctx.state
    if not state.available and not state.ping():
        return Text(texts.BIND_UNAVAILABLE)
    if state.bind_failures(ctx.openid) >= MAX_BIND_FAILURES:
        return Text(texts.BIND_TOO_MANY)
    role = state.redeem_invite(code) if is_invite_code(code) else None
    if role is None:
        state.add_bind_failure(ctx.openid)
        return Text(texts.BIND_BAD)
    if not state.set_role(ctx.openid, role):
        return Text(texts.BIND_UNAVAILABLE)
    ctx.role = role
    return Text(texts.BIND_OK.format(role=texts.ROLE_NAMES[role]))


def invite(ctx: Context, arg: str) -> Reply:
    """Admin: make a one-time invite code (``邀请``; ``邀请 管理员`` for an admin code)."""
    role = "admin" if arg.strip() in ("管理员", "admin") else "employee"
    code = ctx.state.create_invite(role, ctx.openid)
    if code is None:
        return Text(texts.INVITE_UNAVAILABLE)
    return Text(texts.INVITE_OK.format(role=texts.ROLE_NAMES[role], code=code))
