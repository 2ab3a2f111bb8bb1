"""Each indexed word's document frequency, counted once per segment and kept beside the index.

The typo map (``build._pinyin_map``) needs the whole index's vocabulary after every build. A rebuild
gets it from its writers; an update used to read every term of every segment back (2.9 of 6.8 s of a
one-document update at 2,000 documents). Segments are immutable, so their counts are saved next to
them (``vocab-<segment id>.pickle``, carried into the next generation by its hard links) and an
update counts only the segment it wrote. Counts are Whoosh's per-segment term statistics, deleted
documents included, exactly as reading the terms back gives them.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path

from indexer import generations

FIELDS = ("title", "tags_text", "body")  # the fields whose words the typo map corrects to
PREFIX, SUFFIX = "vocab-", ".pickle"

Counts = Counter  # (field, word) -> documents of the segment holding the word in that field


def _file(folder: Path, segment_id: str) -> Path:
    return folder / f"{PREFIX}{segment_id}{SUFFIX}"


def save(folder: Path, segment_id: str, counts: Counts) -> None:
    """Keep a segment's counts (written by the build's writers) for later updates."""
    generations.write_pickle(
        _file(folder, segment_id), Counter({key: df for key, df in counts.items() if key[0] in FIELDS})
    )


def _count(leaf) -> Counts:
    counts: Counts = Counter()
    for fieldname in FIELDS:
        for term, info in leaf.iter_field(fieldname):
            word = term.decode("utf-8") if isinstance(term, bytes) else term
            counts[(fieldname, word)] += info.doc_frequency()
    return counts


def of_index(ix, folder: Path) -> Counts:
    """The index's counts, summed over its segments: kept ones read, the others counted (and kept).

    Read segment by segment: a multi-segment reader's ``iter_field`` probes every segment for every
    term (5.6 s instead of 1.2 s at 10,000 documents in 3 segments)."""
    total: Counts = Counter()
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            segment_id = leaf.segment().segment_id()
            counts = generations.read_pickle(_file(folder, segment_id), Counter)
            if counts is None:
                counts = _count(leaf)
                with contextlib.suppress(OSError):  # a read-only index still answers, uncached
                    save(folder, segment_id, counts)
            total.update(counts)
    return total


def prune(ix, folder: Path) -> None:
    """Remove the counts of segments this generation no longer has (merged by an update)."""
    live = segment_ids(ix)
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        if path.name[len(PREFIX) : -len(SUFFIX)] not in live:
            path.unlink(missing_ok=True)


READINGS = "readings.pickle"  # word -> toneless reading, for the typo map; carried like the counts


def load_readings(folder: Path) -> dict[str, str]:
    """The readings the generation this one was copied from looked up (empty when there are none).

    They depend only on the word and the pinyin tables; changed dictionaries force a full rebuild,
    which starts without them."""
    return generations.read_pickle(folder / READINGS, dict) or {}


def save_readings(folder: Path, readings: dict[str, str]) -> None:
    """Keep ``readings`` for the next update."""
    generations.write_pickle(folder / READINGS, readings)


INTERNAL = "internal-words.pickle"  # content hash -> words of an internal document (the client's typo map)


def load_internal_words(folder: Path) -> dict[str, tuple[str, ...]]:
    """The words of the internal documents the generation ``folder`` indexed, by content hash."""
    return generations.read_pickle(folder / INTERNAL, dict) or {}


def save_internal_words(folder: Path, words: dict[str, tuple[str, ...]]) -> None:
    generations.write_pickle(folder / INTERNAL, words)


def segment_ids(ix) -> set[str]:
    """The index's segments, from its table of contents (opening a reader costs much more)."""
    return {segment.segment_id() for segment in ix._segments()}


def words_of_changed_segments(ix, folder: Path, previous: Path, before: set[str]) -> set[str] | None:
    """Every word of the segments that one of two generations has and the other has not: the words
    whose document frequency an update may have changed. None when a merged segment's counts are lost."""
    now = segment_ids(ix)
    words: set[str] = set()
    for segment_id in now ^ before:
        counts = generations.read_pickle(_file(folder if segment_id in now else previous, segment_id), Counter)
        if counts is None and segment_id in now:
            counts = of_segment(ix, folder, segment_id)
        if counts is None:
            return None
        words.update(word for _, word in counts)
    return words


def of_segment(ix, folder: Path, segment_id: str) -> Counts | None:
    """One segment's counts, counted (and kept) when it has none yet."""
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            if leaf.segment().segment_id() == segment_id:
                counts = _count(leaf)
                with contextlib.suppress(OSError):
                    save(folder, segment_id, counts)
                return counts
    return None


DELETED = "deleted-words.pickle"  # (segment id, document number) -> words of a deleted version still counted


def deleted_words(ix, folder: Path | None, previous: Path | None = None) -> Counter:
    """The words of the deleted documents the index's segments still count.

    Whoosh's per-segment document frequencies keep counting a document after it is deleted (an updated
    or removed post) until its segment is merged away. Subtracted from the counts, they leave the live
    documents' frequencies: without that a word whose only public post had just turned internal still
    had a public frequency, and clients were offered it as a typo correction. Each deleted version's
    words are read from its stored fields once and kept beside the index (``previous``: the generation
    this one was copied from; ``folder``: where to keep them, None to keep nothing)."""
    source = previous or folder
    known = (generations.read_pickle(source / DELETED, dict) if source else None) or {}
    deleted = [(segment.segment_id(), n) for segment in ix._segments() for n in segment.deleted_docs()]
    missing = [key for key in deleted if key not in known]
    fresh: dict[tuple[str, int], tuple[str, ...]] = {}
    if missing:
        fresh = _stored_words(ix, missing)
    entries = {key: known.get(key) or fresh.get(key, ()) for key in deleted}
    if folder is not None:
        with contextlib.suppress(OSError):
            generations.write_pickle(folder / DELETED, entries)
    return Counter(word for words in entries.values() for word in words)


def words_of_documents(ix, ids: list[str]) -> set[str]:
    """The words of the documents with these ids as the index holds them (an update reads the versions
    it is about to replace)."""
    words: set[str] = set()
    if not ids:
        return words
    with ix.searcher() as searcher:
        for doc_id in ids:
            for docnum in searcher.document_numbers(id=doc_id):
                words.update(_words_of_stored(searcher.stored_fields(docnum)))
    return words


def _words_of_stored(stored: dict) -> tuple[str, ...]:
    from types import SimpleNamespace

    from indexer.spelling import document_words

    doc = SimpleNamespace(
        title=stored.get("title", ""),
        tags=stored.get("tags") or (),
        summary=stored.get("_stored_summary", ""),
        body=stored.get("body", ""),
    )
    return document_words(doc)


def _stored_words(ix, keys: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, ...]]:
    wanted: dict[str, list[int]] = {}
    for segment_id, docnum in keys:
        wanted.setdefault(segment_id, []).append(docnum)
    found = {}
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            segment_id = leaf.segment().segment_id()
            for docnum in wanted.get(segment_id, ()):
                found[(segment_id, docnum)] = _words_of_stored(leaf.stored_fields(docnum))
    return found
