"""Search the live index generation: the only way the bot and the CLI read the index.

The audience filter lives here (a client never gets `internal` documents, whoever calls), and the
searcher follows `CURRENT` by itself, so a rebuild needs no restart of its readers.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from config.errors import IndexNotReady
from indexer import generations, mapped, meaning, ranking, teaching
from indexer.audience import AUDIENCES, View, check_audience
from indexer.live import BUILD_HINT, Candidates, Generation
from indexer.overrides import Overlay
from indexer.query import ParsedQuery, parse_query
from indexer.results import Hit, SearchResult, hit_from_fields
from indexer.segment import configure, get_segmenter
from indexer.snippets import make_snippet
from indexer.spelling import correct

log = logging.getLogger(__name__)
mapped.install()  # searchers read the segments' memory maps instead of copying them

__all__ = ["AUDIENCES", "Hit", "SearchResult", "Searcher", "open_searcher"]

MIN_CORRECTION_DF = 2  # a homophone found in one document only is as likely noise as intent
# Ranked candidates kept per generation for repeated queries and their next pages (更多 re-ran the
# whole search); ~50 KB an entry (13 MB at most). A new generation starts with an empty cache.
CACHE_SIZE = 256


class Searcher:
    """Thread-safe search over the live generation of ``index_dir``."""

    def __init__(
        self,
        index_dir: Path,
        config_dir: Path | None = None,
        cache_size: int = CACHE_SIZE,
        overlay: Overlay | None = None,
        exhaustive: bool = False,
    ):
        self.index_dir = Path(index_dir)
        self.exhaustive = exhaustive  # Whoosh scores every posting (ranking.gather): a baseline to compare
        self.config_dir = config_dir
        self.cache_size = cache_size
        self.overlay = overlay  # admins' overrides since the build (indexer.overrides), on every path
        if config_dir:
            configure(config_dir)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._stamp: tuple[int, int] | None = None
        self._gen: Generation | None = None
        self._refresh()
        get_segmenter()  # load the dictionary now, not on the first message
        self.search("预热")  # and touch Whoosh's lazily read structures

    # -- generation handling -------------------------------------------------------------
    def _refresh(self) -> Generation:
        try:
            st = os.stat(self.index_dir / generations.CURRENT)
        except FileNotFoundError:
            if self._gen is not None:
                return self._gen
            raise IndexNotReady(f"{self.index_dir} 里还没有索引：{BUILD_HINT}") from None
        stamp = (st.st_ino, st.st_mtime_ns)
        if stamp == self._stamp and self._gen is not None:
            return self._gen
        with self._lock:
            if stamp != self._stamp or self._gen is None:
                path = generations.current_path(self.index_dir)
                if path is None or not path.is_dir():
                    if self._gen is not None:
                        log.error("CURRENT names a missing generation %s; keeping %s", path, self._gen.path.name)
                        return self._gen
                    raise IndexNotReady(f"CURRENT 指向的索引 {path} 不存在：{BUILD_HINT}")
                try:
                    self._gen = Generation(path, self.config_dir)
                except IndexNotReady:
                    if self._gen is None:
                        raise
                    log.exception("new generation %s cannot be opened; keeping %s", path.name, self._gen.path.name)
                self._stamp = stamp
        return self._gen

    def _view(self, audience: str) -> tuple[Generation, WhooshSearcher, View]:
        """The live generation, this thread's Whoosh searcher and what ``audience`` may see of it:
        every public method starts here, so no path reads documents without the audience's view."""
        gen, searcher = self._whoosh()
        overlay = self.overlay.current() if self.overlay else None
        return gen, searcher, gen.view(searcher, check_audience(audience), overlay)

    def _whoosh(self) -> tuple[Generation, WhooshSearcher]:
        gen = self._refresh()
        local = self._local
        if getattr(local, "gen", None) is not gen:
            if getattr(local, "searcher", None) is not None:
                local.searcher.close()
            local.searcher = gen.index.searcher()
            local.gen = gen
        return gen, local.searcher

    # -- public API ------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        audience: str = "client",
        kind: str | None = None,
        tag: str | None = None,
        limit: int = 5,
        offset: int = 0,
        expansions: Sequence[str] = (),
        pinned: Sequence[str] = (),
        lifted: Mapping[str, float] | None = None,
    ) -> SearchResult:
        """Search for ``query`` as ``audience`` sees the index; never raises on odd input.

        What admins taught (``indexer.teaching``): ``expansions`` are other queries searched too,
        ``pinned`` document ids go first, ``lifted`` multiplies scores by document id. None of them
        reaches a document the audience may not see.
        """
        gen, searcher, view = self._view(audience)
        found = self._found(gen, searcher, view, query, kind, tag)
        taught: dict[int, tuple[str, float]] = {}
        if found.docs is None and (expansions or pinned or lifted):
            found, taught = self._taught(gen, searcher, view, found, query, kind, tag, expansions, pinned, lifted)
        result = SearchResult(
            query=query, total=found.total, weak=found.weak, corrected=found.corrected, strong=found.strong
        )
        result.related_tags = list(found.related_tags)
        if found.docs is not None:
            result.hits = [hit_from_fields(d) for d in found.docs[offset : offset + limit]]
            return result
        for scored in found.ranked[offset : offset + limit]:
            hit = hit_from_fields(scored.load(searcher), scored.score)
            if scored.snippet is None:
                text = scored.fields.get("body") or scored.fields.get("summary") or ""
                scored.snippet = make_snippet(text, scored.words, primary=scored.primary)
                scored.fields = {k: v for k, v in scored.fields.items() if k != "body"}
            hit.snippet, hit.highlights = scored.snippet[0], list(scored.snippet[1])
            if scored.docnum in taught:
                hit.taught, hit.score = taught[scored.docnum]
            result.hits.append(hit)
        return result

    def _found(
        self, gen: Generation, searcher: WhooshSearcher, view: View, query: str, kind: str | None, tag: str | None
    ) -> Candidates:
        key = ("search", query, view.key, kind, tag)
        found = gen.cached(key)
        if found is None:
            found = self._candidates(gen, searcher, view, query, kind, tag)
            gen.remember(key, found, self.cache_size)
        return found

    def _taught(self, gen, searcher, view, found, query, kind, tag, expansions, pinned, lifted):
        """``found`` with what admins taught applied, composed once per query, rules and lifts."""
        expansions = tuple(expansions[: teaching.MAX_EXPANSIONS])
        key = ("taught", query, view.key, kind, tag, expansions, tuple(pinned), tuple(sorted((lifted or {}).items())))
        composed = gen.cached(key)
        if composed is None:

            def number_of(doc_id: str) -> int | None:
                return gen.document_number(searcher, doc_id)

            pins = teaching.visible(searcher, view, pinned, _filter(kind, [tag] if tag else []), number_of)
            extra = [self._found(gen, searcher, view, q, kind, tag) for q in expansions]
            composed = teaching.compose(number_of, found, extra, pins, lifted or {})
            gen.remember(key, composed, self.cache_size)
        return composed

    def _candidates(
        self, gen: Generation, searcher: WhooshSearcher, view: View, query: str, kind: str | None, tag: str | None
    ) -> Candidates:
        segmenter = get_segmenter()
        parsed = parse_query(query, segmenter, segmenter.resources)
        found = Candidates()
        tags = [*parsed.tags, *([tag] if tag else [])]
        filt = _filter(kind, tags)
        if not parsed.content_groups:
            if tags or kind or parsed.kind_hint:
                found.docs = self._listing(searcher, view, filt or _kind_filter(parsed.kind_hint))
                found.total = len(found.docs)
            return found
        ranking.attach_frequencies(searcher, parsed)
        found.corrected = self._correct(gen, parsed, view.audience) or parsed.corrected
        if found.corrected:
            ranking.attach_frequencies(searcher, parsed)
        meaning.expand(searcher, parsed, self._thesaurus(), segmenter.resources.query_stopwords)
        hint = None if kind else parsed.kind_hint
        ranked = ranking.rank(
            searcher, view, parsed, filt, kind_hint=hint, semantic=gen.semantic, exhaustive=self.exhaustive
        )
        found.ranked, found.total, found.weak = ranked.hits, len(ranked.hits), ranked.weak
        found.strong = ranked.strong
        if not ranked.hits:
            found.related_tags = self._related_tags(searcher, view, parsed, gen)
        return found

    def latest(self, *, audience: str = "client", kind: str | None = None, limit: int = 5) -> list[Hit]:
        """Newest documents the audience may see."""
        gen, searcher, view = self._view(audience)
        key = ("latest", view.key, kind)
        found = gen.cached(key)
        if found is None:
            found = Candidates(docs=self._listing(searcher, view, _kind_filter(kind)))
            gen.remember(key, found, self.cache_size)
        return [hit_from_fields(d) for d in (found.docs or [])[:limit]]

    def get(self, doc_id: str, *, audience: str = "client") -> Hit | None:
        """One document by id, or None when it is gone or not for this audience."""
        _, searcher, view = self._view(audience)
        fields = view.document(searcher, id=doc_id)
        return hit_from_fields(fields) if fields else None

    def body(self, doc_id: str, *, audience: str = "client") -> str | None:
        """One document's stored plain-text body (share kits quote it), or None like ``get``."""
        _, searcher, view = self._view(audience)
        fields = view.document(searcher, id=doc_id)
        return (fields.get("body") or "") if fields else None

    def stats(self) -> dict:
        """`{"documents", "by_kind", "generation", "built_at", "size_bytes", "rebuild_needed"}`."""
        gen, _ = self._whoosh()
        meta = gen.meta
        size = sum(p.stat().st_size for p in gen.path.iterdir() if p.is_file())
        return {
            "documents": gen.doc_count,
            "by_kind": meta.get("by_kind", {}),
            "by_visibility": meta.get("by_visibility", {}),
            "generation": gen.path.name,
            "built_at": meta.get("built_at"),
            "size_bytes": size,
            "segments": len(gen.index._segments()),
            "problems": meta.get("problems", 0),
            "rebuild_needed": gen.rebuild_needed,
        }

    def settle(self) -> None:
        """Finish loading what the live generation loads in the background (call before forking)."""
        if self._gen is not None:
            self._gen.settle()

    def after_fork(self) -> None:
        """Make this searcher, opened by a parent process, safe to use in a forked child.

        Everything it read is shared with the parent copy-on-write (the generation, the typo map, the
        masks, the segment readers over their mapped files: nothing reads through a shared file
        offset), so a gunicorn worker starts without opening the index again.
        """
        self._lock = threading.Lock()
        if self._gen is not None:
            self._gen.after_fork()

    def close(self) -> None:
        """Close this thread's Whoosh searcher."""
        if getattr(self._local, "searcher", None) is not None:
            self._local.searcher.close()
            self._local.searcher = None
            self._local.gen = None

    # -- helpers -----------------------------------------------------------------------------
    def _thesaurus(self) -> meaning.Thesaurus:
        from indexer.segment import config_dir

        return meaning.load_thesaurus(self.config_dir or config_dir())

    def _listing(self, searcher: WhooshSearcher, view: View, filt) -> list[dict]:
        results = view.search(searcher, wq.Every(), filter=filt, sortedby="ts", reverse=True, limit=ranking.POOL)
        # Listings are cached: keep what a hit shows, not the body.
        return [{k: v for k, v in r.fields().items() if k != "body"} for r in results]

    def _correct(self, gen: Generation, parsed: ParsedQuery, audience: str) -> str | None:
        changed = False
        text = parsed.text
        segmenter = get_segmenter()
        domain = segmenter.resources.domain_words
        for group in parsed.content_groups:
            if group.df:
                continue
            # The correction data is the audience's own: a client is never offered a word that
            # only internal documents contain.
            found = correct(group.word, gen.pinyin_map, audience)
            if not found:
                continue
            fixed, df = found
            # A word jieba knows (量子) may simply be absent from the index: only replace it by a
            # homophone from our own domain vocabulary (按例 → 案例), never by any indexed word.
            if fixed in domain or (not group.known and df >= MIN_CORRECTION_DF):
                text = text.replace(group.word, fixed)
                group.corrected_from, group.word, group.known = group.word, fixed, True
                group.synonyms = segmenter.resources.synonyms_of(fixed)
                group.related = segmenter.resources.related_of(fixed)
                changed = True
        return text if changed else None

    def _related_tags(self, searcher: WhooshSearcher, view: View, parsed: ParsedQuery, gen: Generation) -> list[str]:
        chars = {ch for g in parsed.content_groups for ch in g.word if "\u3400" <= ch <= "\u9fff"}
        counts: Counter[str] = Counter()
        if chars:
            loose = wq.Or([wq.Term(f, ch) for ch in chars for f in ("title", "tags_text")])
            for hit in view.search(searcher, loose, limit=20):
                counts.update(hit.get("tags") or ())
        if not counts:
            key = "top_tags" if view.audience == "client" else "top_tags_all"
            return list(gen.meta.get(key, []))[:5]
        return [t for t, _ in counts.most_common(5)]


def _kind_filter(kind: str | None):
    return wq.Term("kind", kind) if kind else None


def _filter(kind: str | None, tags: list[str]):
    # "#私域" also finds 私域流量 and 私域社群: a tag filter matches tags that start with the word
    parts = [wq.Prefix("tag", ranking.tag_key(t)) for t in tags]
    if kind:
        parts.append(wq.Term("kind", kind))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def open_searcher(
    index_dir: Path | str,
    config_dir: Path | None = None,
    cache_size: int = CACHE_SIZE,
    overlay: Overlay | None = None,
    exhaustive: bool = False,
) -> Searcher:
    """Open the live generation of ``index_dir``; raise IndexNotReady naming the build command.

    ``cache_size`` ranked queries are kept per generation (0: none, e.g. to measure search itself);
    ``overlay`` brings the admins' overrides (``indexer.overrides.Overlay``) into every search at once;
    ``exhaustive`` scores candidates the old way, posting by posting (same results; benchmarks and tests).
    """
    return Searcher(Path(index_dir), config_dir, cache_size, overlay, exhaustive)
