"""The title library the bot uses: ``config/titles.yaml`` merged with the changes admins made.

The file is read once per process (again when it changes on disk); the admins' additions, edits
and removals live in Redis (``Store.titles``), read on each request, so a change made through one
worker shows through every worker at once.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from bot.services import Services
from config.settings import Settings
from creative.titles import Library, check_pattern, load_library, make_pattern

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int) -> Library:
    return load_library(Path(path))


def shipped(settings: Settings) -> Library:
    """``config/titles.yaml`` as shipped (raise ConfigError when it is broken: checked at start)."""
    path = settings.config_dir / "titles.yaml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0  # load_library says what is wrong
    return _read(str(path), stamp)


def library(svc: Services) -> Library:
    """The shipped patterns with every stored addition, edit and removal applied."""
    base = shipped(svc.settings)
    ids = {p.id for p in base.patterns}
    changes, removed = [], []
    for pattern_id, entry in svc.store.titles.patterns().items():
        if entry.get("removed"):
            removed.append(pattern_id)
            continue
        try:
            pattern = make_pattern(pattern_id, entry, "edited" if pattern_id in ids else "admin")
        except (KeyError, TypeError, ValueError):
            log.warning("忽略一条无法读取的标题模板 %s", pattern_id)
            continue
        if not check_pattern(pattern.text):
            changes.append(pattern)
    return base.merged(changes, removed)
