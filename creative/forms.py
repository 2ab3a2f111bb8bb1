"""The five forms of the share kit, each within its platform's limits (``creative.kit`` holds them).

Every function takes the prepared ``Material`` and returns copy plus the document sentences it
quoted. Sentences are used whole or not at all; what we write around them (hooks, calls to action)
are short fixed phrases filled with a title part or a tag, never a piece of a sentence.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from creative import weibo as weibo_count
from creative.text import FIGURE, length

if TYPE_CHECKING:
    from creative.kit import Beat, Material

CIRCLED = "①②③④⑤⑥"
SPEECH_RATE = 5  # 字 a second: a brisk short-video voice-over (about 300 字 a minute)
VISUAL_SECONDS = 4  # a beat that is shown, not said
_MAJOR = re.compile(r"\s*[：:｜|]\s*|\s+[—–-]+\s+|——")
_MINOR = re.compile(r"\s*[，,、；;]\s*")
_TAG_JUNK = re.compile(r"[#\s【】\[\]]+")


def clean_tag(tag: str) -> str:
    """A tag as a 话题/hashtag: no spaces or # marks, 2 to 16 characters, else dropped."""
    tag = _TAG_JUNK.sub("", tag or "")
    return tag if 1 < len(tag) <= 16 else ""


def title_parts(title: str) -> tuple[list[str], list[str]]:
    """The title's major parts (split at ：｜—) and the phrases inside them (split at ，、)."""
    major = [p.strip() for p in _MAJOR.split(title) if p and p.strip()]
    minor = [q.strip() for p in major for q in _MINOR.split(p) if q.strip()]
    return major, minor


def short_title(m: Material, limit: int) -> str:
    """The title, or whole parts of it, within ``limit`` characters (never a word cut in half)."""
    if length(m.title) <= limit:
        return m.title
    major, minor = title_parts(m.title)
    head = major[0] if major else ""
    rest = [p for p in minor if p != head]
    with_figure = [p for p in rest if FIGURE.search(p)]
    if m.case:  # "蜀香阁火锅：周末翻台率提升 18%": the client and the result
        candidates = [f"{head}：{p}" for p in with_figure] + with_figure + [f"{head}：{p}" for p in rest]
    else:
        candidates = [head] + [f"{head}：{p}" for p in rest]
    for option in [*candidates, *major, *minor]:
        if 4 <= length(option) <= limit:
            return option
    tag = next((t for t in m.tags + m.keywords if length(t) <= limit - 5), "")
    return f"{tag}｜{m.kind_name}分享" if tag else f"{m.kind_name}分享"


def moments(m: Material, link: str) -> tuple[str, list[str]]:
    """朋友圈: a hook, the one fact that matters (a second if both are short), the link: ≤ 4 lines."""
    from creative.kit import MOMENTS_LINE_CHARS

    title = m.title if length(m.title) <= 50 else short_title(m, 50)
    if title.endswith(("？", "?")):
        hook = title
    elif m.case:
        hook = m.pick(("分享一个案例：{}", "最近的一个案例：{}", "{}｜案例拆解")).format(title)
    else:
        hook = m.pick(("推荐一篇：{}", "值得一读：{}", "{}｜新文章")).format(title)
    facts = m.facts(MOMENTS_LINE_CHARS, 2)
    if len(facts) == 2 and length(facts[0]) + length(facts[1]) > 80:
        facts = facts[:1]
    return "\n".join([hook, *facts, f"全文：{link}"]), facts


def topics(m: Material) -> list[str]:
    """1–3 微博 #话题#: the document's tags, else its key words, else its kind."""
    words = m.tags[:3] or m.keywords[:2]
    return [f"#{w}#" for w in words] or [f"#{m.kind_name}分享#"]


def weibo(m: Material, link: str) -> tuple[str, list[str]]:
    """微博: #话题#, 【title】, whole sentences while they fit, the link; ≤ 140 字 as 微博 counts."""
    tags = topics(m)
    facts = m.facts(80, 3)
    for title in dict.fromkeys((m.title, short_title(m, 40), short_title(m, 20))):
        for n_tags in range(len(tags), 0, -1):
            for n_facts in range(len(facts), -1, -1):
                text = f"{' '.join(tags[:n_tags])} 【{title}】{''.join(facts[:n_facts])} {link}"
                if weibo_count.fits(text):
                    return text, facts[:n_facts]
    return f"{tags[0]} {link}", []


def xhs_title(m: Material) -> str:
    """小红书 title: at most 20 characters, from whole title parts."""
    return short_title(m, 20)


def xhs_points(m: Material) -> list[str]:
    """3–5 short points: the best short sentences in document order (then plain facts about it)."""
    points = m.best(60, 5)
    if len(points) < 3:
        points = m.best(90, 5)
    points = m.in_order(points)
    extras = [
        f"主题：{m.title}" if length(m.title) <= 80 else "",
        f"关键词：{'、'.join((m.tags + m.keywords)[:4])}" if m.tags or m.keywords else "",
        f"来自{m.company}的{m.kind_name}" if m.company else "",
        "完整内容见原文",
    ]
    for extra in extras:
        if len(points) >= 3:
            break
        if extra:
            points.append(extra)
    return points[:5]


def xhs_tags(m: Material) -> list[str]:
    """3–6 tags: the document's own, its key words if too few, then general ones for its kind."""
    tags = m.tags[:6]
    generic = ["营销案例", "案例拆解", "品牌营销"] if m.case else ["干货分享", "营销知识", "运营笔记"]
    for extra in [*m.keywords[:2], clean_tag(m.company), *generic]:
        if len(tags) >= 3:
            break
        if extra and extra not in tags:
            tags.append(extra)
    return tags


def video(m: Material) -> tuple[list[Beat], list[str]]:
    """A 15–30 s outline: a 3-second hook, three beats, a call to action, timed at 5 字 a second."""
    from creative.kit import HOOK_SECONDS, VIDEO_SECONDS, Beat

    cta = _call_to_action(m)
    cta_seconds = _seconds(cta, 3)
    budget = VIDEO_SECONDS[1] - HOOK_SECONDS - cta_seconds
    chosen: list[str] = []
    used = 0
    for sentence in dict.fromkeys(m.candidates(60)):
        seconds = _seconds(sentence, VISUAL_SECONDS)
        if used + seconds + VISUAL_SECONDS * (2 - len(chosen)) <= budget:
            chosen.append(sentence)
            used += seconds
            if len(chosen) == 3:
                break
    chosen = m.in_order(chosen)
    visuals = [f"画面：标题字幕「{short_title(m, 20)}」", "画面：关键数字放大特写", "画面：现场或产品实拍"]
    script = [Beat(0, HOOK_SECONDS, "开场", _hook(m))]
    clock = HOOK_SECONDS
    for n in range(3):
        spoken = n < len(chosen)
        text = chosen[n] if spoken else visuals[n]
        seconds = _seconds(text, VISUAL_SECONDS) if spoken else VISUAL_SECONDS
        script.append(Beat(clock, clock + seconds, f"要点{CIRCLED[n]}", text, spoken))
        clock += seconds
    script.append(Beat(clock, clock + cta_seconds, "结尾", cta))
    return script, chosen


def _seconds(text: str, least: int) -> int:
    return max(least, math.ceil(length(text) / SPEECH_RATE))


def _hook(m: Material) -> str:
    """At most 15 characters (3 seconds at 5 字 a second): a question or a promise about the point."""
    limit = 3 * SPEECH_RATE
    if m.title.endswith(("？", "?")) and length(m.title) <= limit:
        return m.title
    major, minor = title_parts(m.title)
    if m.case:  # a result first, then the client
        phrases = sorted(dict.fromkeys([*minor, *major, *m.tags]), key=lambda p: not FIGURE.search(p))
    else:  # the topic: a whole title part, else a tag
        phrases = list(dict.fromkeys([*major, *m.tags, *minor]))
    phrases = [p for p in (p.removeprefix("关于") for p in phrases) if 2 <= length(p) <= 10]
    if m.case:
        templates = ("{}，怎么做到的？", "看这个案例：{}", "{}，是这样做的")
    else:
        templates = ("{}，你做对了吗？", "30秒讲清{}", "关于{}，说三点")
    for phrase in phrases:
        for template in dict.fromkeys((m.pick(templates), *templates)):
            hook = template.format(phrase)
            if length(hook) <= limit:
                return hook
    return "三点讲清这个案例" if m.case else "三点讲清这件事"


def _call_to_action(m: Material) -> str:
    if m.case:
        options = ["想看完整案例，点主页链接。", "做法细节都在主页链接里。"]
    else:
        options = ["完整内容在主页链接里。", "有用就收藏，全文见主页。"]
    if m.company and length(f"关注{m.company}，看更多{m.kind_name}。") <= 15:
        options.append(f"关注{m.company}，看更多{m.kind_name}。")
    return m.pick(options)


def message(m: Material, link: str) -> tuple[str, list[str]]:
    """A one-line private message to a client: the title, one fact if it fits, the link."""
    from creative.kit import MESSAGE_CHARS

    who = f"{m.company}的" if m.company else "我们的"
    title = m.title if length(m.title) <= 40 else short_title(m, 40)
    title = f"「{title}」" if "《" in title else f"《{title}》"
    lead = f"您好，分享一个{who}案例{title}" if m.case else f"您好，这篇{who}文章{title}可能对您有用"
    for fact in m.facts(70, 3):
        line = f"{lead}：{fact}详情："
        if length(line) <= MESSAGE_CHARS:
            return f"{line}{link}", [fact]
    return f"{lead}，详情：{link}", []
