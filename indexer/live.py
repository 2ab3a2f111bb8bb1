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
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher as WhooshSearcher

from config.errors import IndexNotReady
from indexer import associations, generations, ranking
from indexer.audience import View, make_view
from indexer.overrides import OverlayState
from indexer.schema import SCHEMA_VERSION
from indexer.segment import active_resources
from indexer.spelling import MAPS_FILE, compact_maps, dump_maps

log = logging.getLogger(__name__)

MAX_NUMBERS = 100_000  # document ids whose numbers a generation keeps (taught ids only, in practice)
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
    strong: int = 0
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
        if self.rebuild_needed:
            log.warning("index %s was built with other dictionaries or schema: rebuild needed", path.name)
        self._pinyin: tuple[tuple | None, dict] | None = None  # (file stamp, map)
        self._semantic: associations.SemanticModel | bool | None = False  # False: not loaded yet
        self._views: dict[str, View] = {}
        # Candidates (or candidates with what was taught applied) per kind of key: each kind has its
        # own bound, so composing taught rankings never pushes the plain rankings they start from out.
        self._caches: dict[object, OrderedDict[tuple, Any]] = {}
        self._cache_lock = threading.Lock()
        self._numbers: dict[str, int | None] = {}
        # Typo help needs the pinyin map; load it now in the background, not on a user's query.
        self._warming = threading.Thread(target=self._warm_up, name="pinyin-warmup", daemon=True)
        self._warming.start()

    def settle(self, timeout: float = 30.0) -> None:
        """Wait for the background loading to end (before a fork: children inherit it loaded, no lock held)."""
        self._warming.join(timeout)

    def after_fork(self) -> None:
        """Fresh locks in a forked child (a parent's thread may have held one when it forked)."""
        self._cache_lock = threading.Lock()

    def _warm_up(self) -> None:
        self.pinyin_map  # noqa: B018 - loads it
        self.semantic  # noqa: B018

    @property
    def rebuild_needed(self) -> bool:
        """Built with other dictionaries or schema than the ones on disk now (edits are noticed live)."""
        return (
            self.meta.get("resources_hash") != active_resources().digest
            or self.meta.get("schema_version") != SCHEMA_VERSION
        )

    def view(self, searcher: WhooshSearcher, audience: str, overlay: OverlayState | None = None) -> View:
        """What ``audience`` may see of this generation, worked out once per generation (and per
        version of the admins' overrides, ``indexer.overrides``).

        Whoosh would otherwise rebuild the mask from the postings on every masked search (13% of
        a search at 10,000 documents).
        """
        found = self._views.get(audience)
        if found is None or found.overlay is not overlay:
            found = self._views[audience] = make_view(searcher, audience, overlay)
        return found

    def cached(self, key: tuple) -> Any:
        with self._cache_lock:
            cache = self._caches.get(key[0])
            found = None if cache is None else cache.get(key)
            if found is not None:
                cache.move_to_end(key)
            return found

    def document_number(self, searcher: WhooshSearcher, doc_id: str) -> int | None:
        """The document number of ``doc_id`` in this generation (None: not in it), looked up once.

        Taught lifts and pins name documents by id on every search; Whoosh's lookup reads the id
        field's postings each time (half of a taught search's time in ``bench web``)."""
        try:
            return self._numbers[doc_id]
        except KeyError:
            pass
        number = searcher.document_number(id=doc_id)
        if len(self._numbers) < MAX_NUMBERS:
            self._numbers[doc_id] = number
        return number

    def remember(self, key: tuple, found: Any, size: int) -> None:
        if size <= 0:
            return
        with self._cache_lock:
            cache = self._caches.setdefault(key[0], OrderedDict())
            cache[key] = found
            while len(cache) > size:
                cache.popitem(last=False)

    @property
    def semantic(self) -> associations.SemanticModel | None:
        """The generation's learnt word and document vectors (None: none were learnt)."""
        if self._semantic is False:
            self._semantic = associations.load(self.path)
        return self._semantic

    @property
    def pinyin_map(self) -> dict:
        """``{"all": {reading: [word, df]}, "client": {reading: [word, df] | None}}`` (see indexer.spelling).

        Read again when the file changes: an update switches first with a map lacking the readings it
        changed and writes the exact one a moment later (``indexer.build._quick_typo_map``)."""
        path = self.path / MAPS_FILE
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if self._pinyin is None or self._pinyin[0] != stamp:
            text = generations.read_text(path)
            if not text and stamp is None:  # a generation built before the maps were kept as text
                text = dump_maps(generations.read_json(self.path / "pinyin.json", {}) or {})
            self._pinyin = (stamp, compact_maps(text))
        return self._pinyin[1]
