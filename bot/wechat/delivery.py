"""Getting an answer to the user: once per message, within the deadline, or later by push.

Official docs: 被动回复用户消息 (answer within 5 s, or ``success`` and no retry happens), 客服消息
(``message/custom/send``; 48001 API unauthorized, 45015 past the 48 h window, 45047 more than 5
pushes per user message). WeChat retries a message up to 3 times over ~15 s with the same MsgId.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

import redis
import requests
from wechatpy.exceptions import WeChatClientException

from bot import texts
from bot.chat.replies import Card, Reply, Silent, Text, Transfer, to_dict
from bot.deadline import MovedToBackground, Watchdog
from bot.jobs import Jobs
from bot.store import Store, Unit

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

HOLD_ERRCODES = {48001, 45015, 45047}  # pushing is not allowed now: keep it for the next message
WAIT_STEP = 0.05


class Delivery:
    """Runs message work inline under a deadline, de-duplicates retries, pushes late answers."""

    def __init__(self, store: Store, jobs: Jobs, client, deadline: float, metrics: Metrics | None = None):
        self._store = store
        self._jobs = jobs
        self._client = client
        self.deadline = deadline
        self._metrics = metrics
        self._watchdog = Watchdog()

    def respond(
        self, key: str, openid: str, unit: Unit, work: Callable[[], Reply], render: Callable[[Reply], str]
    ) -> tuple[str, str]:
        """Answer a message claimed as new: the reply XML (or ``success``) and ``reply`` or ``late``.

        The work runs here, on the request thread, inside the message's ``unit`` (its Redis reads
        and writes) and under the reply budget (``bot.deadline``); when it ends in time its writes
        and the reply go to Redis in one round trip. Only the slow path leaves the thread: work that
        says something slow lies ahead (a page fetch), or whose budget ran out at a checkpoint, runs
        again on a background thread (the first attempt's writes dropped) and is answered if it ends
        within what is left of the budget, else pushed. Work that ran past the budget without a
        checkpoint is pushed when it ends. The message's retries get what was answered (``success``
        once the budget ran out).
        """
        store = self._store
        try:
            with store.db.using(unit), self._watchdog.watch(self.deadline, lambda: self._late_now(key)) as budget:
                reply = work()
        except MovedToBackground:
            return self._background(key, openid, unit, work, render, budget)
        if not self._watchdog.finish(budget):  # ran out without a checkpoint: retries were told success
            store.db.flush(unit)
            self.push(openid, reply)
            return "success", "late"
        return self._answer(key, unit, render(reply)), "reply"

    def _answer(self, key: str, unit: Unit, xml: str) -> str:
        write = self._store.messages.reply_write(key, xml)
        if not self._store.db.flush(unit, *([write] if write else [])) and write:
            self._store.messages.keep_reply_here(key, xml)
        return xml

    def _background(self, key: str, openid: str, unit: Unit, work, render, budget) -> tuple[str, str]:
        unit.restart()
        future = self._jobs.submit(self._in_background, unit, work)
        try:
            reply = future.result(timeout=max(0.0, budget.until - time.monotonic()))
        except FutureTimeout:
            if self._watchdog.finish(budget):  # the watchdog has not told the retries yet
                self._late_now(key)
            future.add_done_callback(lambda f: self._push_late(openid, f))
            return "success", "late"
        return self._answer(key, Unit(), render(reply)), "reply"

    def answer_retry(self, key: str) -> str:
        """The reply a retried message got, waiting (within the deadline) while it is still being made."""
        until = time.monotonic() + self.deadline
        while True:
            stored = self._store.messages.stored_reply(key)
            if stored is not None:
                return stored
            if time.monotonic() >= until:
                return "success"  # the first delivery ran out of time: its answer is pushed
            time.sleep(WAIT_STEP)

    def push(self, openid: str, reply: Reply) -> bool:
        """Send through the customer-service API; if refused, keep it for the user's next message."""
        if isinstance(reply, Silent):
            return True
        if isinstance(reply, Transfer):  # only a passive reply can hand a message to the agents
            log.warning("转人工超过了回复期限，没能转给客服")
            return False
        try:
            if isinstance(reply, Card):
                article = {"title": reply.title, "description": reply.description, "url": reply.url}
                self._client.message.send_articles(openid, [{**article, "image": reply.image}])
            else:
                self._client.message.send_text(openid, reply.content)
            self._count(None)
            return True
        except WeChatClientException as exc:
            level = logging.INFO if exc.errcode in HOLD_ERRCODES else logging.WARNING
            log.log(level, "客服消息发送失败（errcode=%s），留待用户下一条消息时回复", exc.errcode)
            self._count("network" if exc.errcode is None else str(exc.errcode))  # None: no answer from WeChat
        except (requests.RequestException, redis.RedisError) as exc:  # the token lives in Redis
            log.warning("客服消息接口不可达（%s），留待用户下一条消息时回复", type(exc).__name__)
            self._count("network")
        held = Text(texts.PENDING_PREFIX + "\n" + reply.content) if isinstance(reply, Text) else reply
        if not self._store.messages.push_pending(openid, to_dict(held)):
            log.error("答案无法推送也无法暂存（Redis 不可用），已丢弃")
        return False

    def _count(self, failure: str | None) -> None:
        if self._metrics is not None:
            self._metrics.count_push(failure)

    def _late_now(self, key: str) -> None:
        self._store.messages.store_reply(key, "success")  # a retry must not answer a second time

    def _in_background(self, unit: Unit, work: Callable[[], Reply]) -> Reply:
        """The slow path: the message again, without a budget, on a background thread."""
        with self._store.db.using(unit):
            reply = work()
        self._store.db.flush(unit)
        return reply

    def _push_late(self, openid: str, future: Future) -> None:
        if future.exception() is not None:  # process() never raises; this is a last guard
            log.error("late work failed", exc_info=future.exception())
            return
        self.push(openid, future.result())
