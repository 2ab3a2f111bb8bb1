"""CaseLink's creative library: share-kit copy per platform and title ideas from patterns.

A library like ``indexer`` (no Flask, no Redis, no ``bot``): deterministic functions over a
document's text, so the same document always gives the same copy and tests can hold it to limits.

    make_kit(Piece.of(hit, body), link)     → Kit: 朋友圈, 微博, 小红书, video script, private message
    weibo_length(text)                       → length as 微博 counts it
    titles.load_library(path)                → the title patterns (config/titles.yaml)
    ideas.choose(library, request, words)    → five title ideas of different styles
    propose.propose(title, library)          → a pattern made from a title someone saw
"""

from __future__ import annotations

from creative.kit import Kit, NotShareable, Piece, make_kit
from creative.weibo import weibo_length

__all__ = ["Kit", "NotShareable", "Piece", "make_kit", "weibo_length"]
