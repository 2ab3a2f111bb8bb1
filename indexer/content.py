"""What the bot asks of the content side, in one place: read a forwarded article's page, add or take
back a forwarded document, and the last build's report. Re-exported by ``indexer`` (its public API),
so ``bot/`` never reaches into ``indexer.build`` or ``indexer.sources``.
"""

from __future__ import annotations

from pathlib import Path

from config.errors import CaseLinkError
from config.settings import Settings
from indexer.build import BuildReport, last_report, update
from indexer.document import Document, Problem
from indexer.fetch import FetchPolicy
from indexer.shared import Forwarded, SharedContent, SharedUnavailable

__all__ = ["KeptNotIndexed", "add_forwarded", "content_catalog", "last_report", "read_article", "withdraw_forwarded"]

FORWARD_WAIT = 60.0  # seconds an added article waits for a running build before it gives up


def read_article(url: str, settings: Settings, *, timeout: float) -> Document | Problem:
    """Fetch ``url`` safely (``indexer.fetch``) into a document; a Problem says why it could not be.

    The Problem's category is ``unsafe`` for an address CaseLink refuses (this machine, a private
    network, a host off ``FETCH_ALLOWED_HOSTS``) and ``fetch`` for a page that could not be read.
    """
    from indexer.sources.url_list import UrlEntry, fetch_document

    return fetch_document(UrlEntry(url), timeout=timeout, policy=FetchPolicy.from_settings(settings))


class KeptNotIndexed(CaseLinkError):
    """A forwarded document was kept in the shared state, but this node's index could not be updated."""


def add_forwarded(settings: Settings, doc: Document, *, by: str, shared: SharedContent) -> BuildReport:
    """Keep a forwarded document in the shared state (every node gets it) and index it here now.

    SharedUnavailable means nothing was kept; KeptNotIndexed that it was kept and the next build indexes it.
    """
    shared.add_forwarded(doc, by=by)
    try:
        return update(settings, wait=FORWARD_WAIT, shared=shared)
    except SharedUnavailable as exc:  # Redis went away between keeping it and reading it back for the build
        raise KeptNotIndexed(str(exc)) from exc


def withdraw_forwarded(settings: Settings, doc_id: str, *, by: str, shared: SharedContent) -> Forwarded | None:
    """Take a forwarded document back (hidden at once everywhere, removed from this node's index now)."""
    found = shared.withdraw(doc_id, by=by)
    if found is not None:
        update(settings, wait=FORWARD_WAIT, shared=shared)
    return found


def content_catalog(index_dir: Path) -> list[dict]:
    """Every document the live generation's build met, hidden ones too (``indexer.catalog``)."""
    from indexer import catalog

    return catalog.read(index_dir)
