"""Role commands: ``绑定 CODE`` for anyone, ``邀请`` for admins (the policy itself is ``bot.access``)."""

from __future__ import annotations

from bot import texts
from bot.access import is_invite_code
from bot.chat import router
from bot.chat.replies import Reply, Text
from bot.services import Context

MAX_BIND_FAILURES = 5  # per hour and user; 31^6 codes make guessing hopeless at that rate


@router.command("绑定")
def bind(ctx: Context, code: str) -> Reply:
    """Redeem an invite code (``绑定 CODE``), with a limit on wrong guesses."""
    code = code.strip().upper()
    if not code:
        return Text(texts.BIND_USAGE)
    if ctx.role == "admin":  # an employee may still redeem an admin code
        return Text(texts.BIND_ALREADY.format(role=texts.ROLE_NAMES[ctx.role]))
    store = ctx.store
    if not store.reachable():
        return Text(texts.BIND_UNAVAILABLE)
    if store.people.bind_failures(ctx.openid) >= MAX_BIND_FAILURES:
        return Text(texts.BIND_TOO_MANY)
    role = store.people.redeem_invite(code) if is_invite_code(code) else None
    if role is None:
        store.people.add_bind_failure(ctx.openid)
        return Text(texts.BIND_BAD)
    if not store.people.set_role(ctx.openid, role):
        return Text(texts.BIND_UNAVAILABLE)
    ctx.role = role
    return Text(texts.BIND_OK.format(role=texts.ROLE_NAMES[role]))


@router.command("邀请", admin=True)
def invite(ctx: Context, arg: str) -> Reply:
    """Admin: make a one-time invite code (``邀请``; ``邀请 管理员`` for an admin code)."""
    role = "admin" if arg.strip() in ("管理员", "admin") else "employee"
    code = ctx.store.people.create_invite(role, ctx.openid)
    if code is None:
        return Text(texts.INVITE_UNAVAILABLE)
    return Text(texts.INVITE_OK.format(role=texts.ROLE_NAMES[role], code=code))
