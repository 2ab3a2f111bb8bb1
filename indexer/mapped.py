"""Read Whoosh's memory-mapped segments in place instead of copying them into every searcher.

whoosh-reloaded 2.7.5 (pinned, frozen upstream) maps a compound segment file and hands each
sub-file to a ``BufferFile``, whose constructor does ``BytesIO(buf)``: a *copy* of the whole
sub-file. The postings and terms of a 10,000-document index are ~135 MB, copied again for every
searcher a process opens (one per thread, one per generation), so a gunicorn worker grew past
500 MB. ``MappedFile`` keeps Whoosh's ``BufferFile`` API but reads the mapping directly; the
pages stay in the page cache, shared by every worker.

``install()`` swaps it into ``whoosh.filedb.compound`` (the only place that wraps a mapping);
``indexer.search`` calls it on import.
"""

from __future__ import annotations

import pickle
from io import BytesIO

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

PICKLE_PEEK = 512  # Whoosh's block headers are pickled tuples of ~30 bytes


class _MemoryReader:
    """The file methods Whoosh calls on a BufferFile's ``file``, over a memoryview, without copying."""

    __slots__ = ("_len", "_mv", "_pos")

    def __init__(self, mv: memoryview):
        self._mv = mv
        self._pos = 0
        self._len = len(mv)

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = self._len if size is None or size < 0 else min(self._len, start + size)
        self._pos = max(start, end)
        return bytes(self._mv[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        start, mv = self._pos, self._mv
        limit = self._len if size is None or size < 0 else min(self._len, start + size)
        end = start
        while end < limit:
            chunk = bytes(mv[end : min(limit, end + 256)])
            i = chunk.find(b"\n")
            if i >= 0:
                end += i + 1
                break
            end += len(chunk)
        self._pos = end
        return bytes(mv[start:end])

    def peek(self, size: int) -> bytes:
        return bytes(self._mv[self._pos : min(self._len, self._pos + size)])

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += self._len
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._mv = memoryview(b"")

    def __iter__(self):
        while self._pos < self._len:
            yield self.readline()


class MappedFile(BufferFile):
    """Whoosh's BufferFile over a memory map, minus the copy."""

    def __init__(self, buf, name=None, onclose=None):
        self._buf = buf
        self._name = name
        self.file = _MemoryReader(memoryview(buf))
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def read_pickle(self):
        # Unpickle from a short slice (C speed, one copy of a few hundred bytes), then move past
        # exactly what was consumed; a longer pickle falls back to reading the mapping.
        reader = self.file
        head = BytesIO(reader.peek(PICKLE_PEEK))
        try:
            obj = pickle.load(head)
        except (EOFError, ValueError, pickle.UnpicklingError):
            return pickle.load(reader)
        reader.seek(head.tell(), 1)
        return obj


def install() -> None:
    """Make Whoosh wrap mapped sub-files with MappedFile (idempotent)."""
    compound.BufferFile = MappedFile
