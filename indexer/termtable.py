"""Rows of Whoosh's term table written without a postings writer and a term-info object per term.

A build writes tens of thousands of terms per hundred documents (most of them character bigrams of
one document), and Whoosh spent more per term than per posting: a postings writer started and
finished, a ``W3TermInfo`` filled and packed, a hex md5 parsed, a file write for each piece of the
row. ``inlined_info`` makes what ``W3TermInfo.to_bytes`` makes for a term whose postings live in the
term table (the same statistics, the postings pickled with ``POSTINGS_PICKLE``), and ``TermTable``
adds rows to Whoosh's ``OrderedHashWriter`` the way its ``add`` does (same bytes, hashes and key
index), buffered.
"""

from __future__ import annotations

import struct
from array import array
from hashlib import md5
from pickle import dumps

from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.util.numeric import length_to_byte

_HEAD = W3TermInfo._struct  # flags, total weight, documents, min/max length byte, max weight, first/last id
_LENGTHS = struct.Struct("!ii")  # key and value length before each row (filetables._lengths)
_POINTER = struct.Struct("!Iq")  # a hash table slot (filetables._pointer)
_LENGTH_BYTES = [length_to_byte(n) for n in range(4096)]
FLUSH_BYTES = 1 << 20
# Whoosh pickles postings with protocol 2, which has no opcode for bytes: each value (a posting's
# frequency or positions) became a call of codecs.encode on a latin-1 string, six times slower to
# write and to read than protocol 3's bytes, and twice the size. Whoosh reads postings with
# pickle.loads, which reads any protocol: the postings read back are the same.
POSTINGS_PICKLE = 3


def _length_byte(n: int) -> int:
    return _LENGTH_BYTES[n] if n < 4096 else length_to_byte(n)


def inlined_info(docs, weights, values: list, lengths: list[int] | None) -> bytes:
    """``W3TermInfo.to_bytes`` for postings inlined in the term table, as Whoosh's postings writer makes
    them from one block: weights kept as 32-bit floats, lengths (when the field has them) as bytes."""
    stored = array("f", weights)
    top = max(weights)
    if lengths is None:
        shortest = longest = 0
    else:
        known = [lengths[d] for d in docs if lengths[d]]
        shortest, longest = (_length_byte(min(known)), _length_byte(max(known))) if known else (0, 0)
    head = _HEAD.pack(1, sum(stored), len(docs), shortest, longest, top if top > 0 else 0, docs[0], docs[-1])
    return head + dumps((tuple(docs), tuple(stored), tuple(values)), POSTINGS_PICKLE)


_FLOAT32: dict[float, float] = {}  # a weight as Whoosh's array("f") keeps it (few distinct weights)


def single_info(doc: int, weight: float, value: bytes, lengths: list[int] | None) -> bytes:
    """``inlined_info`` of a term in one document."""
    stored = _FLOAT32.get(weight)
    if stored is None:
        stored = array("f", (weight,))[0]
        if weight > 0:
            _FLOAT32[weight] = stored
    size = _length_byte(lengths[doc]) if lengths is not None else 0
    head = _HEAD.pack(1, stored, 1, size, size, weight if weight > 0 else 0, doc, doc)
    return head + dumps(((doc,), (stored,), (value,)), POSTINGS_PICKLE)


class TermTable(OrderedHashWriter):
    """Whoosh's ordered hash writer of the term table, its rows and hash tables written in bulk.

    Set as the class of the field writer's ``OrderedHashWriter`` once it has written its header; rows
    go through ``add_row`` and stay in a buffer until ``flush`` (called by ``close``)."""

    def add_row(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        pending = self.__dict__.get("_pending")
        if pending is None:
            pending = self._pending = bytearray()
            self._start = self.dbfile.tell()
            self._positions = []
        pos = self._start + len(pending)
        pending += _LENGTHS.pack(len(key), len(value))
        pending += key
        pending += value
        # md5_hash: the low 32 bits of the digest read as one big-endian number
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
        self.buckets[h & 255].append((h, pos))
        self._positions.append(pos)
        self.lastkey = key
        if len(pending) >= FLUSH_BYTES:
            self.flush()

    def add(self, key, value):
        self.flush()  # rows stay in key order whichever way they come
        super().add(key, value)

    def flush(self) -> None:
        pending = self.__dict__.pop("_pending", None)
        if not pending:
            return
        self.dbfile.write(bytes(pending))
        positions = self._positions
        index = self.index
        try:  # GrowableArray.append widens the type when a position does not fit: the last is the largest
            array(index.array.typecode, positions[-1:])
        except OverflowError:
            index._retype(positions[-1])
        index.array.extend(positions)

    def _write_hashes(self) -> None:
        # HashWriter._write_hashes, one write per bucket: the same slots by the same linear probing
        dbfile, null = self.dbfile, (0, 0)
        for entries in self.buckets:
            numslots = 2 * len(entries)
            self.directory.append((dbfile.tell(), numslots))
            table = [null] * numslots
            for entry in entries:
                slot = (entry[0] >> 8) % numslots
                while table[slot] is not null:
                    slot = (slot + 1) % numslots
                table[slot] = entry
            if numslots:
                dbfile.write(struct.pack("!" + "Iq" * numslots, *[x for pair in table for x in pair]))

    def close(self):
        self.flush()
        return super().close()
