"""Turn a title someone saw into a pattern: 「蜀香阁用小程序3个月翻台率涨18%」→「{品牌}用{产品}{数字}个月翻台率涨18%」.

Words are marked from the library's lists first (known brands, products, industries, audiences,
matched longest first), then from jieba's part-of-speech tags on the rest: a person, place,
organisation or other proper name (nr, ns, nt, nz) or a capitalised English word becomes {品牌} when
no brand was found, and the first number (m) becomes {数字}. The admin confirms before it is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from creative.titles import Library, check_pattern

_SLOT_LISTS = (("brands", "品牌"), ("products", "产品"), ("industries", "行业"), ("people", "人群"))
_NUMERALS = frozenset({"m", "mq"})  # numbers, numbers with a measure word (三件)
_PROPER = frozenset({"nr", "ns", "nt", "nz", "nrt", "nrfg"})
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?|[一二两三四五六七八九十百]+)(?=[^\d.]|$)")
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STYLE_CUES = (
    ("避坑", re.compile(r"坑|别再|不要|千万|误区|红线|踩雷|注意")),
    ("对比", re.compile(r"还是|vs|VS|对比|前后|比起|不如")),
    ("提问", re.compile(r"[?？]|为什么|怎么|凭什么|吗$|吗[，,]")),
    ("反常识", re.compile(r"竟然|其实|反而|偏偏|不是.*而是|没想到")),
    ("故事", re.compile(r"^我|那年|那天|那个|故事|第一次")),
    ("教程", re.compile(r"教你|手把手|攻略|指南|入门|步骤|方法")),
    ("数字清单", re.compile(r"\{数字\}")),
)
_FULL = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；"}
_ASCII_PUNCT = re.compile(r"(?<=[\u3400-\u9fff%}])\s*([,?!:;])\s*|\s*([,?!:;])\s*(?=[\u3400-\u9fff{])")
_QUESTION_WORD = re.compile(r"(?:为什么|为何|怎么|怎样|凭什么|如何|吗|呢|几|多少|哪)[^，。！？]{0,12}$")
_QUOTES = "\"'“”‘’《》「」"


@dataclass(frozen=True)
class Proposal:
    """A suggested pattern, its style and the number the title had (kept as the pattern's {数字})."""

    text: str
    style: str
    numbers: tuple[int, ...] = ()
    marked: tuple[tuple[str, str], ...] = ()  # (word, slot) pairs, for telling the admin what was marked

    @property
    def problem(self) -> str:
        return check_pattern(self.text)


def propose(title: str, library: Library) -> Proposal:
    """Mark the brand, product, industry, audience and number words of ``title`` as slots."""
    title = _full_width(" ".join(title.split()).strip(_QUOTES + " "))
    pieces = _mark_known(title, library)
    marked = [(text, slot) for text, slot in pieces if slot]
    tagged = [(text, slot, [] if slot else _tag(text)) for text, slot in pieces]
    number = _pick_number([word for _, _, words in tagged for word, flag in words if flag in _NUMERALS])
    out: list[str] = []
    numbers: tuple[int, ...] = ()
    has_brand = any(slot == "品牌" for _, slot in marked)
    for _text, slot, words in tagged:
        if slot:
            out.append("{" + slot + "}")
            continue
        for word, flag in words:
            if not has_brand and len(word) >= 2 and (flag in _PROPER or (flag == "eng" and word[:1].isupper())):
                out.append("{品牌}")
                marked.append((word, "品牌"))
                has_brand = True
            elif not numbers and word == number:
                digits = _NUMBER.match(word).group(1)
                numbers = (_as_int(digits),)
                out.append("{数字}" + word[len(digits) :])
                marked.append((digits, "数字"))
            else:
                out.append(word)
    text = "".join(out)
    style = next((name for name, cue in _STYLE_CUES if cue.search(text)), "热点")
    return Proposal(finish_question(text), style, numbers, tuple(marked))


def finish_question(text: str) -> str:
    """A question keeps its ？ (chat input arrives without its closing punctuation)."""
    if _QUESTION_WORD.search(text) and not text.endswith(("？", "?", "！", "!", "…", "。")):
        return text + "？"
    return text


def _full_width(text: str) -> str:
    """Chinese punctuation back where a chat client or NFKC made it ASCII (「涨了18%, 为什么」)."""
    return _ASCII_PUNCT.sub(lambda m: _FULL[m.group(1) or m.group(2)], text)


def _pick_number(words: list[str]) -> str:
    """The number token to turn into {数字}: the first Arabic one, else a Chinese one other than 一 (a/an)."""
    arabic = [w for w in words if (m := _NUMBER.match(w)) and m.group(1)[0].isdigit()]
    chinese = [w for w in words if (m := _NUMBER.match(w)) and not m.group(1)[0].isdigit() and m.group(1) != "一"]
    return (arabic or chinese or [""])[0]


def _mark_known(title: str, library: Library) -> list[tuple[str, str]]:
    """Split ``title`` into (text, slot) pieces at known words, longest words first."""
    known = sorted(
        ((w, slot) for key, slot in _SLOT_LISTS for w in library.words.get(key, ()) if w),
        key=lambda ws: -len(ws[0]),
    )
    pieces: list[tuple[str, str]] = [(title, "")]
    used: set[str] = set()
    for word, slot in known:
        if slot in used and slot != "产品":
            continue
        split: list[tuple[str, str]] = []
        for text, got in pieces:
            if got or word not in text:
                split.append((text, got))
                continue
            parts = text.split(word)
            for n, part in enumerate(parts):
                if part:
                    split.append((part, ""))
                if n < len(parts) - 1:
                    split.append((word, slot))
            used.add(slot)
        pieces = split
    return pieces


def _tag(text: str) -> list[tuple[str, str]]:
    from indexer import get_segmenter

    return get_segmenter().tag(text)


def _as_int(number: str) -> int:
    if number[0].isdigit():
        return int(float(number))
    if number == "十":
        return 10
    if number.startswith("十"):
        return 10 + _CHINESE_DIGITS.get(number[1:], 0)
    if "十" in number:
        tens, _, ones = number.partition("十")
        return _CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(ones, 0)
    return _CHINESE_DIGITS.get(number[0], 3)
