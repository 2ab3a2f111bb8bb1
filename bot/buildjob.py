"""One background index rebuild at a time, shared by the WeChat command 重建索引 and the dashboard.

A build is claimed with a Redis flag (``SET NX``), so every gunicorn worker sharing Redis sees the
same build; the running build refreshes the flag, so a worker that dies lets it expire (on the
same machine a dead worker's build is noticed at once and can be restarted). Progress
and the result go to Redis too, so any worker can show them. The indexer's own file lock has the
last word: when something else builds (``python -m indexer rebuild``), the build ends as "busy"
with ``IndexLocked``'s description of the holder. Without Redis nothing is started: a build that
no other worker could see would race theirs, so the caller says "暂时不可用".
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from bot import texts
from bot.services import Services
from config.errors import IndexLocked

log = logging.getLogger(__name__)

JOB = "reindex"
RUNNING, DONE, FAILED, BUSY = "running", "done", "failed", "busy"
STARTED, UNAVAILABLE = "started", "unavailable"  # what start() says besides BUSY
HEARTBEAT = 30.0  # seconds between refreshes of the running flag (its TTL is 10 minutes)
PROGRESS_EVERY = 0.25  # seconds between progress writes while documents are indexed
INTERRUPTED = "重建中断：执行它的进程已退出"

Record = dict[str, Any]


def scope(services: Services) -> str:
    """The Redis name of the index being built: one build per index directory, like the file lock."""
    return hashlib.sha1(str(services.settings.index_dir.resolve()).encode("utf-8")).hexdigest()[:12]


def start(services: Services, by: str, notify: Callable[[Record], None] | None = None) -> str:
    """Start a rebuild in the background: STARTED, BUSY (one is running) or UNAVAILABLE (no Redis).

    ``by`` says who asked: an admin's openid or "dashboard"; ``notify`` gets the final record.
    """
    if services.jobs.running(JOB):
        return BUSY
    record: Record = {
        "run": secrets.token_hex(8),
        "state": RUNNING,
        "phase": "collect",
        "by": by,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": time.time(),
        "done": 0,
        "total": 0,
    }
    claimed = services.store.builds.claim(scope(services), record)
    if claimed is False and _take_over(services):
        claimed = services.store.builds.claim(scope(services), record)
    if claimed is None:
        return UNAVAILABLE
    if claimed is False:
        return BUSY
    if not services.jobs.start_once(JOB, lambda: _run(services, record, notify)):
        services.store.builds.release(scope(services), {**record, "state": BUSY, "finished": time.time()})
        return BUSY
    return STARTED


def status(services: Services) -> Record | None:
    """The current or last build: its record, or None when nothing is known."""
    record = services.store.builds.record(scope(services))
    running_here = services.jobs.running(JOB)
    if record is None:
        return {"state": RUNNING, "phase": "collect", "done": 0, "total": 0} if running_here else None
    alive = record.pop("alive")
    if record["state"] == RUNNING and not running_here and (not alive or _died_here(record)):
        record.update(state=FAILED, error=INTERRUPTED)
    return record


def _take_over(services: Services) -> bool:
    """Close the record of a build whose process died on this machine; True if there was one."""
    record = services.store.builds.record(scope(services))
    if not record or record["state"] != RUNNING or not _died_here(record):
        return False
    del record["alive"]
    record.update(state=FAILED, error=INTERRUPTED, finished=time.time())
    services.store.builds.release(scope(services), record)
    return True


def _died_here(record: Record) -> bool:
    # A worker restarted mid-build on this machine: no need to wait for its flag to expire.
    if record.get("host") != socket.gethostname() or not record.get("pid"):
        return False
    try:
        os.kill(record["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _run(services: Services, record: Record, notify: Callable[[Record], None] | None) -> None:
    from indexer import rebuild

    store, name = services.store, scope(services)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(services, record, stop), name="caselink-build-beat", daemon=True)
    beat.start()
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done == total or now - last >= PROGRESS_EVERY:
            last = now
            record.update(phase="index", done=done, total=total)
            store.builds.save(name, record)

    try:
        report = rebuild(services.settings, progress=progress, shared=services.store.content)
    except IndexLocked as exc:
        record.update(state=BUSY, error=str(exc))
    except Exception as exc:  # the record must say it failed, whatever the reason
        log.exception("重建索引失败")
        record.update(state=FAILED, error=texts.describe_error(exc))
    else:
        record.update(
            state=DONE,
            generation=report.generation,
            documents=report.documents,
            problems=len(report.problems),
            skipped=report.skipped,
            seconds=report.seconds,
        )
    finally:
        stop.set()
        beat.join()  # so that no late heartbeat overwrites the final record
        record["finished"] = time.time()
        store.builds.release(name, record)
    log.info("重建索引结束：%s %s", record["state"], record.get("generation", record.get("error", "")))
    if notify:
        notify(record)


def _heartbeat(services: Services, record: Record, stop: threading.Event) -> None:
    # Reading sources (URL lists, the WeChat API) reports no progress and may take minutes.
    while not stop.wait(HEARTBEAT):
        services.store.builds.save(scope(services), dict(record))
