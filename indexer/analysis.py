"""The Whoosh analyzer for Chinese + English text.

Whoosh pickles the analyzer into the index schema, so this module path and class name must stay
stable, and the class must be cheap to unpickle: the segmenter is fetched lazily on first use.
Unlike jieba's stock ChineseAnalyzer, positions are word indexes (phrase queries work), single
letters and digits are kept ("C端"), English is not stemmed, and the text is folded first.
"""

from __future__ import annotations

import re

from whoosh.analysis import Composable, Token

from indexer.segment import get_segmenter
from indexer.text import fold


class ChineseTokenizer(Composable):
    """Search-mode jieba tokens with word positions; used at index time only (queries are built directly)."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __hash__(self):
        return hash(self.__class__.__name__)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for word, pos in get_segmenter().index_tokens(fold(value)):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + pos
            yield token


def chinese_analyzer() -> ChineseTokenizer:
    """The analyzer every text field of the schema uses."""
    return ChineseTokenizer()


_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")


def cjk_bigrams(text: str) -> list[str]:
    """Overlapping pairs of Chinese characters, as Lucene's CJK analyzer makes them: 私域流量 → 私域 域流 流量."""
    return [run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]


class BigramTokenizer(Composable):
    """Chinese character bigrams, for the `bigrams` field: a query word that the dictionary cuts
    differently from the document (or that is part of a longer word there) still meets it."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __hash__(self):
        return hash(self.__class__.__name__)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True, mode="", **kw):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kw)
        for pos, gram in enumerate(cjk_bigrams(fold(value))):
            token.text = gram
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            yield token


def bigram_analyzer() -> BigramTokenizer:
    """The analyzer of the `bigrams` field."""
    return BigramTokenizer()
