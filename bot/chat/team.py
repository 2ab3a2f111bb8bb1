"""Admins manage the team in chat: ``邀请 [管理员] [名字]``, ``邀请码``, ``员工``, ``撤销 邀请码|名字``.

An invite carries the name of the person it is for; the name follows them onto the 员工 list (here
and on the dashboard) and into the log lines that say who invited, bound and revoked whom.
"""

from __future__ import annotations

import logging

from bot import texts
from bot.access import is_invite_code
from bot.chat import router
from bot.chat.replies import TEXT_LIMIT, Reply, Text, escape, size
from bot.names import clean_name, who
from bot.services import Context
from bot.store.people import MAX_NAME
from config import clock

log = logging.getLogger(__name__)


@router.command("邀请", admin=True)
def invite(ctx: Context, arg: str) -> Reply:
    """``邀请 张三`` (employee) or ``邀请 管理员 张三``: a one-time code made out to a name."""
    words = arg.split()
    role = "employee"
    if words and words[0] in ("管理员", "admin"):
        role, words = "admin", words[1:]
    name = clean_name(" ".join(words))
    if len(name) > MAX_NAME:
        return Text(texts.INVITE_NAME_TOO_LONG.format(limit=MAX_NAME))
    code = ctx.store.people.create_invite(role, ctx.openid, name)
    if code is None:
        return Text(texts.INVITE_UNAVAILABLE)
    log.info("%s 生成了%s邀请码（给 %s）", who(ctx.services, ctx.openid), texts.ROLE_NAMES[role], name or "未署名")
    suffix = texts.INVITE_FOR.format(name=escape(name)) if name else ""
    return Text(texts.INVITE_OK.format(role=texts.ROLE_NAMES[role], code=code, name=suffix))


@router.command("邀请码", admin=True)
def list_invites(ctx: Context, _arg: str = "") -> Reply:
    """The unused invite codes, with whom they are for and when they expire."""
    if not ctx.store.reachable():
        return Text(texts.ADMIN_UNAVAILABLE)
    found = ctx.store.people.invites()
    if not found:
        return Text(texts.INVITES_NONE)
    lines = [
        texts.INVITE_LINE.format(
            code=i["code"],
            role=texts.ROLE_NAMES.get(i.get("role"), ""),
            name=texts.INVITE_FOR.format(name=escape(i["name"])) if i.get("name") else "",
            expires=clock.fmt_time(i.get("expires"), ctx.settings.tz),
        )
        for i in found
    ]
    return Text(_fitted(texts.INVITES_HEAD.format(count=len(found)), lines, len(found)))


@router.command("员工", "员工列表", admin=True)
def team(ctx: Context, _arg: str = "") -> Reply:
    """Everyone bound as employee or admin: name, role, when, invited by whom."""
    if not ctx.store.reachable():
        return Text(texts.ADMIN_UNAVAILABLE)
    holders = ctx.store.people.role_holders()
    configured = len(ctx.settings.admin_openids)
    if not holders:
        extra = "\n" + texts.TEAM_SETTING_ADMINS.format(count=configured) if configured else ""
        return Text(texts.TEAM_NONE + extra)
    lines = [
        texts.TEAM_LINE.format(
            n=n,
            name=escape(h.get("name") or texts.UNNAMED),
            role=texts.ROLE_NAMES.get(h["role"], h["role"]),
            at=clock.fmt_time(h.get("at"), ctx.settings.tz),
            by=texts.TEAM_BY.format(by=escape(who(ctx.services, h["by"]))) if h.get("by") else "",
        )
        for n, h in enumerate(holders, 1)
    ]
    if configured:
        lines.append(texts.TEAM_SETTING_ADMINS.format(count=configured))
    return Text(_fitted(texts.TEAM_HEAD.format(count=len(holders)), lines, len(holders)))


@router.command("撤销", admin=True)
def revoke(ctx: Context, arg: str) -> Reply:
    """``撤销 ABC234`` withdraws an unused invite; ``撤销 张三`` takes away a named person's role."""
    arg = clean_name(arg)
    if not arg:
        return Text(texts.REVOKE_USAGE)
    if not ctx.store.reachable():
        return Text(texts.ADMIN_UNAVAILABLE)
    if is_invite_code(arg.upper()):
        code = arg.upper()
        revoked = ctx.store.people.revoke_invite(code)
        if revoked is None:
            return Text(texts.ADMIN_UNAVAILABLE)
        if revoked:
            log.info("%s 撤销了邀请码", who(ctx.services, ctx.openid))
        return Text((texts.REVOKE_INVITE_OK if revoked else texts.REVOKE_INVITE_GONE).format(code=code))
    matches = [h for h in ctx.store.people.role_holders() if h.get("name") == arg]
    if not matches:
        return Text(texts.REVOKE_PERSON_NONE.format(name=escape(arg)))
    if len(matches) > 1:
        return Text(texts.REVOKE_PERSON_MANY.format(count=len(matches), name=escape(arg)))
    person = matches[0]
    if person["openid"] == ctx.openid:
        return Text(texts.REVOKE_SELF)
    revoked = ctx.store.people.revoke_role(person["openid"])
    if revoked is None:
        return Text(texts.ADMIN_UNAVAILABLE)
    log.info("%s 撤销了 %s 的%s身份", who(ctx.services, ctx.openid), arg, texts.ROLE_NAMES.get(person["role"]))
    role = texts.ROLE_NAMES.get(person["role"], "")
    return Text(texts.REVOKE_PERSON_OK.format(name=escape(arg), role=role))


def _fitted(head: str, lines: list[str], count: int) -> str:
    """``head`` and as many whole lines as fit in one reply, then a pointer to the dashboard."""
    more = texts.TEAM_MORE.format(count=count)
    out = [head]
    for n, line in enumerate(lines):
        rest = len(lines) - n - 1
        candidate = "\n".join([*out, line] + ([more] if rest else []))
        if size(candidate) > TEXT_LIMIT:
            return "\n".join([*out, more])
        out.append(line)
    return "\n".join(out)
