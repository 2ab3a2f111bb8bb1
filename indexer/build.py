"""Build index generations: `rebuild` (everything) and `update` (only what changed).

Both read all sources, write a *new* generation and switch `CURRENT` atomically at the end, under
the build lock. `update` starts from hard links to the live generation, re-indexes only documents
whose content hash changed, and merges segments so queries do not slow down as updates pile up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from config.settings import Settings
from indexer import catalog, generations, mapped
from indexer import vocabulary as segment_counts
from indexer.document import Document, Problem
from indexer.gather import Gathered, gather
from indexer.lock import build_lock
from indexer.schema import BIGRAM_LEAD_CHARS, SCHEMA_VERSION, build_schema
from indexer.segment import active_resources, configure
from indexer.shared import SharedContent
from indexer.sources.read_cache import ReadCache
from indexer.spelling import (
    MAPS_FILE,
    audience_maps,
    build_pinyin_map,
    document_words,
    dump_maps,
    reading_of,
    without_words,
)
from indexer.text import fold
from indexer.writer import write_parallel, write_serial

log = logging.getLogger(__name__)
mapped.install()  # an update reads the live segments (deletions, merges): in place, not copied (0.3 s a reader)

MAX_SEGMENTS = 3  # segments an index may have (6 segments measured 2.6× slower); see _merge_updates
LARGE_SEGMENT = 0.1  # a segment with this share of the documents is kept by updates, not rewritten
MAX_DELETED = 0.25  # compact the whole index once this share of its documents are deleted versions
WRITER_MB = 256
BUILD_PROCS = max(1, min(os.cpu_count() or 1, MAX_SEGMENTS - 1))  # updates add one more segment
PARALLEL_FROM = 2000
NETWORK_PROBLEMS = ("fetch", "api")
NETWORK_IDS = ("url:", "wx:")
_SPACE = re.compile(r"\s+")

Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    """What a build did; saved as report.json in the generation and shown by CLI and dashboard."""

    generation: str = ""
    mode: str = "rebuild"
    documents: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    switched: bool = False
    forwarded: int = 0  # documents admins forwarded (shared state), among ``documents``
    rules: list[dict] = field(default_factory=list)  # group rules: [{"name", "rule", "matched"}]
    overrides: dict[str, int] = field(default_factory=dict)  # admins' per-document changes applied

    @classmethod
    def of(cls, mode: str, found: Gathered) -> BuildReport:
        """A report for a build of what ``gather`` found."""
        return cls(
            mode=mode,
            problems=list(found.problems),
            forwarded=found.forwarded,
            rules=found.rules,
            overrides=found.overrides,
        )

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if p.skipped)

    def summary(self) -> dict[str, int]:
        """Problems counted by category, e.g. {"encoding": 1, "yaml": 2}."""
        return dict(Counter(p.category for p in self.problems))

    def to_json(self) -> dict:
        data = asdict(self)
        data["skipped"] = self.skipped
        data["by_category"] = self.summary()
        return data


def rebuild(
    settings: Settings,
    progress: Progress | None = None,
    wechat=None,
    wait: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    shared: SharedContent | None = None,
) -> BuildReport:
    """Index everything into a new generation and switch to it.

    ``shared`` is the state forwarded documents live in (default: Redis at REDIS_URL, if set).
    """
    configure(settings.config_dir)
    shared = shared or SharedContent.connect(settings)
    with build_lock(settings.index_dir, "rebuild", wait=wait, on_wait=on_wait):
        return _rebuild(settings, progress, wechat, shared)


def _rebuild(settings: Settings, progress: Progress | None, wechat, shared: SharedContent | None) -> BuildReport:
    start = time.monotonic()
    found = gather(settings, wechat, shared, workers=BUILD_PROCS)
    report = BuildReport.of("rebuild", found)
    gen = generations.new_generation(settings.index_dir)
    ix = whoosh_index.create_in(str(gen), build_schema())
    # Large builds write one segment per core in forked processes (no final merge, which would
    # serialise the work again); small ones are not worth the fork (indexer.writer).
    docs = found.documents
    ready = None

    def keep(segment_id: str, counts: Counter) -> None:  # each segment's word counts, for later updates
        segment_counts.save(gen, segment_id, counts)

    if len(docs) >= PARALLEL_FROM and BUILD_PROCS > 1:
        vocabulary, ready = write_parallel(
            ix,
            docs,
            _fields,
            BUILD_PROCS,
            progress,
            limitmb=WRITER_MB // BUILD_PROCS,
            meanwhile=lambda: _while_writing(docs),
            keep=keep,
        )
    else:
        vocabulary = write_serial(ix, docs, _fields, progress, limitmb=WRITER_MB, keep=keep)
    report.added = len(found.documents)
    return _finish(settings, gen, ix, found, report, start, vocabulary=vocabulary, ready=ready)


def update(
    settings: Settings,
    progress: Progress | None = None,
    wechat=None,
    wait: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    shared: SharedContent | None = None,
) -> BuildReport:
    """Re-index only added, changed and removed documents; a full rebuild when the index is missing
    or was built with other dictionaries."""
    configure(settings.config_dir)
    shared = shared or SharedContent.connect(settings)
    with build_lock(settings.index_dir, "update", wait=wait, on_wait=on_wait):
        # CURRENT is read under the lock: a build that finished while we waited is the one to update.
        live = generations.current_path(settings.index_dir)
        meta = generations.read_json(live / "meta.json", {}) if live else {}
        if not live or not meta or not _compatible(meta):
            return _rebuild(settings, progress, wechat, shared)
        return _update(settings, live, progress, wechat, shared)


def _update(
    settings: Settings, live: Path, progress: Progress | None, wechat, shared: SharedContent | None
) -> BuildReport:
    start = time.monotonic()
    found = gather(settings, wechat, shared, workers=BUILD_PROCS, reads=ReadCache.load(live))  # changed files only
    old = generations.read_json(live / "docs.json", {}) or {}
    new = {d.id: d.content_hash() for d in found.documents}
    report = BuildReport.of("update", found)
    changed = [d for d in found.documents if old.get(d.id) != new[d.id]]
    # A page that failed to download this time is not a page that was deleted: keep the
    # network documents we have when their source reported a failure.
    network_failed = any(p.category in NETWORK_PROBLEMS for p in found.problems)
    kept = {i: h for i, h in old.items() if i not in new and network_failed and i.startswith(NETWORK_IDS)}
    removed = [i for i in old if i not in new and i not in kept]
    report.added = sum(1 for d in changed if d.id not in old)
    report.changed = len(changed) - report.added
    report.removed = len(removed)
    report.unchanged = len(found.documents) - len(changed)
    if not changed and not removed:
        report.generation = live.name
        report.documents = len(found.documents)
        report.seconds = time.monotonic() - start
        catalog.write(live, found.catalog)  # overrides that change nothing indexed still show
        found.reads.save(live)
        generations.write_json(live / "report.json", report.to_json())
        return report
    gen = generations.new_generation(settings.index_dir)
    generations.link_copy(live, gen)
    ix = whoosh_index.open_dir(str(gen))
    before = segment_counts.segment_ids(ix)
    # The versions this update replaces stay counted by their segments: their words' live counts change.
    replaced = segment_counts.words_of_documents(ix, [d.id for d in changed if d.id in old] + removed)
    writer = ix.writer(limitmb=WRITER_MB)
    try:
        for doc_id in removed:
            writer.delete_by_term("id", doc_id)
        for i, doc in enumerate(changed, 1):
            writer.update_document(**_fields(doc))
            if progress:
                progress(i, len(changed))
        writer.commit(mergetype=_merge_updates)
    except BaseException:
        writer.cancel()
        raise
    if ix.doc_count() < ix.doc_count_all() * (1 - MAX_DELETED):
        ix.optimize()  # the big segments carry many deleted documents: compact them once
    return _finish(settings, gen, ix, found, report, start, kept, previous=_Previous(live, before, replaced))


def _merge_updates(writer, segments):
    """Merge policy for `update`: keep the large segments of the last full build as they are and merge
    every small one (earlier updates) into the new segment. An update then never rewrites the whole
    index (a full optimize took ~55 s at 10,000 documents), and at most BUILD_PROCS + 1 segments remain."""
    from whoosh.reading import SegmentReader

    total = sum(seg.doc_count_all() for seg in segments) or 1
    largest = sorted(segments, key=lambda seg: seg.doc_count_all(), reverse=True)[:BUILD_PROCS]
    keep = [seg for seg in largest if seg.doc_count_all() >= total * LARGE_SEGMENT]
    for seg in segments:
        if not any(seg is kept for kept in keep):
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)
            reader.close()
    return keep


def _compatible(meta: dict) -> bool:
    return meta.get("schema_version") == SCHEMA_VERSION and meta.get("resources_hash") == active_resources().digest


def _fields(doc: Document) -> dict:
    tags_text = " ".join(doc.tags)
    flat = _SPACE.sub(" ", doc.body).strip()
    # Stored with its line breaks: headings and list items stay apart from the sentences after them
    # (share kits quote whole sentences); searching and snippets treat a line break as a space.
    body = "\n".join(_SPACE.sub(" ", line).strip() for line in doc.body.splitlines() if line.strip())
    return {
        "id": doc.id,
        "kind": doc.kind,
        "visibility": doc.visibility,
        "tag": ",".join(fold(t).strip() for t in doc.tags if "," not in t),
        "title": doc.title,
        "tags_text": tags_text,
        # A summary cut from the body's opening adds nothing to search but postings to write.
        "summary": "" if doc.summary and flat.startswith(doc.summary.rstrip("…. ")[:40]) else doc.summary,
        "_stored_summary": doc.summary,
        "body": body,
        "bigrams": " ".join((doc.title, tags_text, doc.summary or "", body[:BIGRAM_LEAD_CHARS])),
        "ts": doc.date.toordinal() if doc.date else 0,
        "url": doc.url,
        "cover": doc.cover,
        "date": doc.date.isoformat() if doc.date else "",
        "tags": list(doc.tags),
        "source": doc.source,
        "hash": doc.content_hash(),
    }


def _vocabulary(ix, folder: Path | None = None) -> Iterable[tuple[str, int]]:
    """Each indexed word with its document frequency (the largest over title, tags and body), from the
    counts kept per segment in ``folder`` (default: the index's own), counting only segments without."""
    return _words(segment_counts.of_index(ix, Path(folder or ix.storage.folder)))


def _words(per_field: Counter) -> Iterable[tuple[str, int]]:
    """Each word's document frequency, the largest over the fields (as ``_vocabulary`` counts them)."""
    counts: Counter[str] = Counter()
    for (_, word), df in per_field.items():
        counts[word] = max(counts[word], df)
    return counts.items()


def _pinyin_map(
    ix,
    documents: list[Document],
    vocabulary: Counter | None = None,
    internal: dict[str, int] | None = None,
    readings: dict[str, str] | None = None,
    deleted: Counter | None = None,
) -> dict:
    # The searcher only ever corrects to a domain word or to a word in MIN_CORRECTION_DF documents;
    # other readings are left out so that every worker holds half the map (13 instead of 29 MB at
    # 10,000 documents). Each reading keeps its most frequent word, so no accepted correction changes.
    # Clients get a map of public words only (indexer.spelling.audience_maps).
    from indexer.search import MIN_CORRECTION_DF

    domain = active_resources().domain_words
    # The writers counted the words as they wrote them (indexer.writer); an update reads them back.
    vocabulary = dict(_vocabulary(ix) if vocabulary is None else _words(vocabulary))
    # Live documents only: the counts still include deleted versions (``deleted_words``).
    if deleted is None:
        deleted = segment_counts.deleted_words(ix, None)
    for word, n in deleted.items():
        if word in vocabulary:
            vocabulary[word] -= n
    if internal is None:
        internal = _internal_counts(_internal_words(documents, {}))
    public = ((w, df - internal.get(w, 0)) for w, df in vocabulary.items())

    def useful(found: dict[str, list]) -> dict[str, list]:
        return {key: best for key, best in found.items() if best[1] >= MIN_CORRECTION_DF or best[0] in domain}

    # Both maps read the same words: each is looked up once, or not at all when ``readings`` (those of the
    # generation an update started from) has it. What is left in it afterwards is every word's reading.
    readings = {} if readings is None else readings

    def reading(word: str) -> str:
        found = readings.get(word)
        if found is None:
            found = readings[word] = reading_of(word)
        return found

    full = useful(build_pinyin_map(vocabulary.items(), reading=reading))
    return audience_maps(full, useful(build_pinyin_map(public, reading=reading)))


def _internal_words(documents: list[Document], known: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The words of each internal document by content hash, cut only for documents ``known`` lacks."""
    return {
        d.content_hash(): known.get(d.content_hash()) or document_words(d)
        for d in documents
        if d.visibility == "internal"
    }


def _internal_counts(words_by_hash: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """How many internal documents hold each word (the client's typo map subtracts them)."""
    return dict(Counter(word for words in words_by_hash.values() for word in words))


@dataclass
class _Ready:
    """What ``_finish`` needs that does not depend on the index, made while the writers run."""

    internal: dict[str, tuple[str, ...]]  # each internal document's words by hash (the client's typo map)
    hashes: dict[str, str]  # docs.json


def _while_writing(documents: list[Document]) -> _Ready:
    """Work of ``_finish`` done in the parent while the writers run instead of after them, when the
    parent would leave a core idle: the internal documents' words, the content hashes, and loading
    the phrase readings the typo map looks up."""
    from pypinyin.phrases_dict import phrases_dict  # noqa: F401  (~0.5 s to load; reading_of needs it)

    return _Ready(_internal_words(documents, {}), {d.id: d.content_hash() for d in documents})


def _learn_meaning(gen: Path, ix, documents: list[Document]) -> None:
    # The corpus's own word associations and document topics (indexer.associations): learnt from
    # public documents, every document folded in, stored by document number of this generation.
    from indexer.associations import learn, save
    from indexer.segment import get_segmenter

    segmenter = get_segmenter()
    with ix.searcher() as searcher:
        docnums = [searcher.document_number(id=d.id) for d in documents]
        size = searcher.doc_count_all()
    texts = [" ".join((d.title, " ".join(d.tags), d.summary or "", d.body)) for d in documents]
    public = [d.visibility == "public" for d in documents]
    save(learn(texts, public, docnums, size, segmenter.words, segmenter.resources.query_stopwords), gen)


@dataclass
class _Previous:
    """What an update knows of the generation it started from."""

    folder: Path
    segments: set[str]  # its segment ids
    replaced: set[str]  # words of the document versions the update deleted (still counted by their segments)


def _finish(
    settings: Settings,
    gen: Path,
    ix,
    found: Gathered,
    report: BuildReport,
    start: float,
    kept: dict[str, str] | None = None,
    vocabulary: Counter | None = None,
    ready: _Ready | None = None,
    previous: _Previous | None = None,
) -> BuildReport:
    """Write what a generation keeps beside the index and switch to it.

    An update (``previous``) switches as soon as
    searches can use the new generation, with the previous typo map less the readings whose word may have
    changed (``_quick_typo_map``), and then writes the exact map and the files only the next build reads.
    """
    documents = found.documents
    catalog.write(gen, found.catalog)
    by_kind = Counter(d.kind for d in documents)
    by_visibility = Counter(d.visibility for d in documents)
    # Suggested when nothing matches; a client must not even see the names of internal tags.
    top_tags = [t for t, _ in Counter(t for d in documents if d.visibility == "public" for t in d.tags).most_common(10)]
    top_tags_all = [t for t, _ in Counter(t for d in documents for t in d.tags).most_common(10)]
    known = segment_counts.load_internal_words(previous.folder) if previous else {}
    internal_words = ready.internal if ready else _internal_words(documents, known)
    hashes = ready.hashes if ready else {d.id: d.content_hash() for d in documents}
    generations.write_json(gen / "docs.json", {**(kept or {}), **hashes}, readable=False)

    def exact_typo_map() -> None:
        readings = segment_counts.load_readings(gen)
        internal = _internal_counts(internal_words)
        deleted = segment_counts.deleted_words(ix, gen, previous and previous.folder)
        exact = _pinyin_map(ix, documents, vocabulary, internal, readings, deleted)
        generations.write_text(gen / MAPS_FILE, dump_maps(exact))
        segment_counts.save_readings(gen, readings)

    # Words whose live or internal count this update changed besides its segments' words: those of
    # internal documents added or removed (by content), and of the versions it deleted.
    touched = set(previous.replaced) if previous else set()
    for digest in known.keys() ^ internal_words.keys():
        touched.update(known.get(digest) or internal_words.get(digest))
    quick = previous and _quick_typo_map(gen, ix, previous, touched)
    if not quick:
        exact_typo_map()
    if settings.semantic_channel:
        _learn_meaning(gen, ix, documents)
    report.generation = gen.name
    report.documents = ix.doc_count()
    report.seconds = round(time.monotonic() - start, 3)
    generations.write_json(gen / "report.json", report.to_json())
    meta = {
        "generation": gen.name,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "documents": report.documents,
        "by_kind": dict(by_kind),
        "by_visibility": dict(by_visibility),
        "top_tags": top_tags,
        "top_tags_all": top_tags_all,
        "problems": len(report.problems),
        "resources_hash": active_resources().digest,
        "schema_version": SCHEMA_VERSION,
        "mode": report.mode,
    }
    generations.write_json(gen / "meta.json", meta)  # written last: a generation without it is unfinished
    generations.switch(settings.index_dir, gen)
    report.switched = True
    # Searches use the new generation from here on; the rest is read by the next build (or, for the typo
    # map, picked up by open searchers when the file changes). A crash here leaves files that are still right
    # for the previous generation's documents: the next update redoes the changed ones.
    if quick:
        exact_typo_map()
    segment_counts.save_internal_words(gen, internal_words)
    segment_counts.prune(ix, gen)  # an update's merge left counts of segments this generation lacks
    found.reads.save(gen)
    removed = generations.cleanup(settings.index_dir)
    if removed:
        log.info("removed old generations: %s", ", ".join(removed))
    return report


def _quick_typo_map(gen: Path, ix, previous: _Previous, touched: set[str]) -> bool:
    """Write the previous generation's typo map less every reading whose chosen word's document frequency,
    or public frequency, this update may have changed; False when that cannot be told (then the exact map
    is needed before switching).

    ``touched``: words whose counts changed for reasons other than the segments written or merged away.
    Every entry left is exact (same word, same counts as a full count gives); what is missing or not yet
    the best choice only means no (or a weaker) hint until the exact map replaces it a moment later. A
    client is never offered a word that has just become internal-only: that word's internal count
    changed, so its reading is dropped.
    """
    words = segment_counts.words_of_changed_segments(ix, gen, previous.folder, previous.segments)
    text = generations.read_text(previous.folder / MAPS_FILE)
    if words is None or not text:
        return False
    generations.write_text(gen / MAPS_FILE, without_words(text, words | touched))
    return True


def last_report(index_dir: Path) -> dict | None:
    """The report of the build (or update) that made the live generation, as saved in report.json."""
    live = generations.current_path(index_dir)
    return generations.read_json(live / "report.json") if live else None
