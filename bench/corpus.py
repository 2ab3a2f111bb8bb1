"""Deterministic generated Chinese corpora for benchmarks: words drawn from jieba's dictionary by frequency."""

from __future__ import annotations

import bisect
import itertools
import random
from pathlib import Path

PUNCT = "，，，。。、；！？"


class WordSampler:
    """Draw words with jieba's dictionary frequencies (the 60,000 most frequent words)."""

    def __init__(self, seed: int = 42, size: int = 60000):
        import jieba

        path = Path(jieba.__file__).parent / "dict.txt"
        rows = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                word, freq, *_ = line.split()
                if not word.isascii():
                    rows.append((int(freq), word))
        rows.sort(reverse=True)
        rows = rows[:size]
        self.words = [w for _, w in rows]
        self.cumulative = list(itertools.accumulate(f for f, _ in rows))
        self.rng = random.Random(seed)

    def word(self) -> str:
        return self.words[bisect.bisect(self.cumulative, self.rng.random() * self.cumulative[-1])]

    def rare_word(self) -> str:
        """A word from the middle of the distribution: what a title or query is made of."""
        return self.words[self.rng.randrange(200, len(self.words) // 3)]

    def sentence(self, n_words: int) -> str:
        return "".join(self.word() for _ in range(n_words))

    def body(self, chars: int = 800) -> str:
        out, length = [], 0
        while length < chars:
            part = self.sentence(self.rng.randint(5, 12)) + self.rng.choice(PUNCT)
            out.append(part)
            length += len(part)
        return "".join(out)


def write_corpus(target: Path, n_docs: int, seed: int = 42) -> Path:
    """Write ``n_docs`` Jekyll posts of ~800 characters into ``target``/_posts (skip if present)."""
    posts = target / "_posts"
    marker = target / f".complete-{n_docs}-{seed}"
    if marker.exists():
        return target
    posts.mkdir(parents=True, exist_ok=True)
    sampler = WordSampler(seed)
    for i in range(n_docs):
        title = "".join(sampler.rare_word() for _ in range(sampler.rng.randint(2, 4)))
        tags = ", ".join(sampler.rare_word() for _ in range(3))
        year, month, day = 2015 + i % 10, 1 + i % 12, 1 + i % 28
        kind = "case" if i % 5 == 0 else "article"
        visibility = "internal" if i % 17 == 0 else "public"
        text = (
            f"---\ntitle: {title}\ntags: [{tags}]\nkind: {kind}\nvisibility: {visibility}\n---\n\n"
            f"{sampler.body()}\n\n{sampler.body(200)}\n"
        )
        (posts / f"{year}-{month}-{day}-post-{i}.md").write_text(text, encoding="utf-8")
    marker.touch()
    return target


def make_queries(n: int = 200, seed: int = 7) -> list[str]:
    """A fixed list of 1–3 word queries, mostly mid-frequency words as people search for topics."""
    sampler = WordSampler(seed)
    return ["".join(sampler.rare_word() for _ in range(sampler.rng.choice((1, 1, 2, 2, 3)))) for _ in range(n)]
