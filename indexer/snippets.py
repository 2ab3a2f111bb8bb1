"""Snippets around the matched words, found by plain substring search in the stored text.

Re-segmenting each hit to highlight it costs ~20 ms for five hits with jieba; the matched words
are already known from the query, so a case-insensitive `str.find` over the stored text is enough.
"""

from __future__ import annotations

WIDTH = 90  # characters: about two lines in WeChat


def make_snippet(
    text: str, words: list[str], width: int = WIDTH, primary: int = 0
) -> tuple[str, list[tuple[int, int]]]:
    """Return the window of ``text`` with the most distinct matched words, and their spans in it.

    The first ``primary`` words (the query's own) count double: a window showing what was typed
    beats one showing only synonyms or related terms.
    """
    if not text:
        return "", []
    haystack = text.lower()
    if len(haystack) != len(text):  # a few characters change length when lowercased
        haystack = text
    occurrences: list[tuple[int, int, int]] = []  # (start, end, word index)
    for wi, word in enumerate(w for w in words if w):
        start = haystack.find(word)
        while start != -1 and len(occurrences) < 400:
            occurrences.append((start, start + len(word), wi))
            start = haystack.find(word, start + len(word))
    if not occurrences:
        cut = text[:width].replace("\n", " ").strip()
        return (cut + "…" if len(text) > width else cut), []
    occurrences.sort()
    best_start, best_score = occurrences[0][0], -1
    counts: dict[int, int] = {}
    value = [2 if wi < primary else 1 for wi in range(len(words))]
    j = 0
    for i, (start, _, wi_start) in enumerate(occurrences):
        # two pointers: occurrences[i:j] are the ones that fit in a window opening at `start`
        while j < len(occurrences) and occurrences[j][1] <= start + width:
            counts[occurrences[j][2]] = counts.get(occurrences[j][2], 0) + 1
            j += 1
        score = sum(value[wi] for wi in counts)
        if score > best_score:
            best_start, best_score = start, score
        if j > i:
            counts[wi_start] -= 1
            if not counts[wi_start]:
                del counts[wi_start]
        else:
            j = i + 1
    lead = min(best_start, width // 4)
    begin = max(0, best_start - lead)
    end = min(len(text), begin + width)
    window = text[begin:end].replace("\n", " ")  # stored bodies keep their line breaks
    spans = _merge([(s - begin, e - begin) for s, e, _ in occurrences if s >= begin and e <= end])
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    spans = [(s + len(prefix), e + len(prefix)) for s, e in spans]
    return prefix + window + suffix, spans


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
