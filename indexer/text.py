"""Text folding shared by indexing, querying and the bot's command matching."""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACE = re.compile(r"\s+")


# Full-width forms, the ideographic space and the ellipsis, as NFKD decomposes them. NFKC decomposes
# every character before composing, so putting a character's NFKD form in its place does not change
# what NFKC makes of a text; a Chinese text whose only such characters are full-width punctuation
# is then already normalised, which is quick to check, where normalising it is slow (a build folded
# every document's text: 0.2 ms a document).
_DECOMPOSED = {
    chr(c): unicodedata.normalize("NFKD", chr(c))
    for c in (*range(0xFF01, 0xFFEF), 0x3000, 0x2026)
    if unicodedata.normalize("NFKD", chr(c)) != chr(c)
}
_DECOMPOSABLE = re.compile("[" + "".join(map(re.escape, _DECOMPOSED)) + "]")  # (a few, far apart: no translate)


def fold(text: str) -> str:
    """Fold full-width forms to half-width (NFKC) and lowercase, so "ＣＥＯ", "CEO" and "ceo" meet."""
    if not unicodedata.is_normalized("NFKC", text):
        text = _DECOMPOSABLE.sub(lambda found: _DECOMPOSED[found.group()], text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    return text.lower()


@functools.cache
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones (營銷 → 营销)."""
    if text.isascii():
        return text
    return _t2s().convert(text)


def normalize_query(text: str) -> str:
    """Fold, simplify and collapse whitespace: the canonical form of anything a user typed."""
    return _SPACE.sub(" ", to_simplified(fold(text))).strip()
