"""Route a parsed WeChat message to its handler, by message type and event (official doc 接收普通消息,
接收事件推送). Handlers are plain functions ``(message, ctx) -> Reply``; they never see Flask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot import texts
from bot.access import resolve_role
from bot.chat import forwarding, frontdesk
from bot.chat.normalize import normalize, strip_trailing
from bot.chat.replies import SILENT, Reply, Text, from_dict, merge, to_dict
from bot.chat.router import COMMANDS, respond_to_text
from bot.deadline import MovedToBackground
from bot.services import Context, Services
from indexer.teaching import query_key

log = logging.getLogger(__name__)

Handler = Callable[[object, Context], Reply]


def on_text(msg, ctx: Context) -> Reply:
    return respond_to_text(msg.content or "", ctx)


def on_voice(msg, ctx: Context) -> Reply:
    # Recognition is only present when 语音识别 is switched on in the account settings.
    if msg.recognition:
        return respond_to_text(msg.recognition, ctx)
    return Text(texts.VOICE_WITHOUT_TEXT)


def on_link(msg, ctx: Context) -> Reply:
    if ctx.is_admin:
        return forwarding.add_link(ctx, msg.title or "", msg.description or "", msg.url or "")
    return Text(texts.UNSUPPORTED)


def on_unsupported(msg, ctx: Context) -> Reply:
    return Text(texts.UNSUPPORTED)


def on_subscribe(msg, ctx: Context) -> Reply:
    return frontdesk.welcome(ctx)


def on_unsubscribe(msg, ctx: Context) -> Reply:
    ctx.store.forget(ctx.openid)
    return SILENT


def on_click(msg, ctx: Context) -> Reply:
    command = ctx.services.menu.get(msg.key or "")
    return respond_to_text(command, ctx) if command else Text(texts.HELP)


def ignore(msg, ctx: Context) -> Reply:
    return SILENT


MESSAGE_HANDLERS: dict[str, Handler] = {
    "text": on_text,
    "voice": on_voice,
    "link": on_link,
}
EVENT_HANDLERS: dict[str, Handler] = {
    "subscribe": on_subscribe,
    "subscribe_scan": on_subscribe,  # wechatpy's name for a subscribe with qrscene_ EventKey
    "unsubscribe": on_unsubscribe,
    "click": on_click,
}
# Events a person triggered on purpose: a pending answer may ride along with their reply.
INTERACTIVE_EVENTS = {"subscribe", "subscribe_scan", "click"}


def pick_handler(msg) -> Handler:
    """The handler for a message: by type, by event for events; unknown messages get help, events nothing."""
    if msg.type == "event":
        return EVENT_HANDLERS.get(msg.event, ignore)
    return MESSAGE_HANDLERS.get(msg.type, on_unsupported)


def takes_pending(msg) -> bool:
    """Whether answers held for the sender go out with the reply to this message."""
    return msg.type != "event" or msg.event in INTERACTIVE_EVENTS


def likely_query_key(msg) -> str:
    """The taught-rules key of what this message will probably search ('' for commands, numbers,
    events): read with the message's claim, so a search needs no round trip of its own for it."""
    text = msg.content if msg.type == "text" else msg.recognition if msg.type == "voice" else None
    if not text or len(text) > 64:
        return ""
    bare = strip_trailing(normalize(text))
    if not bare or bare.isdigit() or bare.partition(" ")[0] in COMMANDS:
        return ""
    try:
        return query_key(bare)
    except Exception:  # a guess only: the search reads the key itself if this fails
        log.warning("could not compute the query key", exc_info=True)
        return ""


def process(services: Services, msg) -> tuple[Reply, Context]:
    """Handle one message completely: role, pending answers, handler; never raises (except to move
    the message to the background, ``bot.deadline``)."""
    ctx = Context(services, msg.source or "")
    try:
        interactive = takes_pending(msg)
        granted, held = services.store.role_and_pending(ctx.openid, take_pending=interactive)
        ctx.role = resolve_role(services.settings, ctx.openid, granted)
        pending = [from_dict(p) for p in held]
        reply = pick_handler(msg)(msg, ctx)
        reply, waiting = merge([*pending, reply])
        for later in waiting:
            services.store.messages.push_pending(ctx.openid, to_dict(later))
    except MovedToBackground:
        raise
    except Exception:
        log.exception("处理消息失败 user=%s type=%s", services.user_hash(ctx.openid), msg.type)
        reply = Text(texts.SORRY)
    return reply, ctx
