"""Typo help for Chinese: homophone slips of the pinyin input method (营消 → 营销, 按例 → 案例).

Whoosh's fuzzy terms and spelling corrector work on edit distance, which is meaningless for Chinese
words of two characters. A pinyin IME slip keeps the sound, so we key the index vocabulary by
toneless pinyin at build time and look an unknown query word up by its pinyin.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

_CJK_WORD = re.compile(r"^[\u3400-\u9fff]{2,6}$")


MAX_KEYS = 16  # heteronyms (行: xing/hang) multiply the readings; a few combinations are enough


@functools.cache
def _char_table() -> dict[int, str]:
    """pypinyin's per-character readings, without importing the package.

    ``import pypinyin`` also loads its phrase table (~40 MB of Python objects), which only
    ``reading_of`` needs, at build time; a bot worker looking up a slip needs only this one.
    """
    loaded = sys.modules.get("pypinyin.pinyin_dict")
    if loaded is not None:
        return loaded.pinyin_dict
    spec = importlib.util.find_spec("pypinyin")
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.py"
    module_spec = importlib.util.spec_from_file_location("_caselink_pinyin_chars", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict


@functools.cache
def _readings(char: str) -> tuple[str, ...]:
    raw = _char_table().get(ord(char), "")
    out: list[str] = []
    for reading in raw.split(","):
        plain = _plain(reading)
        if plain and plain not in out:
            out.append(plain)
    return tuple(out)


def _plain(reading: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", reading) if c.isascii() and c.isalpha())


def pinyin_keys(word: str) -> list[str]:
    """Toneless pinyin spellings of a word, one per reading of its heteronyms: 营销 → ["yingxiao"]."""
    choices = [_readings(ch) for ch in word]
    if not all(choices):
        return []
    keys = [""]
    for readings in choices:
        keys = [k + r for k in keys for r in readings][:MAX_KEYS]
    return keys


def reading_of(word: str) -> str:
    """The usual toneless reading of a correctly written word (行业 → "hangye", not "xingye")."""
    from pypinyin.phrases_dict import phrases_dict

    phrase = phrases_dict.get(word)
    if phrase:
        return "".join(_plain(choices[0]) for choices in phrase)
    readings = [_readings(ch) for ch in word]
    return "".join(r[0] for r in readings) if all(readings) else ""


def build_pinyin_map(
    vocabulary: Iterable[tuple[str, int]], min_df: int = 1, reading: Callable[[str], str] = reading_of
) -> dict[str, list]:
    """Map pinyin → [most frequent word, its document frequency] for Chinese words of 2–6 characters.

    Indexed words are keyed by their usual reading only; a slip is looked up by every reading of
    its characters (the wrong candidate the IME offered may be read unusually: 次 is also "zi").
    ``reading`` is ``reading_of`` or a memo of it (a build makes two maps of the same words).
    """
    best: dict[str, list] = {}
    for word, df in vocabulary:
        if df < min_df or not _CJK_WORD.match(word):
            continue
        key = reading(word)
        if key and (key not in best or df > best[key][1]):
            best[key] = [word, df]
    return best


def audience_maps(full: dict[str, list], public: dict[str, list]) -> dict:
    """The typo data a generation keeps: every reading, plus where a client's answer differs.

    A client must never be told "已按「…」搜索" with a word that only internal documents contain, so
    the client's map is built from public documents alone; it is stored as the (few) readings where
    it differs from the full map (None: no public word has that reading).
    """
    client = {k: public.get(k) for k in full.keys() | public.keys() if public.get(k) != full.get(k)}
    return {"all": full, "client": client}


def correct(word: str, maps: dict, audience: str = "client") -> tuple[str, int] | None:
    """The most frequent word ``audience`` may see that sounds like ``word``, with its document count."""
    if not _CJK_WORD.match(word):
        return None
    full, client = maps.get("all", {}), maps.get("client", {}) if audience == "client" else {}
    found = []
    for key in pinyin_keys(word):
        best = client[key] if key in client else full.get(key)
        if best and best[0] != word:
            found.append(best)
    if not found:
        return None
    best = max(found, key=lambda f: f[1])
    return best[0], best[1]


def document_words(doc) -> tuple[str, ...]:
    """The distinct words a document is indexed under, in any field (sorted)."""
    from indexer.segment import get_segmenter
    from indexer.text import fold

    segmenter = get_segmenter()
    text = fold(" ".join((doc.title, " ".join(doc.tags), doc.summary or "", doc.body or "")))
    return tuple(sorted({w for w, _ in segmenter.index_tokens(text)}))


MAPS_FILE = "pinyin.tsv"  # a generation's typo maps: "#all" and "#client", one sorted "reading\tword\tdf" line each


class CompactMap(Mapping):
    """A typo map ``{reading: [word, df] | None}`` held as one sorted text and an array of line offsets.

    Each searching process keeps one per generation; as a dict of lists it took 20 MB at 10,000
    documents (per gunicorn worker), as one string 3 MB, and it is read from the file as it is (no
    parsing: 0.2 s of JSON decoding held every other request of a worker back when a generation
    opened). Lookups bisect the sorted readings (a correction is looked up only for a query word no
    document contains)."""

    def __init__(self, text: str):
        self._text = text
        offsets, position = array("l"), 0
        while text:
            offsets.append(position)
            end = text.find("\n", position)
            if end < 0:
                break
            position = end + 1
        self._offsets = offsets

    @classmethod
    def of(cls, entries: dict[str, list | None]) -> CompactMap:
        return cls(_lines(entries))

    def _key_at(self, i: int) -> str:
        start = self._offsets[i]
        return self._text[start : self._text.index("\t", start)]

    def _find(self, key: str) -> int:
        lo, hi = 0, len(self._offsets)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._key_at(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self._offsets) and self._key_at(lo) == key else -1

    def _value_at(self, i: int) -> list | None:
        start = self._offsets[i]
        end = self._offsets[i + 1] - 1 if i + 1 < len(self._offsets) else len(self._text)
        _, word, df = self._text[start:end].split("\t")
        return [word, int(df)] if word else None

    def __getitem__(self, key: str) -> list | None:
        i = self._find(key) if isinstance(key, str) else -1
        if i < 0:
            raise KeyError(key)
        return self._value_at(i)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) >= 0

    def __iter__(self) -> Iterator[str]:
        return (self._key_at(i) for i in range(len(self._offsets)))

    def __len__(self) -> int:
        return len(self._offsets)


def _lines(entries: dict[str, list | None]) -> str:
    return "\n".join(f"{key}\t{best[0]}\t{best[1]}" if best else f"{key}\t\t" for key, best in sorted(entries.items()))


def dump_maps(maps: dict) -> str:
    """The text of ``MAPS_FILE`` for ``maps`` as ``audience_maps`` makes them."""
    return f"#all\n{_lines(maps.get('all') or {})}\n#client\n{_lines(maps.get('client') or {})}"


def _parts(text: str) -> tuple[str, str]:
    if not text.startswith("#all\n") or "\n#client\n" not in text:
        return "", ""
    full, client = text[len("#all\n") :].split("\n#client\n", 1)
    return full, client


def compact_maps(text: str) -> dict:
    """A generation's typo maps (the text of ``MAPS_FILE``), each part held as a ``CompactMap``;
    empty maps when the text is not such a file."""
    full, client = _parts(text)
    return {"all": CompactMap(full), "client": CompactMap(client)}


def parse_maps(text: str) -> dict:
    """The maps of ``MAPS_FILE`` as plain dicts (what ``audience_maps`` made)."""
    return {part: _entries(lines) for part, lines in zip(("all", "client"), _parts(text), strict=True)}


def without_words(text: str, words: set[str]) -> str:
    """The maps of ``MAPS_FILE`` text less every reading whose chosen word is one of ``words``, in either
    part; a reading dropped from the client's part is dropped from the full map too (a client would
    otherwise fall back to the full map's word). Works on the lines as they are: 0.05 instead of 0.3 s
    for parsing and writing the maps again at 10,000 documents."""
    full, client = _parts(text)
    client_lines, gone = [], set()
    for line in client.split("\n") if client else ():
        key, word, _ = line.split("\t", 2)
        if word in words:
            gone.add(key)
        else:
            client_lines.append(line)
    full_lines = []
    for line in full.split("\n") if full else ():
        key, word, _ = line.split("\t", 2)
        if word not in words and key not in gone:
            full_lines.append(line)
    return "#all\n" + "\n".join(full_lines) + "\n#client\n" + "\n".join(client_lines)


def _entries(lines: str) -> dict[str, list | None]:
    entries: dict[str, list | None] = {}
    for line in lines.split("\n") if lines else ():
        key, word, df = line.split("\t")
        entries[key] = [word, int(df)] if word else None
    return entries
