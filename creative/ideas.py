"""Pick title ideas for a request: ``标题 [平台] 品牌 [产品]`` → five rendered patterns of different styles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from creative.titles import PLATFORM_WORDS, Library, Pattern, digest, render


@dataclass(frozen=True)
class Request:
    """What was asked: ``标题 [平台] 品牌 [产品]`` (empty fields take the company defaults)."""

    brand: str = ""
    product: str = ""
    industry: str = ""
    people: str = ""
    platform: str = ""


@dataclass(frozen=True)
class Idea:
    """One rendered title."""

    pattern_id: str
    text: str
    style: str


def fill(library: Library, request: Request, company: str = "", industry: str = "") -> dict[str, str]:
    """Words for the slots: what was asked, else the company's name and industry (may stay empty)."""
    return {
        "品牌": request.brand or company,
        "产品": request.product,
        "行业": request.industry or industry,
        "人群": request.people,
    }


def choose(
    library: Library, request: Request, words: dict[str, str], exclude: Sequence[str] = (), count: int = 5
) -> list[Idea]:
    """``count`` ideas, each from a different style when possible, never a pattern in ``exclude``.

    Which patterns come first is fixed by the request (the same words give the same ideas), so a
    conversation is repeatable; patterns that use the asked product come before those that do not.
    """
    seed = f"{request.brand}|{request.product}|{request.platform}"
    skip = set(exclude)
    usable: list[tuple[Pattern, str]] = []
    for pattern in sorted(library.patterns, key=lambda p: digest(seed + p.id)):
        if pattern.id in skip or (request.platform and request.platform not in pattern.platforms):
            continue
        if request.brand and "品牌" not in pattern.slots:
            continue
        text = render(pattern, words, library, len(skip))
        if text:
            usable.append((pattern, text))
    if request.product:
        usable.sort(key=lambda pt: "产品" not in pt[0].slots)
    ideas: list[Idea] = []
    styles: set[str] = set()
    for pattern, text in usable:  # first pass: one idea per style
        if pattern.style not in styles and len(ideas) < count:
            ideas.append(Idea(pattern.id, text, pattern.style))
            styles.add(pattern.style)
    taken = {i.pattern_id for i in ideas}
    for pattern, text in usable:
        if len(ideas) >= count:
            break
        if pattern.id not in taken:
            ideas.append(Idea(pattern.id, text, pattern.style))
    return ideas


def parse_request(words: Sequence[str], library: Library) -> Request:
    """``[平台] 品牌 [产品]`` (the platform may stand anywhere); known industry or audience words too."""
    platform, rest = "", []
    for word in words:
        if not platform and word in PLATFORM_WORDS:
            platform = PLATFORM_WORDS[word]
        else:
            rest.append(word)
    industries = set(library.words.get("industries", ()))
    audiences = set(library.words.get("people", ()))
    industry = next((w for w in rest[1:] if w in industries), "")
    people = next((w for w in rest[1:] if w in audiences), "")
    others = [w for w in rest[1:] if w not in (industry, people)]
    return Request(
        brand=rest[0] if rest else "",
        product=" ".join(others),
        industry=industry,
        people=people,
        platform=platform,
    )
