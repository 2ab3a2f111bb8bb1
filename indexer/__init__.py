"""CaseLink's content index: sources, analysis, build and search.

A library with a thin CLI (``python -m indexer``); it never imports Flask or ``bot``.
The public API is re-exported lazily here so ``import indexer`` stays cheap.
"""

from __future__ import annotations

__all__ = ["Document", "Problem", "fold", "get_segmenter", "open_searcher", "rebuild", "update"]


def __getattr__(name: str):
    if name in ("Document", "Problem"):
        from indexer import document

        return getattr(document, name)
    if name == "open_searcher":
        from indexer.search import open_searcher

        return open_searcher
    if name == "get_segmenter":  # the process-wide jieba segmenter with our dictionary (creative/ uses it)
        from indexer.segment import get_segmenter

        return get_segmenter
    if name == "fold":
        from indexer.text import fold

        return fold
    if name in ("rebuild", "update"):
        from indexer import build

        return getattr(build, name)
    raise AttributeError(name)
