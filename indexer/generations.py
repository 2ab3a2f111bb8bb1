"""Index generations on disk and the atomic `CURRENT` pointer.

Layout of INDEX_DIR::

    CURRENT                  name of the live generation (replaced atomically)
    gen-20261126T071500-ab12/  Whoosh files + meta.json, docs.json, report.json, pinyin.tsv
    .build.lock              the build lock (``indexer.lock``)

Documents admins forward from WeChat are shared state in Redis (``indexer.shared``), not files here.

A build writes a new generation beside the live one and switches CURRENT only when it is complete,
so readers never see a half-built index. Whoosh segment files are immutable once written, which is
why an incremental update may start from hard links to the live generation's files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import pickle
import secrets
import shutil
import time
from pathlib import Path

CURRENT = "CURRENT"
PREFIX = "gen-"
KEEP = 2  # the live generation and the one before it (readers may still hold it open)
STALE_AFTER = 3600  # unfinished generations older than this are leftovers of a crashed build


def new_generation(index_dir: Path) -> Path:
    """Create an empty directory for a new generation."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")  # microseconds: names sort by age
    path = index_dir / f"{PREFIX}{stamp}-{secrets.token_hex(2)}"
    path.mkdir()
    return path


def current_name(index_dir: Path) -> str | None:
    """Name of the live generation, or None when nothing was built yet."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def current_path(index_dir: Path) -> Path | None:
    """Directory of the live generation, or None."""
    name = current_name(index_dir)
    return index_dir / name if name else None


def switch(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the live one: write a temp file, fsync, then rename over CURRENT."""
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(generation.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)


def link_copy(source: Path, target: Path) -> None:
    """Fill ``target`` with hard links to ``source``'s files (a copy where links are impossible)."""
    for item in source.iterdir():
        if item.is_file():
            try:
                os.link(item, target / item.name)
            except OSError:
                shutil.copy2(item, target / item.name)


def cleanup(index_dir: Path) -> list[str]:
    """Delete all but the newest generations and stale unfinished ones; return what was removed."""
    live = current_name(index_dir)
    gens = sorted((p for p in index_dir.glob(f"{PREFIX}*") if p.is_dir()), key=lambda p: p.name, reverse=True)
    finished = [p for p in gens if (p / "meta.json").exists()]
    keep = {live} | {p.name for p in finished[:KEEP]}
    removed = []
    for path in gens:
        unfinished = not (path / "meta.json").exists()
        if path.name in keep or (unfinished and time.time() - path.stat().st_mtime < STALE_AFTER):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


@contextlib.contextmanager
def _no_collection():
    # Loading a large file makes hundreds of thousands of objects, none of them garbage: collections
    # started meanwhile only walk them (a third of loading a 10,000-document generation's files).
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def read_json(path: Path, default=None):
    """Read a JSON file of a generation, or ``default`` when it is missing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    with _no_collection():
        return json.loads(text)


def write_json(path: Path, data, readable: bool = True) -> None:
    """Write a JSON file atomically; ``readable=False`` for large files only programs read (indented
    JSON is written by Python's slow encoder: 1.3 s instead of 0.1 s for a 10,000-document build)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    text = json.dumps(
        data, ensure_ascii=False, default=str, **({"indent": 1} if readable else {"separators": (",", ":")})
    )
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    """Write a text file of a generation atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_text(path: Path, default: str = "") -> str:
    """A text file of a generation, or ``default`` when it is missing."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default


def write_pickle(target: Path, value) -> None:
    """Write a file a generation keeps for the next build, atomically.

    Always a new file, never the one shared by hard link with the generation this one was copied from."""
    temp = target.with_suffix(".tmp")
    temp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    temp.replace(target)


def read_pickle(path: Path, kind: type):
    """What ``path`` holds when it is a ``kind``; None when it is missing or damaged (made again)."""
    try:
        with _no_collection():
            value = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, ImportError, IndexError):
        return None
    return value if isinstance(value, kind) else None
