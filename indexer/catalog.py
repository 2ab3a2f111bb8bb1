"""Every document a build met — indexed or hidden — with where its kind and visibility came from.

Written as ``catalog.json`` in each generation; ``/admin/content`` lists it (hidden documents are
not in the index, yet an admin must be able to show them again). An entry::

    {"id", "title", "url", "source", "origin", "date", "tags", "kind", "visibility", "hidden",
     "base_kind", "base_visibility", "rules": [rule names], "override": {"hidden"?, "visibility"?, "kind"?}}

``base_*`` is what the content and the group rules say, before an admin's override of this document.
"""

from __future__ import annotations

import threading
from pathlib import Path

from indexer import generations
from indexer.content_rules import source_kind
from indexer.document import Document
from indexer.overrides import Override

CATALOG = "catalog.json"
_cache: dict[str, tuple[float, list[dict]]] = {}
_cache_lock = threading.Lock()


def entries(
    based: list[Document],
    indexed: list[Document],
    rules: dict[str, list[str]],
    overrides: dict[str, Override],
) -> list[dict]:
    """Catalog entries for ``based`` (rules applied) given what was ``indexed`` (overrides applied)."""
    final = {d.id: d for d in indexed}
    out = []
    for doc in based:
        now = final.get(doc.id)
        override = overrides.get(doc.id)
        out.append(
            {
                "id": doc.id,
                "title": doc.title,
                "url": doc.url,
                "source": doc.source,
                "origin": source_kind(doc),
                "date": doc.date.isoformat() if doc.date else "",
                "tags": list(doc.tags),
                "kind": (now or doc).kind,
                "visibility": (now or doc).visibility,
                "hidden": now is None,
                "base_kind": doc.kind,
                "base_visibility": doc.visibility,
                "rules": rules.get(doc.id, []),
                "override": {k: v for k in ("hidden", "visibility", "kind") if (v := getattr(override, k, None))},
            }
        )
    return out


def write(generation: Path, items: list[dict]) -> None:
    """Save the catalog into a generation being built."""
    generations.write_json(generation / CATALOG, items, readable=False)


def read(index_dir: Path) -> list[dict]:
    """The live generation's catalog (empty when there is none), read once per generation."""
    live = generations.current_path(Path(index_dir))
    if live is None:
        return []
    path = live / CATALOG
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        return []
    with _cache_lock:
        cached = _cache.get(str(path))
        if cached and cached[0] == stamp:
            return cached[1]
    items = generations.read_json(path, []) or []
    with _cache_lock:
        _cache.clear()  # one generation at a time is enough
        _cache[str(path)] = (stamp, items)
    return items
