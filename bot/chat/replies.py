"""Reply values that handlers return, fitted within WeChat's limits (``bot.wechat.render`` makes the XML).

Official doc 被动回复用户消息: a text reply's Content is at most 2048 bytes; a news reply to a user
message shows one article. Every ``Text`` is fitted when it is made — whatever built it (a list,
an admin command, a held answer with its prefix, merged answers) — by whole lines, never cutting
a link. WeChat renders ``<a href>`` in text replies, so any text we did not write ourselves (what
people typed, titles and tags from content, error details) goes through :func:`escape` first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bot import texts

TEXT_LIMIT = 2048  # bytes of UTF-8 in a text reply's Content
TITLE_CHARS = 60
SUMMARY_CHARS = 120


LINK = re.compile(r"<a\s[^>]*>.*?</a>", re.S)
_INERT = str.maketrans({"<": "＜", ">": "＞", "&": "＆"})


def escape(text: object) -> str:
    """Text someone else wrote, made inert in a text reply: no markup, no entities (shown full-width)."""
    return str(text).translate(_INERT)


@dataclass(frozen=True)
class Text:
    """A text reply (may contain ``<a href>`` links), within WeChat's limit by construction."""

    content: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", fit_text(self.content))


@dataclass(frozen=True)
class Card:
    """A one-article news reply, ready to forward."""

    title: str
    description: str
    url: str
    image: str = ""


@dataclass(frozen=True)
class Silent:
    """Nothing to say: answer ``success`` so WeChat neither shows nor retries anything."""


@dataclass(frozen=True)
class Transfer:
    """Pass the message on to the account's customer-service agents (official doc 将消息转发到客服)."""


SILENT = Silent()
Reply = Text | Card | Silent | Transfer


def to_dict(reply: Reply) -> dict[str, Any]:
    """Serialise a reply (for answers kept until the user's next message)."""
    return {"type": type(reply).__name__.lower(), **asdict(reply)}


def from_dict(data: dict[str, Any]) -> Reply:
    """Inverse of :func:`to_dict`."""
    kind = data.pop("type")
    return {"text": Text, "card": Card, "transfer": Transfer}.get(kind, Silent)(**data)


def size(text: str) -> int:
    """Bytes WeChat counts for a text reply."""
    return len(text.encode("utf-8"))


def shorten(text: str, limit: int) -> str:
    """Cut plain text to ``limit`` characters with an ellipsis."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def marked_title(hit) -> str:
    """The title, with 【内部】 in front for internal content (employees see it; it must not be forwarded)."""
    title = hit.title or ""
    if getattr(hit, "visibility", "public") != "public" and not title.startswith("【内部"):
        title = texts.INTERNAL_MARK + title
    return title


def hit_line(number: int, hit, link: bool = True) -> str:
    """One numbered result: the title as a link (【内部】 marked), then kind and date (``link=False``: no link)."""
    title = escape(shorten(marked_title(hit), TITLE_CHARS))
    url = hit.url.replace('"', "%22").replace("<", "%3C").replace(">", "%3E")
    meta = " · ".join(part for part in (texts.KIND_NAMES.get(hit.kind, ""), hit.date) if part)
    if not link:
        return f"{number}. {title}" + (f"（{meta}）" if meta else "") + texts.LINK_TOO_LONG.format(n=number)
    return f'{number}. <a href="{url}">{title}</a>' + (f"（{meta}）" if meta else "")


def fit_list(head: str, hits: Sequence, first_number: int, tail: str, limit: int = TEXT_LIMIT) -> tuple[str, int]:
    """Render as many whole hits as fit in ``limit`` bytes; return the text and how many fit.

    At least the head is always returned. A first hit whose link alone is too long is listed by its
    title without the link (its number still gives the card), never cut, so a page always moves on.
    """
    lines = [head]
    shown = 0
    for hit in hits:
        line = hit_line(first_number + shown, hit)
        if size("\n".join([*lines, line, tail])) > limit:
            if shown:
                break
            line = hit_line(first_number, hit, link=False)
            if size("\n".join([*lines, line, tail])) > limit:
                break
        lines.append(line)
        shown += 1
    if tail and size("\n".join([*lines, tail])) <= limit:
        lines.append(tail)
    return "\n".join(lines), shown


def card(hit) -> Card:
    """A hit as a forwardable card."""
    return Card(
        title=shorten(marked_title(hit), TITLE_CHARS),
        description=shorten(hit.summary or hit.snippet or "", SUMMARY_CHARS),
        url=hit.url,
        image=hit.cover or "",
    )


def merge(replies: Sequence[Reply], limit: int = TEXT_LIMIT) -> tuple[Reply, list[Reply]]:
    """Combine queued answers into one passive reply; return it and the ones that must wait.

    Consecutive texts are joined while they fit; a card goes out alone.
    """
    replies = [r for r in replies if not isinstance(r, Silent)]
    if not replies:
        return SILENT, []
    first, rest = replies[0], list(replies[1:])
    if not isinstance(first, Text):
        return first, rest
    content = first.content
    while rest and isinstance(rest[0], Text) and size(content + "\n\n" + rest[0].content) <= limit:
        content += "\n\n" + rest.pop(0).content
    return Text(content), rest


def fit_text(content: str, limit: int = TEXT_LIMIT) -> str:
    """``content`` within ``limit`` bytes: whole lines from the start, then a note that the rest was left out.

    A single line too long by itself is cut between characters, never inside a link.
    """
    # "]]>" would end the CDATA the reply is rendered into.
    content = (content or "").replace("]]>", "]] >")
    if size(content) <= limit:
        return content
    budget = limit - size("\n" + texts.TRIMMED)
    kept: list[str] = []
    for line in content.split("\n"):
        if size("\n".join([*kept, line])) > budget:
            if not any(kept):
                kept = [_cut("\n".join([*kept, line]), budget)]
            break
        kept.append(line)
    return "\n".join(kept).rstrip() + "\n" + texts.TRIMMED


def _cut(line: str, budget: int) -> str:
    out = ""
    for part in re.split(f"({LINK.pattern})", line, flags=re.S):
        if size(out + part) <= budget:
            out += part
            continue
        if not LINK.fullmatch(part):  # plain text: as many whole characters as fit
            out += part.encode("utf-8")[: budget - size(out)].decode("utf-8", "ignore")
        break
    return out
