"""Find the content files under a directory, in a stable order, skipping what is not content."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

MARKDOWN = (".md", ".markdown")
HTML = (".html", ".htm")
CATALOG = (".yaml", ".yml", ".csv")
# Jekyll's build output and templates, and dependency trees that ship their own README.md files
# (`vendor/bundle` is where `bundle install --path vendor/bundle` puts gems inside a Jekyll site).
SKIP_DIRS = {"_site", "_drafts", "_includes", "_layouts", "node_modules", "vendor"}
SKIP_FILES = {"_config.yml", "_config.yaml"}  # site settings, read by site.resolve_site
# Files that document the repository, not content for clients (every Jekyll repo has a README.md).
REPO_DOCS = {"readme", "license", "licence", "changelog", "contributing", "code_of_conduct"}


def is_skipped_name(name: str) -> bool:
    """Hidden files and editor leftovers (`.x`, `.~lock`, `.#x`, `x~`, `#x#`)."""
    return name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))


def iter_content_files(content_dir: Path) -> Iterator[tuple[str, str]]:
    """Yield (path, posix path relative to ``content_dir``) of every readable-looking content file.

    Paths are strings: an update stats every file and reads only the changed ones, and making Path
    objects for 10,000 files cost more than the stats."""
    root = os.fspath(content_dir)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not is_skipped_name(d))
        folder = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if folder == "." else folder + "/"
        head = dirpath if dirpath.endswith(os.sep) else dirpath + os.sep  # os.path.join per file cost more
        for name in sorted(filenames):
            if is_skipped_name(name) or name in SKIP_FILES or name.lower().split(".")[0] in REPO_DOCS:
                continue
            if not name.lower().endswith(MARKDOWN + HTML + CATALOG):
                continue
            yield head + name, prefix + name
