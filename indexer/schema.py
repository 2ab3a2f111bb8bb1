"""The Whoosh schema: which fields are searched, filtered and stored."""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from indexer.analysis import bigram_analyzer, chinese_analyzer

# Bump when fields change; an index with another version must be rebuilt.
SCHEMA_VERSION = 2
# The bigram field covers what says what a post is about (title, tags, summary, the opening): the
# whole body would double the postings to write (see BENCHMARKS.md for what it costs).
BIGRAM_LEAD_CHARS = 200

# Search fields and their weights: title and tags count more than the body.
FIELD_BOOSTS = {"title": 4.0, "tags_text": 3.0, "summary": 1.5, "body": 1.0}


def build_schema() -> Schema:
    """Create the schema for a new index generation."""
    analyzer = chinese_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        visibility=ID(stored=True),
        tag=KEYWORD(commas=True, lowercase=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        tags_text=TEXT(analyzer=analyzer, phrase=False),
        bigrams=TEXT(analyzer=bigram_analyzer(), phrase=False),
        summary=TEXT(analyzer=analyzer, stored=True, phrase=True),
        body=TEXT(analyzer=analyzer, stored=True, phrase=True),
        ts=NUMERIC(int, bits=32, sortable=True, signed=False),
        url=STORED,
        cover=STORED,
        date=STORED,
        tags=STORED,
        source=STORED,
        hash=STORED,
    )
