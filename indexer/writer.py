"""Writing Whoosh segments fast, and on every core.

Whoosh's writer sorts every posting as a 5-tuple through an external merge sort: past its memory
limit it writes them to disk one ``marshal.dump`` at a time and reads them back the same way at
commit, which was half of a build's CPU. ``PostingLists`` keeps each term's postings together in
memory (documents arrive in order, so only the terms need sorting) and, past its limit, spills
sorted term lists a few thousand terms to a pickle. At commit, each posting asked for its document's
field length through the column reader (another tenth); ``FastSegmentWriter`` reads the lengths once,
and writes the rows of terms whose postings go in the term table itself (``indexer.termtable``).

``write_parallel`` writes the documents as ``procs`` segments in forked processes (each a
contiguous share, so numbering follows the document order) and commits them in one table of
contents, with each share's vocabulary (document frequencies for the typo map) computed where it
was indexed.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import heapq
import itertools
import multiprocessing
import os
import pickle
import tempfile
import threading
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter, sub

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from indexer.analysis import BigramTokenizer, ChineseTokenizer, cjk_bigrams
from indexer.segment import get_segmenter
from indexer.termtable import POSTINGS_PICKLE, TermTable, inlined_info, single_info
from indexer.text import fold

SPILL_MB = 128  # postings kept in memory per writer before a sorted run goes to disk
POSTING_BYTES = 64  # what a posting costs in memory, roughly (its slots in a list, a weight, a value)
NEW_TERM_BYTES = 200  # and a term (its key, its list, its slot in the field's table)
VOCABULARY_FIELDS = ("title", "tags_text", "body")  # the fields the typo map learns words from
# zlib on a block of a few postings (a few dozen bytes) costs more than it saves: a quarter of a
# commit went to compressing them. Readers read the level of each block from the block itself.
COMPRESS_FROM = 16  # postings in a block
# A term found in fewer than 8 documents keeps its postings in the term table, not in a block of its own
# in the postings file (Whoosh reads both; its own writer never inlines: its limit is 1, "below 1").
INLINE_BELOW = 8

Fields = dict
Vocabulary = Counter  # (fieldname, word) -> documents


class PostingLists:
    """An in-memory posting pool keyed by field, then term, spilling sorted runs past ``limitmb``.

    A term's postings are one flat list ``[docnum, weight, value, docnum, weight, value, ...]``: most
    terms have one posting, and one list per term costs less to make than three."""

    def __init__(self, limitmb: int = SPILL_MB, tempdir: str | None = None):
        self.limit = limitmb * 1024 * 1024
        self.tempdir = tempdir
        self.fields: dict[str, dict[bytes, list]] = {}
        self.size = 0
        self.runs: list[str] = []
        self.fieldnames: set[str] = set()
        self.vocabulary: Vocabulary = Counter()  # filled as the postings are written out

    def add(self, item: tuple) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        entry = terms.get(tbytes)
        if entry is None:
            terms[tbytes] = [docnum, weight, vbytes]
            self.size += NEW_TERM_BYTES + POSTING_BYTES
        else:
            entry += (docnum, weight, vbytes)
            self.size += POSTING_BYTES
        if self.size > self.limit:
            self._spill()

    def add_field(self, fieldname: str, docnum: int, postings, boost: float, scorable: bool) -> int:
        """Add one field's ``(term bytes, frequency, weight, value)`` postings; return the field length."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        if type(postings) is not list:
            postings = list(postings)
        get, length, new = terms.get, 0, 0
        for tbytes, freq, weight, vbytes in postings:
            length += freq
            entry = get(tbytes)
            if entry is None:
                terms[tbytes] = [docnum, weight * boost, vbytes]
                new += 1
            else:
                entry += (docnum, weight * boost, vbytes)
        self.size += new * NEW_TERM_BYTES + len(postings) * POSTING_BYTES
        if self.size > self.limit:
            self._spill()
        return length if scorable else 0

    def iter_lists(self) -> Iterator[tuple[str, Iterator[tuple[bytes, list]]]]:
        """Each field in order with its ``(term, postings)`` in term order (postings flat, as kept);
        the vocabulary is counted as they go by."""
        for fieldname, terms in self._merged():
            if fieldname in VOCABULARY_FIELDS:
                terms = self._counted(fieldname, terms)
            yield fieldname, terms

    def _counted(self, fieldname: str, terms: Iterator[tuple[bytes, list]]) -> Iterator[tuple[bytes, list]]:
        vocabulary = self.vocabulary
        for tbytes, flat in terms:
            vocabulary[(fieldname, tbytes.decode("utf-8"))] = len(flat) // 3
            yield tbytes, flat

    def cleanup(self) -> None:
        for path in self.runs:
            with contextlib.suppress(OSError):
                os.remove(path)
        self.runs = []
        self.fields = {}

    # -- runs ----------------------------------------------------------------------------------
    def _sorted(self) -> Iterator[tuple[str, list[tuple[bytes, list]]]]:
        fields = self.fields
        for fieldname in sorted(fields):
            yield fieldname, sorted(fields[fieldname].items(), key=itemgetter(0))  # terms are unique

    def _spill(self) -> None:
        fd, path = tempfile.mkstemp(suffix=".postings", dir=self.tempdir)
        with os.fdopen(fd, "wb") as out:
            for fieldname, items in self._sorted():
                for start in range(0, len(items), RUN_CHUNK):
                    pickle.dump((fieldname, items[start : start + RUN_CHUNK]), out, pickle.HIGHEST_PROTOCOL)
        self.runs.append(path)
        self.fields = {}
        self.size = 0

    def _merged(self) -> Iterator[tuple[str, Iterator[tuple[bytes, list]]]]:
        """Each field in order with its terms, a term's postings joined from the runs in order (earlier
        runs hold earlier documents). Each field's terms must be read before the next field is asked for."""
        if not self.runs:
            for fieldname, items in self._sorted():
                yield fieldname, iter(items)
            return
        runs = [_Run(path) for path in self.runs]
        try:
            memory = dict(self._sorted())
            for fieldname in sorted(self.fieldnames):
                parts = [run.terms(fieldname) for run in runs]
                parts.append(iter(memory.pop(fieldname, ())))
                yield fieldname, _merge_terms(parts)
        finally:
            for run in runs:
                run.close()


RUN_CHUNK = 4096  # terms per pickle in a spilled run: a run is read back a chunk at a time


class _Run:
    """A spilled run read back a field at a time, a chunk of terms at a time."""

    def __init__(self, path: str):
        self.file = open(path, "rb")  # noqa: SIM115 (closed by close, after the merge)
        self.head = self._next()

    def _next(self) -> tuple[str, list] | None:
        try:
            return pickle.load(self.file)
        except EOFError:
            return None

    def terms(self, fieldname: str) -> Iterator[tuple[bytes, list]]:
        while self.head is not None and self.head[0] == fieldname:
            chunk, self.head = self.head[1], self._next()
            yield from chunk

    def close(self) -> None:
        self.file.close()


def _merge_terms(parts: list[Iterator[tuple[bytes, list]]]) -> Iterator[tuple[bytes, list]]:
    """One field's terms from several sources (in run order) merged: a term's postings joined in that order."""
    current, flat = None, None
    for tbytes, more in heapq.merge(*parts, key=lambda item: item[0]):  # ties come in source order
        if tbytes != current:
            if current is not None:
                yield current, flat
            current, flat = tbytes, list(more)
        else:
            flat += more
    if current is not None:
        yield current, flat


class _Lengths:
    """Each document's field lengths, read once from the new segment's columns."""

    def __init__(self, pdr, fieldnames: set[str], doc_count: int):
        self._lengths = {
            name: [pdr.doc_field_length(docnum, name) for docnum in range(doc_count)] for name in fieldnames
        }

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0):
        column = self._lengths.get(fieldname)
        return default if column is None else column[docnum]

    def column(self, fieldname: str) -> list[int] | None:
        return self._lengths.get(fieldname)


class _PostingsWriter(W3PostingsWriter):
    """Whoosh's postings writer, compressing only blocks long enough to gain from it, its blocks'
    postings pickled with protocol 3 (``POSTINGS_PICKLE``)."""

    def _write_block(self, last: bool = False) -> None:
        # W3PostingsWriter._write_block: the same header, statistics and data
        ids, postfile = self._ids, self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        deltas = tuple(map(sub, ids, itertools.chain((0,), ids)))
        data = pickle.dumps((deltas, self._mini_weights(), self._mini_values()), POSTINGS_PICKLE)
        level = self._level if len(ids) >= COMPRESS_FROM else 0
        if level:
            data = zlib.compress(data, level)
        lengths = length_to_byte(self._minlength), length_to_byte(self._maxlength)
        info = pickle.dumps((len(ids), ids[-1], self._maxweight, level, *lengths), 2)
        postfile.write_int(-(len(info) + len(data)) if last else len(info) + len(data))
        postfile.write(info)
        postfile.write(data)
        self._blockcount += 1
        self._new_block()

    def add_list(self, docs, weights, values, lengths: list[int] | None) -> None:
        """A whole posting list at once: the blocks, statistics and bytes ``add_posting`` one posting
        at a time would make (a full block is written only once another posting follows it)."""
        limit, n = self._blocklimit, len(docs)
        for start in range(0, n, limit):
            if start:
                self._write_block()
            end = min(n, start + limit)
            ids = docs[start:end]
            self._ids = array("I", ids)
            chunk = weights[start:end]
            self._weights = array("f", chunk)
            top = max(chunk)
            self._maxweight = top if top > 0 else 0
            self._values = [v for v in values[start:end] if v]
            if lengths is not None:
                known = [lengths[d] for d in ids if lengths[d]]
                if known:
                    self._minlength, self._maxlength = min(known), max(known)


class _FieldWriter(W3FieldWriter):
    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._tindex.__class__ = TermTable  # its header is written; rows from here on go in bulk

    def add_lists(self, schema, lengths: _Lengths | None, fields: Iterator[tuple]) -> None:
        """``add_postings`` for whole posting lists, from ``PostingLists.iter_lists``: per posting,
        Whoosh's version made four calls and four type checks (a sixth of a build). A term whose
        postings go in the term table (most: one document's bigrams) gets its row without a postings
        writer (``indexer.termtable``)."""
        add_row = self._tindex.add_row
        for fieldname, terms in fields:
            column = lengths.column(fieldname) if lengths is not None else None
            prefix = None
            for tbytes, flat in terms:
                if prefix is None:  # a field gets its number with its first term, as in Whoosh's writer
                    self.start_field(fieldname, schema[fieldname])
                    prefix, postings = pack_ushort(self._fieldid), self._postwriter
                n = len(flat)
                if n == 3:
                    if flat[2]:
                        add_row(prefix + tbytes, single_info(flat[0], flat[1], flat[2], column))
                        continue
                elif n < 3 * INLINE_BELOW and all(flat[2::3]):
                    add_row(prefix + tbytes, inlined_info(flat[0::3], flat[1::3], flat[2::3], column))
                    continue
                # Only postings that carry values are inlined: Whoosh's list matcher answers "" (not
                # bytes) for a missing value, which its own writer refuses when it merges the segment.
                self.start_term(tbytes)
                postings.add_list(flat[0::3], flat[1::3], flat[2::3], column)
                add_row(prefix + tbytes, postings.finish_postings().to_bytes())
            if prefix is not None:
                self.finish_field()

    def start_field(self, fieldname: str, fieldobj) -> None:
        super().start_field(fieldname, fieldobj)
        codec = self._codec
        # inlinelimit 1: never inlined here (add_lists writes those rows itself)
        self._postwriter = _PostingsWriter(self._postfile, codec._blocklimit, compression=codec._compression)
        self._postwriter._level = codec._compression


class FastSegmentWriter(SegmentWriter):
    """Whoosh's segment writer with ``PostingLists``, our analyzer's words counted without Whoosh's
    token objects, field lengths read once at commit, and zlib only where it pays. What it writes is
    an ordinary Whoosh segment (default codec), posting for posting what Whoosh's writer writes."""

    def __init__(self, ix, *args, limitmb: int = SPILL_MB, **kwargs):
        super().__init__(ix, *args, limitmb=limitmb, **kwargs)
        self.pool = PostingLists(limitmb, tempdir=getattr(ix.storage, "folder", None))
        self.fieldwriter.close()  # replaced before anything was written to it
        self.fieldwriter = _FieldWriter(self.codec, self.storage, self.newsegment)
        # Vectors and separate spelling words are left to Whoosh's own add_document.
        self._plain = not any(f.vector or f.separate_spelling() for _, f in self.schema.items())
        self._segmenter = None  # fetched once: get_segmenter checks the resource files each time

    def add_document(self, **fields) -> None:
        if not self._plain:
            super().add_document(**fields)
            return
        self._check_state()
        schema, perdoc, docnum, pool = self.schema, self.perdocwriter, self.docnum, self.pool
        if self._segmenter is None:
            self._segmenter = get_segmenter()
        segmenter = self._segmenter
        docboost = self._doc_boost(fields)
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, name, docboost)
                    length = pool.add_field(name, docnum, _postings(field, value, segmenter), boost, field.scorable)
                stored = fields.get("_stored_" + name, value)
                perdoc.add_field(name, field, stored if field.stored else None, length)
                if field.column_type and stored is not None:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(stored))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        scorable = {name for name in self.pool.fieldnames if name in self.schema and self.schema[name].scorable}
        lengths = _Lengths(pdr, scorable, self.docnum - self.docbase) if pdr is not None else None
        self.fieldwriter.add_lists(self.schema, lengths, self.pool.iter_lists())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


def _postings(field, value, segmenter):
    """``field.index(value)``; for our analyzers' text fields, the same postings counted directly from
    the words (Whoosh's token objects and filters were a third of indexing a document)."""
    fmt, analyzer = field.format, type(field.analyzer)
    if not isinstance(value, str) or type(fmt) not in (Positions, Frequency) or fmt.field_boost != 1.0:
        return field.index(value)
    if analyzer is BigramTokenizer and type(fmt) is Frequency:
        counts = Counter(cjk_bigrams(fold(value)))
        return [(g.encode("utf-8"), *(_FREQUENCY[n] if n < 256 else _frequency(n))) for g, n in counts.items()]
    if analyzer is not ChineseTokenizer:
        return field.index(value)
    positions = segmenter.index_positions(fold(value))
    if type(fmt) is Frequency:
        return [(w.encode("utf-8"), *_frequency(len(p))) for w, p in positions.items()]
    return [
        (w.encode("utf-8"), 1, 1.0, _single(p[0]))
        if len(p) == 1
        else (w.encode("utf-8"), len(p), float(len(p)), _encode_positions(p))
        for w, p in positions.items()
    ]


_UINTS = [pack_uint(n) for n in range(256)]


def _uint(n: int) -> bytes:
    return _UINTS[n] if n < 256 else pack_uint(n)


def _frequency(n: int) -> tuple[int, float, bytes]:
    """A word's frequency, weight and value (Frequency.encode) for a count of ``n``."""
    return (n, float(n), _uint(n))


_FREQUENCY = [_frequency(n) for n in range(256)]


@functools.lru_cache(maxsize=65536)
def _single(pos: int) -> bytes:
    return _UINTS[1] + pickle.dumps([pos], 2)


def _encode_positions(positions: list[int]) -> bytes:
    # Positions.encode: the count, then the pickled gaps (most words occur once: cached)
    if len(positions) == 1:
        return _single(positions[0])
    gaps = [positions[0], *(b - a for a, b in itertools.pairwise(positions))]
    return _uint(len(gaps)) + pickle.dumps(gaps, 2)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a writer runs: the postings are millions of small objects
    in no cycle, which each collection walked again (a tenth of a writer's CPU)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def write_serial(
    ix,
    docs: Sequence,
    to_fields: Callable[[object], Fields],
    progress=None,
    limitmb: int = SPILL_MB,
    keep: Callable[[str, Vocabulary], None] | None = None,
) -> Vocabulary:
    """Index ``docs`` into one new segment of ``ix``; return its vocabulary (documents per field and word).
    ``keep(segment id, vocabulary)`` is told the segment's vocabulary once it is committed."""
    writer = FastSegmentWriter(ix, limitmb=limitmb)
    try:
        with _collector_paused():
            for i, doc in enumerate(docs, 1):
                writer.add_document(**to_fields(doc))
                if progress:
                    progress(i, len(docs))
            segment = writer.get_segment()
            writer.commit()
    except BaseException:
        writer.cancel()
        raise
    if keep is not None:
        keep(segment.segment_id(), writer.pool.vocabulary)
    return writer.pool.vocabulary


def write_parallel(
    ix,
    docs: Sequence,
    to_fields: Callable[[object], Fields],
    procs: int,
    progress=None,
    limitmb: int = SPILL_MB,
    meanwhile: Callable[[], object] | None = None,
    keep: Callable[[str, Vocabulary], None] | None = None,
) -> Vocabulary | tuple[Vocabulary, object]:
    """Index ``docs`` as ``procs`` segments written by forked processes, committed together; return
    their vocabulary (documents per field and word, summed over the segments).

    ``meanwhile`` runs in the parent while the writers work (a thread started after the fork, so no
    lock is copied held); with it, ``(vocabulary, what meanwhile returned)`` is returned. Work the
    parent would do after the writers otherwise leaves a core idle while it runs. ``keep(segment id,
    vocabulary)`` is told each segment's vocabulary once they are committed."""
    ctx = multiprocessing.get_context("fork")  # the shares are inherited, not pickled
    parent = ix.writer()  # holds the index lock and writes the table of contents
    shares = _split(len(docs), procs)
    children = []
    side: dict[str, object] = {}
    helper = None
    try:
        for start, end in shares:
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_write_share, args=(ix, docs, start, end, to_fields, limitmb, send))
            proc.start()
            send.close()
            children.append((proc, receive))
        if meanwhile is not None:
            helper = threading.Thread(target=_run_into, args=(meanwhile, side), name="build-meanwhile", daemon=True)
            helper.start()
        results = []
        done = 0
        for proc, receive in children:
            while True:
                message = receive.recv()
                if message[0] == "progress":
                    done += message[1]
                    if progress:
                        progress(done, len(docs))
                    continue
                break
            proc.join()
            if message[0] != "done":
                raise RuntimeError(f"a writer process failed: {message[1]}")
            results.append(message[1:])
        parent._close_segment()
        parent._commit_toc([segment for segment, _ in results])
        parent._finish()
    except BaseException:
        for proc, _ in children:
            if proc.is_alive():
                proc.kill()
        if not parent.is_closed:
            parent.cancel()
        raise
    total: Vocabulary = Counter()
    for segment, vocab in results:
        total.update(vocab)
        if keep is not None:
            keep(segment.segment_id(), vocab)
    if helper is None:
        return total
    helper.join()
    if "error" in side:
        raise side["error"]
    return total, side["result"]


def _run_into(fn: Callable[[], object], out: dict) -> None:
    try:
        out["result"] = fn()
    except BaseException as exc:  # re-raised by the caller's thread
        out["error"] = exc


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    size, extra = divmod(n, parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append((start, end))
        start = end
    return [(s, e) for s, e in out if e > s]


PROGRESS_EVERY = 200


def _write_share(ix, docs, start, end, to_fields, limitmb, send) -> None:
    gc.disable()  # see _collector_paused (and the parent's objects stay untouched, not copied on write)
    try:
        writer = FastSegmentWriter(ix, _lk=False, limitmb=limitmb)
        for i in range(start, end):
            writer.add_document(**to_fields(docs[i]))
            if (i - start + 1) % PROGRESS_EVERY == 0:
                send.send(("progress", PROGRESS_EVERY))
        send.send(("progress", (end - start) % PROGRESS_EVERY))
        segment = writer._finalize_segment()
        send.send(("done", segment, writer.pool.vocabulary))
    except BaseException as exc:  # the parent raises it; a traceback is in this process's log
        import traceback

        traceback.print_exc()
        send.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()
        os._exit(0)  # no atexit handlers of the parent (loggers, Redis) in a forked child
