"""The reply budget of a message handled on the request thread, and the one watchdog that ends budgets.

A message is answered inline, on the thread that received it. Its ``Budget`` runs out at the reply
deadline; a single watchdog thread per process marks budgets that ran out (and calls their
``on_expire``, which tells the message's retries ``success``). Work checks its budget where it
can stop (``checkpoint``), and says before something slow (a page fetch) that the rest belongs in
the background (``slow_ahead``): either raises ``MovedToBackground`` on the request thread, and
``bot.wechat.delivery`` answers ``success`` and runs the message again on a background thread,
whose answer is pushed. Work that runs past its budget without a checkpoint is not lost either:
its answer is pushed when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

log = logging.getLogger(__name__)

TICK = 0.05  # how late past a deadline the watchdog may notice it


class MovedToBackground(Exception):
    """The rest of this message's work must run in the background; its answer will be pushed."""


class Budget:
    """Until when a message may keep the request thread; ``expired`` once the watchdog says so."""

    __slots__ = ("done", "expired", "on_expire", "until")

    def __init__(self, until: float, on_expire: Callable[[], None] | None = None):
        self.until = until
        self.expired = False
        self.done = False
        self.on_expire = on_expire


_current: ContextVar[Budget | None] = ContextVar("caselink_budget", default=None)


def checkpoint() -> None:
    """Give up the request thread here if this message's budget has run out."""
    budget = _current.get()
    if budget is not None and budget.expired:
        raise MovedToBackground


def slow_ahead() -> None:
    """What follows may take longer than a reply may (a fetch): on the request thread, move to the background."""
    if _current.get() is not None:
        raise MovedToBackground


def expired() -> bool:
    """Whether this message's budget has run out (for work that can stop early by itself)."""
    budget = _current.get()
    return budget is not None and budget.expired


class Watchdog:
    """One thread per process that ends budgets at their deadline (started on first use, after a fork)."""

    def __init__(self, tick: float = TICK):
        self._tick = tick
        self._lock = threading.Lock()
        self._running: list[Budget] = []
        self._pid = 0

    @contextlib.contextmanager
    def watch(self, seconds: float, on_expire: Callable[[], None] | None = None) -> Iterator[Budget]:
        """Run the block under a budget of ``seconds``; ``finish`` it to learn whether it ended in time."""
        budget = Budget(time.monotonic() + seconds, on_expire)
        self._ensure_thread()
        with self._lock:
            self._running.append(budget)
        token = _current.set(budget)
        try:
            yield budget
        finally:
            _current.reset(token)
            self.finish(budget)

    def finish(self, budget: Budget) -> bool:
        """Take ``budget`` off the watch: True when it ended in time (the watchdog will not end it now)."""
        with self._lock:
            if not budget.done:
                budget.done = True
                with contextlib.suppress(ValueError):
                    self._running.remove(budget)
            return not budget.expired

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():  # threads do not survive gunicorn's fork
                self._running = []
                threading.Thread(target=self._loop, name="caselink-watchdog", daemon=True).start()
                self._pid = os.getpid()

    def _loop(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            ended = []
            with self._lock:
                for budget in self._running:
                    if budget.until <= now:
                        budget.expired = budget.done = True
                        ended.append(budget)
                if ended:
                    self._running = [b for b in self._running if not b.done]
            for budget in ended:
                if budget.on_expire is not None:
                    try:
                        budget.on_expire()
                    except Exception:
                        log.exception("reply deadline handler failed")
