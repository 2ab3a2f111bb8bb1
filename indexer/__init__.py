"""CaseLink's content index: sources, analysis, build and search.

A library with a thin CLI (``python -m indexer``); it never imports Flask or ``bot``.
The public API is re-exported lazily here so ``import indexer`` stays cheap; ``bot/`` uses only
these names:

- search: ``open_searcher``; text helpers ``fold``, ``get_segmenter``;
- builds: ``rebuild``, ``update``, ``last_report``, ``CATEGORIES`` (problem names in Chinese);
- content: ``Document``, ``Problem``, ``read_article`` (a safe page fetch), ``add_forwarded``,
  ``withdraw_forwarded``, and the shared state they live in: ``SharedContent``, ``Forwarded``,
  ``SharedUnavailable``;
- content control: ``content_catalog`` (every document of the live generation, hidden ones too),
  ``Override``, ``read_overrides``, ``set_override``, ``Overlay`` (overrides for searchers),
  ``load_rules`` (the group rules of config/content_rules.yaml), ``report_lines``.
"""

from __future__ import annotations

__all__ = [
    "CATEGORIES",
    "Document",
    "Forwarded",
    "KeptNotIndexed",
    "Overlay",
    "Override",
    "Problem",
    "SharedContent",
    "SharedUnavailable",
    "add_forwarded",
    "content_catalog",
    "fold",
    "get_segmenter",
    "last_report",
    "load_rules",
    "open_searcher",
    "read_article",
    "read_overrides",
    "rebuild",
    "report_lines",
    "set_override",
    "update",
    "withdraw_forwarded",
]

_WHERE = {
    "Document": "indexer.document",
    "Problem": "indexer.document",
    "open_searcher": "indexer.search",
    "get_segmenter": "indexer.segment",  # the process-wide jieba segmenter with our dictionary
    "fold": "indexer.text",
    "rebuild": "indexer.build",
    "update": "indexer.build",
    "last_report": "indexer.build",
    "CATEGORIES": "indexer.sources.fields",
    "read_article": "indexer.content",
    "add_forwarded": "indexer.content",
    "KeptNotIndexed": "indexer.content",
    "withdraw_forwarded": "indexer.content",
    "SharedContent": "indexer.shared",
    "Forwarded": "indexer.shared",
    "SharedUnavailable": "indexer.shared",
    "Override": "indexer.overrides",
    "Overlay": "indexer.overrides",
    "read_overrides": "indexer.overrides",
    "set_override": "indexer.overrides",
    "report_lines": "indexer.overrides",
    "load_rules": "indexer.content_rules",
    "content_catalog": "indexer.content",
}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
