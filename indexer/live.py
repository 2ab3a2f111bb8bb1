"""An opened index generation: the Whoosh index, its metadata, and what is kept per generation
(the client mask, the typo map, a cache of ranked candidates). A new generation starts afresh, so
nothing cached ever outlives the switch of CURRENT.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher as WhooshSearcher

from config.errors import IndexNotReady
from indexer import generations, ranking
from indexer.schema import SCHEMA_VERSION
from indexer.segment import active_resources

log = logging.getLogger(__name__)

INTERNAL = wq.Term("visibility", "internal")
BUILD_HINT = "请先运行 python -m indexer rebuild 建立索引"


class TrackingStorage(FileStorage):
    """Whoosh leaves a damaged file open when it fails to read it; remember what it opened."""

    def __init__(self, path: str):
        super().__init__(path, readonly=True)
        self._opened: list = []

    def open_file(self, name, **kwargs):
        handle = super().open_file(name, **kwargs)
        self._opened.append(handle)
        return handle

    def close_opened(self) -> None:
        for handle in self._opened:
            handle.close()


@dataclass
class Candidates:
    """Everything a search found before paging: what the cache keeps for a query."""

    total: int = 0
    weak: bool = False
    ranked: list[ranking.Scored] = field(default_factory=list)
    docs: list[dict] | None = None  # a listing (a tag or kind without words), newest first
    corrected: str | None = None
    related_tags: list[str] = field(default_factory=list)


class Generation:
    """One opened generation: the Whoosh index, its metadata and lazily loaded extras."""

    def __init__(self, path: Path, config_dir: Path | None):
        storage = TrackingStorage(str(path))
        try:
            self.index = whoosh_index.FileIndex(storage)
            self.doc_count = self.index.doc_count()
        except Exception as exc:  # Whoosh raises many kinds for missing or damaged files
            storage.close_opened()
            raise IndexNotReady(f"索引 {path.name} 无法打开（{type(exc).__name__}）：{BUILD_HINT}") from exc
        self.path = path
        self.meta = generations.read_json(path / "meta.json", {}) or {}
        resources = active_resources()
        self.rebuild_needed = (
            self.meta.get("resources_hash") != resources.digest or self.meta.get("schema_version") != SCHEMA_VERSION
        )
        if self.rebuild_needed:
            log.warning("index %s was built with other dictionaries or schema: rebuild needed", path.name)
        self._pinyin: dict | None = None
        self._internal: set[int] | None = None
        self._cache: OrderedDict[tuple, Candidates] = OrderedDict()
        self._cache_lock = threading.Lock()
        # Typo help needs the pinyin map; load it now in the background, not on a user's query.
        threading.Thread(target=lambda: self.pinyin_map, name="pinyin-warmup", daemon=True).start()

    def internal_docs(self, searcher: WhooshSearcher) -> set[int]:
        """Numbers of the `internal` documents (what a client must not see), found once per generation.

        Whoosh would otherwise rebuild this set from the postings on every masked search (13% of
        a search at 10,000 documents).
        """
        if self._internal is None:
            self._internal = set(searcher.docs_for_query(INTERNAL))
        return self._internal

    def cached(self, key: tuple) -> Candidates | None:
        with self._cache_lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def remember(self, key: tuple, found: Candidates, size: int) -> None:
        if size <= 0:
            return
        with self._cache_lock:
            self._cache[key] = found
            while len(self._cache) > size:
                self._cache.popitem(last=False)

    @property
    def pinyin_map(self) -> dict:
        if self._pinyin is None:
            self._pinyin = generations.read_json(self.path / "pinyin.json", {}) or {}
        return self._pinyin
