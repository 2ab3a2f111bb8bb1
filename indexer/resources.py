"""The editable language resources in `config/`: user dictionary, synonyms and stop words.

They are cached on the files' content: a running bot notices an edit on its next search (a stat of
each file per call; the files are re-read only when one changed), so `rebuild_needed` turns true and a
rebuild started from the dashboard or chat uses, and records, the new dictionaries. Their hash is
recorded in every index generation, because a change to any of them changes tokenisation and an index
built before it can miss the new words.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import CONFIG_DIR
from indexer.concepts import Concepts, parse_concepts
from indexer.text import fold

# Bump when the tokenizer's behaviour changes, so old indexes report "rebuild needed".
ANALYZER_VERSION = "2"
RESOURCE_FILES = ("userdict.txt", "synonyms.txt", "stopwords.txt", "concepts.txt")


@dataclass(frozen=True)
class Resources:
    """Parsed language resources plus the hash an index generation records."""

    user_words: tuple[tuple[str, int | None, str | None], ...]
    synonyms: dict[str, tuple[str, ...]]
    index_stopwords: frozenset[str]
    query_stopwords: frozenset[str]
    digest: str
    concepts: Concepts = field(default_factory=lambda: Concepts({}, ()))

    @functools.cached_property
    def domain_words(self) -> frozenset[str]:
        """Words of our own dictionaries: the user dictionary, every synonym and every concept."""
        return frozenset(w for w, _, _ in self.user_words) | frozenset(self.synonyms) | self.concepts.words

    def synonyms_of(self, word: str) -> tuple[str, ...]:
        """Other members of every synonym group that contains ``word``."""
        return self.synonyms.get(word, ())

    def related_of(self, word: str) -> tuple[tuple[str, float], ...]:
        """Broader, narrower and related concepts of ``word`` with the weight of their relation."""
        return self.concepts.expansions.get(word, ())

    @functools.cached_property
    def phrases(self) -> tuple[str, ...]:
        """Vocabulary terms of several words ("social media"), longest first: matched as phrases."""
        found = {w for w in self.domain_words if " " in w}
        return tuple(sorted(found, key=len, reverse=True))


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def _parse_userdict(lines: list[str]) -> tuple[tuple[str, int | None, str | None], ...]:
    words = []
    for line in lines:
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[2] if len(parts) > 2 else None
        words.append((fold(parts[0]), freq, tag))
    return tuple(words)


def _parse_synonyms(lines: list[str]) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for line in lines:
        members = [fold(m.strip()) for m in line.split("/") if m.strip()]
        for member in members:
            known = groups.setdefault(member, [])
            known.extend(m for m in members if m != member and m not in known)
    return {word: tuple(others) for word, others in groups.items()}


def _parse_stopwords(lines: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    sections: dict[str, set[str]] = {"index": set(), "query": set()}
    current = "index"
    for line in lines:
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            sections.setdefault(current, set())
            continue
        sections[current].update(fold(w) for w in line.split())
    return frozenset(sections["index"]), frozenset(sections["query"] | sections["index"])


_cache: dict[Path, tuple[tuple, Resources]] = {}
_cache_lock = threading.Lock()
# The files are stat'ed at most this often per directory: every message asks for the resources one to
# three times, and stat'ing the five files was 5% of a message's CPU. An edit is noticed within it.
RECHECK_SECONDS = 1.0
_checked: dict[Path, float] = {}


def _signature(config_dir: Path) -> tuple:
    sig = []
    for name in RESOURCE_FILES:
        try:
            st = (config_dir / name).stat()
        except OSError:
            sig.append(None)
        else:
            sig.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(sig)


def load_resources(config_dir: Path = CONFIG_DIR) -> Resources:
    """The resources in ``config_dir`` as the files are now (re-read only when a file changed)."""
    config_dir = Path(config_dir)
    cached = _cache.get(config_dir)
    now = time.monotonic()
    if cached is not None and now - _checked.get(config_dir, -RECHECK_SECONDS) < RECHECK_SECONDS:
        return cached[1]
    sig = _signature(config_dir)
    if cached is not None and cached[0] == sig:
        _checked[config_dir] = now
        return cached[1]
    with _cache_lock:
        digest = _digest(config_dir)
        cached = _cache.get(config_dir)
        if cached is None or cached[1].digest != digest:
            cached = (sig, _parse(config_dir, digest))
        _cache[config_dir] = (sig, cached[1])
        _checked[config_dir] = now
        return cached[1]


def _digest(config_dir: Path) -> str:
    digest = hashlib.sha256(ANALYZER_VERSION.encode())
    for name in RESOURCE_FILES:
        path = config_dir / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:16]


def _parse(config_dir: Path, digest: str) -> Resources:
    index_stop, query_stop = _parse_stopwords(_lines(config_dir / "stopwords.txt"))
    return Resources(
        user_words=_parse_userdict(_lines(config_dir / "userdict.txt")),
        synonyms=_parse_synonyms(_lines(config_dir / "synonyms.txt")),
        index_stopwords=index_stop,
        query_stopwords=query_stop,
        digest=digest,
        concepts=parse_concepts(_lines(config_dir / "concepts.txt")),
    )
