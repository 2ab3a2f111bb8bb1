"""The agency's domain vocabulary (`config/concepts.txt`): concepts with directed relations, and
corrections of the slang and homophone slips marketers type.

A synonym group (`synonyms.txt`) says "these words are the same". Concepts say more: 双微一抖 is
*broader* than 微博, 微信 and 抖音 (a question about 抖音 may be answered by a post about 双微一抖, at a
lower weight than by a post about 抖音), 种草 is *related* to 小红书. Each relation has its own weight,
set in the file. Members may be several words ("social media"): those are matched as phrases.

File format (one statement a line, ``#`` starts a comment)::

    [weights]                       # how much a match through each relation counts (0–1)
    narrower = 0.6                  # the query names a broad concept: its members
    broader = 0.5                   # the query names a member: the broad concept
    related = 0.5
    [concepts]
    双微一抖 > 微博, 微信, 抖音        # broader > narrower, narrower…
    种草 ~ 小红书                     # related (every pair of the line)
    [corrections]
    小红薯 = 小红书                   # typed = meant; replaced in the query before it is cut
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.text import fold

DEFAULT_WEIGHTS = {"narrower": 0.6, "broader": 0.5, "related": 0.5}
_SPLIT = re.compile(r"[,，、]")


@dataclass(frozen=True)
class Concepts:
    """Expansions per word (other term, weight) and corrections (typed, meant), longest typed first."""

    expansions: dict[str, tuple[tuple[str, float], ...]]
    corrections: tuple[tuple[str, str], ...]

    @property
    def words(self) -> frozenset[str]:
        """Every term the file names (the segmenter keeps them whole)."""
        found = set(self.expansions)
        for others in self.expansions.values():
            found.update(w for w, _ in others)
        found.update(meant for _, meant in self.corrections)
        return frozenset(found)

    def correct(self, text: str) -> str:
        """``text`` with every known slip replaced by what was meant."""
        for typed, meant in self.corrections:
            if typed in text:
                text = text.replace(typed, meant)
        return text


def _members(part: str) -> list[str]:
    return [" ".join(fold(m).split()) for m in _SPLIT.split(part) if m.strip()]


def parse_concepts(lines: list[str]) -> Concepts:
    """Parse the lines of concepts.txt (comments and blank lines already removed)."""
    weights = dict(DEFAULT_WEIGHTS)
    edges: dict[str, dict[str, float]] = {}
    corrections: dict[str, str] = {}
    section = "concepts"

    def link(a: str, b: str, weight: float) -> None:
        if a != b:
            known = edges.setdefault(a, {})
            known[b] = max(known.get(b, 0.0), weight)

    statements: list[tuple[str, str]] = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == "weights" and "=" in line:  # read first: they apply wherever they are written
            name, value = (p.strip() for p in line.split("=", 1))
            try:
                weights[name] = min(max(float(value), 0.0), 1.0)
            except ValueError:
                continue
        elif line:
            statements.append((section, line))
    for section, line in statements:
        if section == "corrections" and "=" in line:
            typed, meant = (" ".join(fold(p).split()) for p in line.split("=", 1))
            if typed and meant:
                corrections[typed] = meant
        elif section == "concepts" and ">" in line:
            broad_part, narrow_part = line.split(">", 1)
            for broad in _members(broad_part):
                for narrow in _members(narrow_part):
                    link(broad, narrow, weights["narrower"])
                    link(narrow, broad, weights["broader"])
        elif section == "concepts" and "~" in line:
            group = [m for part in line.split("~") for m in _members(part)]
            for a in group:
                for b in group:
                    link(a, b, weights["related"])
    expansions = {w: tuple(sorted(o.items(), key=lambda x: -x[1])) for w, o in edges.items()}
    ordered = tuple(sorted(corrections.items(), key=lambda x: -len(x[0])))
    return Concepts(expansions, ordered)
