"""What a build indexes: every source, the documents admins forwarded, the group rules of
``config/content_rules.yaml``, then each document's override — in that order (later wins).

``gather`` returns the documents to index (hidden ones left out), the catalog of every document
met (``indexer.catalog``) and what the rules and overrides did, for the build report.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from config.errors import ConfigError
from config.settings import Settings
from indexer import catalog
from indexer.content_rules import apply_rules, load_rules
from indexer.document import Document, Problem, SourceResult
from indexer.fetch import FetchPolicy
from indexer.overrides import apply as apply_overrides
from indexer.overrides import read_overrides
from indexer.shared import SharedContent
from indexer.sources.read_cache import ReadCache

log = logging.getLogger(__name__)

LEGACY_ADDED_FILE = "added.jsonl"  # where forwarded documents lived before they moved to Redis


@dataclass
class Gathered:
    """The documents to index and what the build report says about how they were chosen."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    catalog: list[dict] = field(default_factory=list)
    forwarded: int = 0
    rules: list[dict] = field(default_factory=list)  # [{"name", "rule", "matched"}]
    overrides: dict[str, int] = field(default_factory=dict)  # {"hidden", "visibility", "kind", "missing"}
    reads: ReadCache = field(default_factory=ReadCache)  # what each content file gave (kept for updates)


def gather(
    settings: Settings,
    wechat=None,
    shared: SharedContent | None = None,
    workers: int = 1,
    reads: ReadCache | None = None,
) -> Gathered:
    """Collect (files read by ``workers`` processes; unchanged ones taken from ``reads``, what the last
    build read), apply the group rules and the overrides (see the module docstring)."""
    reads = reads if reads is not None else ReadCache()
    found = collect(settings, wechat, shared, workers, reads)
    rules, problems = load_rules(settings.config_dir)
    based, applied = apply_rules(rules, found.documents)
    overrides = read_overrides(shared) if shared is not None else {}
    indexed, _, counts = apply_overrides(based, overrides)
    matched = {rule.name: sum(1 for names in applied.values() if rule.name in names) for rule in rules}
    return Gathered(
        documents=indexed,
        problems=[*found.problems, *problems],
        catalog=catalog.entries(based, indexed, applied, overrides),
        forwarded=sum(1 for d in found.documents if d.source == "wechat:link"),
        rules=[{"name": r.name, "rule": r.describe(), "matched": matched[r.name]} for r in rules],
        overrides=counts if overrides else {},
        reads=reads,
    )


def collect(
    settings: Settings,
    wechat=None,
    shared: SharedContent | None = None,
    workers: int = 1,
    reads: ReadCache | None = None,
) -> SourceResult:
    """Read every configured source plus the documents admins forwarded (shared state in Redis)."""
    from indexer.sources import SiteInfo
    from indexer.sources import collect as collect_sources

    if wechat is None and settings.import_published:
        wechat = published_source(settings)
    site = SiteInfo(settings.site_url, settings.permalink) if settings.site_url else None
    result = collect_sources(
        settings.content_dir,
        site=site,
        urls_file=settings.urls_file,
        wechat=wechat,
        fetch_policy=FetchPolicy.from_settings(settings),
        workers=workers,
        reads=reads,
    )
    seen = {d.id for d in result.documents}
    for doc in _forwarded(settings, shared):
        if doc.id not in seen:
            result.documents.append(doc)
            seen.add(doc.id)
    return result


def published_source(settings: Settings):
    """The account's published articles as a source (needs WECHAT_APPID and WECHAT_SECRET)."""
    from indexer.sources import WeChatAPIClient, WeChatPublished

    if not (settings.wechat_appid and settings.wechat_secret):
        raise ConfigError("WECHAT_IMPORT_PUBLISHED=1 需要同时设置 WECHAT_APPID 和 WECHAT_SECRET")
    # auto_retry off: wechatpy would retry a rejected token without end; the source retries once itself
    client = WeChatAPIClient(
        settings.wechat_appid, settings.wechat_secret, api_base=settings.wechat_api_base, auto_retry=False
    )
    return WeChatPublished(client)


def _forwarded(settings: Settings, shared: SharedContent | None) -> list[Document]:
    legacy = settings.index_dir / LEGACY_ADDED_FILE
    if shared is None:
        return _read_legacy(legacy)  # no shared state to move them to: keep using the old file
    if legacy.exists():
        # Forwarded documents used to live in one node's index dir; move them to the shared state once.
        known = {item.doc.id for item in shared.forwarded()}
        for doc in _read_legacy(legacy):
            if doc.id not in known:
                shared.add_forwarded(doc, by="")
        legacy.rename(legacy.with_name(legacy.name + ".imported"))
        log.info("moved the forwarded documents of %s to Redis", legacy)
    return [item.doc for item in shared.forwarded()]


def _read_legacy(path: Path) -> list[Document]:
    if not path.exists():
        return []
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            docs.append(Document.from_dict(json.loads(line)))
        except (ValueError, TypeError, KeyError):
            log.warning("skipping a damaged line in %s", path)
    return docs
