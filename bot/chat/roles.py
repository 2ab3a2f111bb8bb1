"""``绑定 CODE``: anyone becomes an employee or admin with an invite code (policy: ``bot.access``).

Guessing is limited per user and for everyone together (``bot.store.bind_attempts``); someone
already bound who sends their own code again, or an employee code, is told so and uses nothing.
"""

from __future__ import annotations

import hmac
import logging

from bot import texts
from bot.access import is_invite_code
from bot.chat import router
from bot.chat.replies import Reply, Text
from bot.names import who
from bot.services import Context
from bot.store.bind_attempts import TOO_MANY

log = logging.getLogger(__name__)


@router.command("绑定")
def bind(ctx: Context, code: str) -> Reply:
    """Redeem an invite code (``绑定 CODE``)."""
    code = code.strip().upper()
    if not code:
        return Text(texts.BIND_USAGE)
    if ctx.role == "admin":
        return Text(texts.BIND_ALREADY.format(role=texts.ROLE_NAMES[ctx.role]))
    store = ctx.store
    if not store.reachable():
        return Text(texts.BIND_UNAVAILABLE)
    bound = ctx.role == "employee"
    if bound and _own_code(ctx, code):
        return Text(texts.BIND_ALREADY.format(role=texts.ROLE_NAMES["employee"]))
    claimed = store.bind_attempts.claim(ctx.openid)
    if claimed is None:
        return Text(texts.BIND_UNAVAILABLE)
    if claimed == TOO_MANY:
        log.warning("邀请码尝试次数已到上限 user=%s", ctx.services.user_hash(ctx.openid))
        return Text(texts.BIND_TOO_MANY)
    offered = store.people.peek_invite(code) if bound and is_invite_code(code) else None
    if bound and offered and offered.get("role") != "admin":  # an employee code cannot make them more
        store.bind_attempts.release(ctx.openid)
        return Text(texts.BIND_ALREADY.format(role=texts.ROLE_NAMES["employee"]))
    invite = store.people.redeem_invite(code) if is_invite_code(code) else None
    if invite is False:
        store.bind_attempts.release(ctx.openid)
        return Text(texts.BIND_UNAVAILABLE)
    if invite is None:
        return Text(texts.BIND_BAD_BOUND.format(role="员工") if bound else texts.BIND_BAD)
    store.bind_attempts.release(ctx.openid)
    role, name = invite.get("role", "employee"), invite.get("name", "")
    if not name and bound:
        name = (store.people.holder(ctx.openid) or {}).get("name", "")
    if not store.people.set_role(ctx.openid, role, name=name, by=invite.get("by", ""), code=code):
        return Text(texts.BIND_UNAVAILABLE)
    log.info(
        "%s 绑定为%s（%s 生成的邀请码）",
        name or "未署名用户 " + ctx.services.user_hash(ctx.openid),
        texts.ROLE_NAMES[role],
        who(ctx.services, invite.get("by", "")),
    )
    ctx.role = role
    return Text(texts.BIND_OK.format(role=texts.ROLE_NAMES[role]))


def _own_code(ctx: Context, code: str) -> bool:
    entry = ctx.store.people.holder(ctx.openid) or {}
    used = str(entry.get("code", ""))
    return bool(used) and hmac.compare_digest(used.encode("utf-8"), code.encode("utf-8"))
