"""Every key namespace the bot uses in Redis, classified once: durable (backed up) or ephemeral.

A key is ``<prefix><namespace>:…`` (``Connection.key("role", openid)`` → ``caselink:role:<openid>``).
``python -m bot backup`` saves every key of a DURABLE namespace and refuses to restore anything
else. A new kind of state adds its namespace to one of the two tables below; a test fails while a
namespace used in the code (``key("…"`` in bot/, or a key written in a full conversation) is in
neither, so nothing durable can be forgotten by the backup.

Durable: what people created or the bot learned and would be lost for good (roles, invites,
analytics, and what the other stores add: fixed answers, leads, shares, overrides, rules …).
Ephemeral: caches, locks, counters and conversation state that rebuild themselves.
"""

from __future__ import annotations

# namespace -> what it holds (Chinese: the backup command prints these names)
DURABLE: dict[str, str] = {
    "role": "角色",
    "roles": "员工名单",
    "invite": "邀请码",
    "invites": "邀请码名单",
    "searches": "搜索统计",
    "q": "搜索统计（旧格式，35 天内过期）",
    "q0": "无结果搜索统计（旧格式，35 天内过期）",
    "qweak": "无直接匹配搜索统计（旧格式，35 天内过期）",
    "rules": "教给机器人的规则与点选反馈",
    "frontdesk": "固定回复、联系方式与工作时间",
    "leads": "线索",
    "content": "转发的文章、撤回记录与内容设置",
    "titles": "标题模板（后台添加与修改）和使用次数",
    "shares": "分享与打开统计（按天、按内容、按员工）",
}

EPHEMERAL: dict[str, str] = {
    "msg": "retry de-duplication and the reply given (60 s)",
    "nonce": "request nonces (replay window)",
    "pending": "answers held for the user's next message (48 h)",
    "session": "the conversation: last search and its pages (30 min)",
    "flow": "a form or question in progress (30 min)",
    "bindfail": "invite codes tried per user (1 h)",
    "bindguess": "invite codes tried by everyone together (1 h)",
    "loginfail": "wrong dashboard tokens per address (10 min)",
    "adminsession": "dashboard logins (1 h idle, 12 h at most)",
    "once": "tokens already used once, e.g. OAuth state (as long as they could be valid)",
    "build": "background build flag, progress and last record",
    "lock": "cross-process locks",
    "sync": "the small write a WAIT for the replicas rides on (60 s)",
    "wechatpy": "the shared WeChat access token",
    "pickseen": "a pick already counted for this user, query and result today (1 day)",
    "leadlimit": "lead form: submissions per user and duplicate suppression (24 h)",
    "listed": "a user was shown a list in the last week (a late number is told it expired)",
    "misses": "weak or empty searches in a row, per user (30 min)",
    "titleseen": "title ideas already shown in a conversation, for 换一批 (30 min)",
    "sharedup": "shares already counted today per employee and document (2 days)",
}


def namespace_of(key: str, prefix: str) -> str | None:
    """The namespace of a full key under ``prefix``, or None for a key outside the prefix."""
    if not key.startswith(prefix):
        return None
    return key[len(prefix) :].split(":", 1)[0]


def is_durable(namespace: str) -> bool:
    """Whether keys of ``namespace`` are backed up."""
    return namespace in DURABLE
