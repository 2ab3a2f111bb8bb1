"""Which handler answers a line of text (DESIGN.md "Conversation").

The order, first match wins:

1. an open flow (a form or a question the bot asked: the lead form, "公开 / 内部 / 取消" for a
   forwarded article …) gets the text first; it may let it through by returning None;
2. a command, by the first word: admin-only commands are looked up for admins only, so for
   everyone else the words are simply searched for, revealing nothing;
3. interpreters, by priority: picks and pages typed the way people type them, fixed answers,
   small talk … each returns a reply or None;
4. otherwise the text is searched; ``around_search`` wrappers may add to that answer (a fixed
   answer shown above the results, an offer to talk to a person after repeated misses).

Feature modules register here with the decorators below; ``bot.chat`` imports them all.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.chat.normalize import normalize, strip_trailing
from bot.chat.replies import Reply, Text
from bot.services import Context

log = logging.getLogger(__name__)

Handler = Callable[[Context, str], Reply]
Interpreter = Callable[[Context, str], Reply | None]
FlowStep = Callable[[Context, str, dict[str, Any]], Reply | None]
Around = Callable[[Context, str, Callable[[], Reply]], Reply]


@dataclass(frozen=True)
class Command:
    """A command word: its handler ``(ctx, arg)`` and whether only admins may run it."""

    handler: Handler
    admin: bool = False


COMMANDS: dict[str, Command] = {}
INTERPRETERS: list[tuple[int, Interpreter]] = []
FLOWS: dict[str, FlowStep] = {}
_fallback: list[Handler] = []
_around: list[Around] = []


def command(*words: str, admin: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler(ctx, arg)`` for messages whose first word is one of ``words``."""

    def register(handler: Handler) -> Handler:
        for word in words:
            if word in COMMANDS and COMMANDS[word].admin == admin:
                raise ValueError(f"command {word!r} is registered twice")
            COMMANDS[word] = Command(handler, admin)
        return handler

    return register


def interpreter(priority: int) -> Callable[[Interpreter], Interpreter]:
    """Register ``fn(ctx, text) -> Reply | None``; lower priorities are asked first."""

    def register(fn: Interpreter) -> Interpreter:
        INTERPRETERS.append((priority, fn))
        INTERPRETERS.sort(key=lambda item: item[0])
        return fn

    return register


def flow(name: str) -> Callable[[FlowStep], FlowStep]:
    """Register the step of a flow: ``fn(ctx, text, data) -> Reply | None`` (None lets the text through)."""

    def register(fn: FlowStep) -> FlowStep:
        if name in FLOWS:
            raise ValueError(f"flow {name!r} is registered twice")
        FLOWS[name] = fn
        return fn

    return register


def fallback(handler: Handler) -> Handler:
    """Register what answers text nothing else took (the search)."""
    _fallback[:] = [handler]
    return handler


def around_search(fn: Around) -> Around:
    """Register ``fn(ctx, text, search) -> Reply``, which runs ``search()`` and may add to its answer."""
    _around.append(fn)
    return fn


def search(ctx: Context, text: str) -> Reply:
    """Search ``text`` as the fallback does, with every ``around_search`` wrapper applied."""
    call: Callable[[], Reply] = functools.partial(_fallback[0], ctx, text)
    for wrap in _around:
        call = functools.partial(wrap, ctx, text, call)
    return call()


def respond_to_text(raw: str, ctx: Context) -> Reply:
    """Answer one line of text (or recognised speech)."""
    ctx.typed = raw
    text = normalize(raw)
    bare = strip_trailing(text)
    if not bare:
        return Text(texts.EMPTY_QUERY)
    reply = _continue_flow(ctx, bare)
    if reply is not None:
        return reply
    word, _, arg = bare.partition(" ")
    found = COMMANDS.get(word)
    if found is not None and (ctx.is_admin or not found.admin):
        return found.handler(ctx, arg.strip())
    for _, interpret in INTERPRETERS:
        reply = interpret(ctx, bare)
        if reply is not None:
            return reply
    return search(ctx, bare)


def _continue_flow(ctx: Context, text: str) -> Reply | None:
    current = ctx.store.flows.get(ctx.openid)
    if not current:
        return None
    step = FLOWS.get(current.get("name", ""))
    if step is None:  # a flow of an older version of the bot: forget it
        ctx.store.flows.end(ctx.openid)
        return None
    return step(ctx, text, current.get("data") or {})
