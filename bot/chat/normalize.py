"""Turn what people type into one canonical form before commands are matched and searches run.

Phones send full-width digits and spaces (１２, U+3000), traditional characters (幫助) and a
trailing 。！？ more often than not; all of these must reach the same command.
"""

from __future__ import annotations

import functools
import re
import unicodedata

TRAILING_PUNCTUATION = "。．.！!？?，,、；;：:~～…—-·' \"“”‘’"
_SPACES = re.compile(r"\s+")
# XML 1.0 forbids most control characters; they would break the reply we render.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@functools.cache
def _t2s():
    from opencc import OpenCC  # loaded once per process; ~10 ms

    return OpenCC("t2s")


def normalize(text: str) -> str:
    """Full-width → half-width (NFKC), traditional → simplified, one space between words, trimmed."""
    text = text or ""
    # People send the same short words again and again (更多, 2, popular searches); OpenCC's
    # pure-Python conversion was 2% of a worker's time under load.
    return _normalize_short(text) if len(text) <= SHORT_TEXT else _normalize(text)


SHORT_TEXT = 64


def _normalize(text: str) -> str:
    text = _CONTROL.sub("", unicodedata.normalize("NFKC", text))
    text = _t2s().convert(text)
    return _SPACES.sub(" ", text).strip()


_normalize_short = functools.lru_cache(maxsize=4096)(_normalize)


def strip_trailing(text: str) -> str:
    """Drop trailing punctuation (``帮助。`` → ``帮助``), keeping a text made only of it unchanged."""
    stripped = text.rstrip(TRAILING_PUNCTUATION)
    return stripped or text
