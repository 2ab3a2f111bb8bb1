"""Text folding shared by indexing, querying and the bot's command matching."""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Fold full-width forms to half-width (NFKC) and lowercase, so "ＣＥＯ", "CEO" and "ceo" meet."""
    return unicodedata.normalize("NFKC", text).lower()


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
