"""What each content file gave when it was last read, so that `update` reads only the files that changed.

A generation keeps, per file, the file's stat signature (size, mtime, ctime, inode) and what reading it
produced (documents and problems). The next `update` stats every file (50 ms for 10,000) and reads only
those whose signature differs; at 10,000 files reading and parsing them all again took ~4.5 s.

When a kept result is trusted:
- the signature is unchanged: ctime cannot be set back by tools that restore mtimes (``touch -d``,
  ``rsync -t``, ``git checkout``), and the inode changes when an editor replaces the file;
- the file had settled when it was read: a file changed within ``SETTLE_NS`` of being read could change
  again within one tick of the file system's clock with the same size, so its result is not kept;
- the same site settings (``_config.yml``, SITE_URL, PERMALINK) and the same reader code: the key hashes
  both, so a changed permalink or an upgraded reader reads everything again.
A full `rebuild` reads every file regardless (and writes a new cache).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from indexer import generations
from indexer.document import SourceResult

FILE = "reads.pickle"
SETTLE_NS = 2_000_000_000

Signature = tuple[int, int, int, int]


def signature(path: str | Path) -> Signature | None:
    """The file's stat signature; None when it cannot be stat'ed (reading it reports why)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _code_digest() -> str:
    # The readers' own source: results made by other reader code are not reused.
    here = Path(__file__).parent
    digest = hashlib.sha1()
    for path in sorted([*here.glob("*.py"), here.parent / "document.py", here.parent / "text.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class ReadCache:
    """Results of reading content files: those kept by the last build (``known``) and this build's."""

    known: dict[str, tuple[Signature, SourceResult]] = field(default_factory=dict)
    key: str = ""
    fresh: dict[str, tuple[Signature, SourceResult]] = field(default_factory=dict)
    reused: int = 0

    @classmethod
    def load(cls, folder: Path | None) -> ReadCache:
        """The cache kept in generation ``folder``; empty when there is none or it is damaged."""
        kept = generations.read_pickle(folder / FILE, dict) if folder else None
        if not kept or not isinstance(kept.get("entries"), dict):
            return cls()
        return cls(known=kept["entries"], key=str(kept.get("key", "")))

    def begin(self, site) -> None:
        """Start reading with ``site``'s settings; forget what was read under other settings or code."""
        key = hashlib.sha1(f"{site!r}|{_code_digest()}".encode()).hexdigest()
        if key != self.key:
            self.known = {}
        self.key = key

    def lookup(self, rel: str, sig: Signature | None) -> SourceResult | None:
        """What the file read last time, when it is certainly the same file; else None."""
        entry = self.known.get(rel)
        if sig is None or entry is None or entry[0] != sig:
            return None
        self.fresh[rel] = entry
        self.reused += 1
        return entry[1]

    def remember(self, rel: str, sig: Signature | None, result: SourceResult, read_at_ns: int) -> None:
        """Keep what reading the file gave, unless it changed too recently to be sure of its signature."""
        if sig is not None and read_at_ns - max(sig[1], sig[2]) > SETTLE_NS:
            self.fresh[rel] = (sig, result)

    def save(self, folder: Path) -> None:
        """Keep this build's results in generation ``folder`` for the next update."""
        generations.write_pickle(folder / FILE, {"key": self.key, "entries": self.fresh})
