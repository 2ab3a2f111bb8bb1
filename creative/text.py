"""Plain text out of what a source gave us: Markdown residue removed, sentences found whole.

A sentence is what ends at 。！？!?… (or ；, which closes a full clause in Chinese lists) together
with the closing quotes or brackets after it. Lines that end without such a mark are headings, list
labels or table rows: they are kept apart and never offered as sentences, so nothing we quote is a
fragment. Every form of the share kit quotes whole sentences only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Markup that can survive a source's own conversion (catalog bodies, summaries, pasted text).
_MARKDOWN = [
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"<https?://[^>]*>"), ""),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # HTML tags keep their text
    (re.compile(r"https?://[\x21-\x7e]+"), ""),  # bare URLs: the kit carries its own link
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.M), ""),  # ATX headings
    (re.compile(r"^[ \t]*(?:>[ \t]?)+", re.M), ""),  # block quotes
    (re.compile(r"^[ \t]*(?:[-*+•·]|\d{1,3}[.)、])[ \t]+", re.M), ""),  # list markers
    (re.compile(r"^[ \t]*[-*_=]{3,}[ \t]*$", re.M), ""),  # rules
    (re.compile(r"(\*\*|__|~~)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![A-Za-z0-9*])\*(?=\S)([^*\n]+?)(?<=\S)\*"), r"\1"),
    (re.compile(r"`+"), ""),
    (re.compile(r"\*{2,}|_{2,}|~{2,}"), ""),  # unpaired emphasis marks
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])"), r"\1"),
]
_TABLE_ROW = re.compile(r"\|.*\|")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
# Spaces between two Chinese characters are dropped in copy; beside ASCII ("下降 35%") they stay.
_CJK = r"\u3400-\u9fff\u3000-\u303f\uff00-\uffef"
_END = "。！？!?…；;"
_CLOSERS = "”’」』）)】》\"'"
_SENTENCE = re.compile(rf"[^{_END}]*(?:[{_END}]+[{_CLOSERS}]*|$)")
_STRONG_END = re.compile(rf"[。！？!?…；;][{_CLOSERS}]*$")
_PAIRS = (("“", "”"), ("「", "」"), ("『", "』"), ("（", "）"), ("(", ")"), ("《", "》"), ("【", "】"), ("‘", "’"))
# A heading or table cell in front of a sentence: short, no clause punctuation, then a space.
_GLUED = re.compile(r"^([^\s，,；;。！？!?]{1,16}) +(?=[\u3400-\u9fff“「])")
# Where joined lines may meet: a space beside Chinese text. (Spaces between Latin words are kept.)
_JOINED_LINES = re.compile(r"[^\x00-\x7f] +\S|\S +[^\x00-\x7f]")
# Figures: Arabic numbers, or Chinese numbers with a unit (三成, 两倍, 1.3 亿).
FIGURE = re.compile(r"(?<![A-Za-z])\d|[一二两三四五六七八九十百千万]+(?:成|倍|万|亿|个百分点)")  # not B2B


def clean(text: str) -> str:
    """``text`` without Markdown or HTML marks, table rows and URLs; one paragraph a line."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text or "")
    lines = []
    for line in text.replace("\r", "\n").split("\n"):
        if _TABLE_ROW.search(line):
            continue
        line = _SPACES.sub(" ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def tidy(text: str) -> str:
    """One line of copy: ``clean`` text on a single line, no stray spaces beside Chinese."""
    text = " ".join(clean(text).split("\n"))
    return re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", text).strip()


@dataclass(frozen=True)
class Sentence:
    """A whole sentence of the text, where it stood and whether it holds a figure."""

    text: str
    position: int  # order in the text, from 0

    @property
    def has_figure(self) -> bool:
        return bool(FIGURE.search(self.text))


def sentences(text: str, *, joined: bool = False) -> list[Sentence]:
    """The complete sentences of ``clean``ed text, in order; lines without a closing mark are skipped.

    ``joined``: the text's lines were joined with spaces (an index built before bodies kept their
    line breaks), so headings may sit in front of sentences: take them off (``unglue``) and drop
    any sentence that still holds a joint — better unused than quoted with a heading in it.
    """
    found: list[Sentence] = []
    for line in clean(text).split("\n"):
        for match in _SENTENCE.finditer(line):
            piece = match.group(0).strip()
            if joined:
                piece = unglue(piece)
                if _JOINED_LINES.search(piece):
                    continue
            if piece and _STRONG_END.search(piece) and balanced(piece):
                found.append(Sentence(piece, len(found)))
    return found


def unglue(piece: str) -> str:
    """``piece`` without the headings or table cells glued in front of it.

    The index keeps a document's text on one line, so 「问题\n蜀香阁在 5 个城市……」 comes back as
    「问题 蜀香阁在 5 个城市……」. A short phrase without clause punctuation, followed by a space and
    a Chinese character, is such a heading — unless the space splits a word (「回 家」 is a stray
    space inside a sentence, not a line break), which the segmenter tells.
    """
    while True:
        match = _GLUED.match(piece)
        head, rest = (match.group(1), piece[match.end() :]) if match else ("", "")
        if not match or len(rest) < 8 or not balanced(head) or _splits_word(head, rest):
            return piece
        piece = rest


def _splits_word(left: str, right: str) -> bool:
    from indexer import get_segmenter

    joined = left[-4:] + right[:4]
    cut, pos = len(left[-4:]), 0
    for word in get_segmenter().words(joined):
        start = joined.find(word, pos)
        if start < cut < start + len(word):
            return True
        pos = max(pos, start + len(word)) if start >= 0 else pos
    return False


def balanced(text: str) -> bool:
    """Whether every opening quote or bracket in ``text`` is closed (a split inside a quote is not)."""
    return all(text.count(a) == text.count(b) for a, b in _PAIRS) and text.count('"') % 2 == 0


def is_whole_sentence(piece: str, text: str) -> bool:
    """Whether ``piece`` is one of ``text``'s sentences (what tests check every quoted line against)."""
    return any(s.text == piece for s in sentences(text))


def length(text: str) -> int:
    """Characters as the platforms count them for a title or a line (spaces included)."""
    return len(text)
