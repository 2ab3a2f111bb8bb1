"""A segment's term records, looked up once and kept while its reader lives.

A search asked Whoosh about the same term of the same segment several times — is it there, how many
documents hold it (for the idf and for the matcher tree's shape, once per enclosing clause), where
are its postings — and every question hashed the key (md5) and probed the term table again. A
segment never changes once written (a new generation brings new readers), so each term's record is
read once per reader and answered from memory afterwards; an absent term is remembered too. The
decoded posting lists of the terms searched most recently are kept as well (bounded).

The cache holds Whoosh's own ``TermInfo`` objects, so every figure is the one Whoosh reads.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher as WhooshSearcher

# Records kept per segment reader; past this the cache starts afresh (a record with its key is
# ~280 bytes: ~2 MB a segment; a search at 10,000 documents reads ~40 new ones). Four times as many
# (30,000) cost a worker 18 MB more and made 6,000 first searches no cheaper (BENCHMARKS.md).
MAX_TERMS = 7_500
_ABSENT = object()
_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _table(tables: weakref.WeakKeyDictionary, owner) -> dict:
    """``owner``'s kept records, emptied when they reach ``MAX_TERMS`` (before one more is added)."""
    table = tables.get(owner)
    if table is None:
        table = tables[owner] = {}
    elif len(table) >= MAX_TERMS:
        table.clear()
    return table


def term_info(reader, fieldname: str, btext: bytes):
    """The ``TermInfo`` of a term in one segment reader, or None when the segment lacks it."""
    table = _table(_tables, reader)
    key = (fieldname, btext)
    found = table.get(key)
    if found is None:
        try:
            found = reader._terms.term_info(fieldname, btext)
        except TermNotFound:
            found = _ABSENT
        table[key] = found
    return None if found is _ABSENT else found


def segment_doc_frequency(reader, fieldname: str, btext: bytes) -> int:
    info = term_info(reader, fieldname, btext)
    return info.doc_frequency() if info is not None else 0


_totals: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def doc_frequency(searcher: WhooshSearcher, fieldname: str, text: str | bytes) -> int:
    """``searcher.doc_frequency(fieldname, text)``, from the segments' kept records (and kept itself)."""
    totals = _table(_totals, searcher)
    key = (fieldname, text)
    found = totals.get(key)
    if found is None:
        btext = searcher.schema[fieldname].to_bytes(text)
        found = totals[key] = sum(
            segment_doc_frequency(sub.reader(), fieldname, btext) for sub, _ in searcher.leaf_searchers()
        )
    return found


# Decoded posting lists kept per segment reader, most recently used last: a common word's list is
# read again by many queries, and decoding its blocks (unpickling every block, positions included)
# was most of a long query's time. Bounded by postings (12 bytes each: ~6 MB a segment); half of it
# made first searches ~10% dearer (BENCHMARKS.md).
MAX_POSTINGS = 500_000
_postings: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Kept:
    __slots__ = ("lists", "size")

    def __init__(self):
        self.lists: OrderedDict = OrderedDict()
        self.size = 0


def kept_postings(reader, key, read) -> tuple[np.ndarray, np.ndarray]:
    """A term's document numbers (int32) and weights, ``read()`` on first use."""
    kept = _postings.get(reader)
    if kept is None:
        kept = _postings[reader] = _Kept()
    found = kept.lists.get(key)
    if found is not None:
        kept.lists.move_to_end(key)
        return found
    ids, weights = read()
    found = (ids.astype(np.int32), weights)
    if len(ids) <= MAX_POSTINGS // 4:  # one list never pushes out most of the others
        kept.lists[key] = found
        kept.size += len(ids)
        while kept.size > MAX_POSTINGS:
            _, (old, _) = kept.lists.popitem(last=False)
            kept.size -= len(old)
    return found
