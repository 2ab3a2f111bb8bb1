"""One document in five shapes, ready to paste: 朋友圈, 微博, 小红书, a short-video script, a private message.

Everything is built from the document itself, deterministically: the same document and link give
the same copy. Sentences are quoted whole (``creative.text``), picked by ``creative.rank``. Internal
documents get no kit at all (``NotShareable``): whoever calls, nothing internal leaves as copy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from creative import forms
from creative.rank import keywords, rank
from creative.text import FIGURE, Sentence, clean, length, sentences, tidy

# Limits every form keeps (tests walk real content through them).
MOMENTS_LINES = 4
MOMENTS_LINE_CHARS = 70  # a text line of a 朋友圈 post (the link line aside)
WEIBO_CHARS = 140  # as 微博 counts (creative.weibo)
WEIBO_TOPICS = (1, 3)
XHS_TITLE_CHARS = 20
XHS_POINTS = (3, 5)
XHS_POINT_CHARS = 90
XHS_TAGS = (3, 6)
VIDEO_SECONDS = (15, 30)
HOOK_SECONDS = 3
MESSAGE_CHARS = 120  # the private message without its link
JOINED_BODY_CHARS = 200  # a longer body on one line comes from an index that joined its lines
KIND_NAMES = {"article": "文章", "case": "案例"}
_QUESTION = re.compile(r"[?？]")
_SEMICOLON_END = re.compile(r"[；;](?=[”’」』）)】》\"']*$)")


class NotShareable(Exception):
    """This document must not become share copy (it is internal)."""


@dataclass(frozen=True)
class Piece:
    """What the kit needs of a document (an index hit or a source Document plus its body)."""

    id: str
    title: str
    url: str
    kind: str = "article"
    summary: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    visibility: str = "public"

    @classmethod
    def of(cls, doc, body: str | None = None) -> Piece:
        """A piece from anything with a document's fields (``indexer`` Hit or Document)."""
        return cls(
            id=doc.id,
            title=doc.title,
            url=doc.url,
            kind=doc.kind,
            summary=getattr(doc, "summary", "") or "",
            body=body if body is not None else getattr(doc, "body", "") or "",
            tags=tuple(doc.tags or ()),
            visibility=getattr(doc, "visibility", "public"),
        )


@dataclass(frozen=True)
class Beat:
    """One part of the short-video script: seconds, a label and what is said (or shown)."""

    start: int
    end: int
    label: str
    text: str
    spoken: bool = True


@dataclass(frozen=True)
class Kit:
    """The five forms of one document."""

    title: str
    link: str
    moments: str
    weibo: str
    xhs_title: str
    xhs_points: tuple[str, ...]
    xhs_tags: tuple[str, ...]
    video: tuple[Beat, ...]
    message: str
    quoted: tuple[str, ...] = field(default=(), repr=False)  # the document's sentences used

    @property
    def xiaohongshu(self) -> str:
        """The 小红书 note: title, numbered points, tags (no link: 小红书 notes do not carry one)."""
        points = "\n".join(f"{forms.CIRCLED[i]} {p}" for i, p in enumerate(self.xhs_points))
        return f"{self.xhs_title}\n\n{points}\n\n{' '.join('#' + t for t in self.xhs_tags)}"

    @property
    def video_seconds(self) -> int:
        return self.video[-1].end if self.video else 0

    @property
    def video_script(self) -> str:
        """The script outline, one line a part: ``0–3 秒｜开场：…``."""
        return "\n".join(f"{b.start}–{b.end} 秒｜{b.label}：{b.text}" for b in self.video)

    def forms(self) -> list[tuple[str, str, str]]:
        """``(key, name, copy)`` of every form, in the order a page shows them."""
        return [
            ("moments", "朋友圈", self.moments),
            ("weibo", "微博", self.weibo),
            ("xiaohongshu", "小红书", self.xiaohongshu),
            ("video", f"抖音 / 视频号脚本（约 {self.video_seconds} 秒）", self.video_script),
            ("message", "私信客户", self.message),
        ]


@dataclass
class Material:
    """A document prepared once for every form: clean title, ranked sentences, tags and key words."""

    piece: Piece
    title: str
    ranked: list[Sentence]
    tags: list[str]  # the document's own
    keywords: list[str]  # recurring nouns, for when it has too few tags
    seed: int
    company: str = ""

    @property
    def case(self) -> bool:
        return self.piece.kind == "case"

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.piece.kind, "内容")

    def candidates(self, limit: int) -> Iterator[str]:
        """Whole sentences of 8 to ``limit`` characters, best first, as copy quotes them.

        Questions are left out (a question is a hook, not a fact the reader takes away).
        """
        for s in self.ranked:
            if 8 <= length(s.text) <= limit and not _QUESTION.search(s.text):
                yield quote(s.text)

    def best(self, limit: int, count: int = 1) -> list[str]:
        """The ``count`` best sentences of at most ``limit`` characters, best first."""
        return list(dict.fromkeys(self.candidates(limit)))[:count]

    def facts(self, limit: int, count: int) -> list[str]:
        """Like ``best``, but a case leads with its best sentence holding a figure (clients ask for results)."""
        best = self.best(limit, count + 1)
        if self.case:
            with_figure = next((q for q in self.candidates(limit) if FIGURE.search(q)), None)
            if with_figure:
                best = [with_figure, *(q for q in best if q != with_figure)]
        return best[:count]

    def in_order(self, quoted: list[str]) -> list[str]:
        """``quoted`` sentences in the order the document has them."""
        order = {quote(s.text): s.position for s in self.ranked}
        return sorted(quoted, key=lambda q: order.get(q, 0))

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        """One of ``options``, the same one every time for this document."""
        return options[self.seed % len(options)]


def quote(sentence: str) -> str:
    """A sentence as copy shows it alone: a closing ；becomes 。 (the words are never changed)."""
    return _SEMICOLON_END.sub("。", sentence)


def prepare(piece: Piece, company: str = "") -> Material:
    """Clean and rank ``piece`` (raise NotShareable for internal documents)."""
    if piece.visibility != "public":
        raise NotShareable(piece.id)
    title = tidy(piece.title) or tidy(piece.summary)[:30] or "分享"
    text = clean(piece.summary) + "\n" + clean(piece.body)  # for key words
    # An index built before bodies kept their line breaks returns a long body on one line; its
    # summary (often the body's opening) was joined the same way.
    joined = "\n" not in piece.body.strip() and len(piece.body) > JOINED_BODY_CHARS
    found = sentences(clean(piece.summary), joined=joined) + sentences(clean(piece.body), joined=joined)
    texts = list(dict.fromkeys(s.text for s in found))
    # An excerpt can glue a heading to the sentence after it; keep the sentence itself.
    texts = [t for t in texts if not any(o != t and o in t for o in texts)]
    unique = [Sentence(t, n) for n, t in enumerate(texts)]
    ranked = rank(unique, title, case=piece.kind == "case")
    tags = list(dict.fromkeys(t for t in (forms.clean_tag(t) for t in piece.tags) if t))
    words = [w for w in (forms.clean_tag(w) for w in keywords(text, title, 8)) if w and w not in tags]
    seed = int(hashlib.sha1(piece.id.encode("utf-8")).hexdigest()[:8], 16)
    return Material(piece, title, ranked, tags, words, seed, company.strip())


def make_kit(piece: Piece, link: str = "", company: str = "") -> Kit:
    """The share kit of ``piece``, its copy pointing at ``link`` (default: the document's URL)."""
    material = prepare(piece, company)
    link = link or piece.url
    moments, used_m = forms.moments(material, link)
    weibo, used_w = forms.weibo(material, link)
    xhs_points = forms.xhs_points(material)
    video, used_v = forms.video(material)
    message, used_p = forms.message(material, link)
    quoted = tuple(dict.fromkeys([*used_m, *used_w, *xhs_points, *used_v, *used_p]))
    return Kit(
        title=material.title,
        link=link,
        moments=moments,
        weibo=weibo,
        xhs_title=forms.xhs_title(material),
        xhs_points=tuple(p for p in xhs_points),
        xhs_tags=tuple(forms.xhs_tags(material)),
        video=tuple(video),
        message=message,
        quoted=tuple(q for q in quoted if q in {quote(s.text) for s in material.ranked}),
    )
