"""What the company's own posts teach about meaning, learnt at build time (latent semantic analysis).

Each post's title, tags, summary and opening (LEAD_CHARS) become a TF-IDF vector of its words; a truncated SVD
of that matrix places words and posts in one space of ``DIMENSIONS`` "topics", so words used in the
same kinds of posts (私域, 社群, 复购) land near each other even if no dictionary links them, and a
post lands near the words of its topic even where it does not use them. The index learns its own
vocabulary as content grows; nothing is downloaded.

Learnt from *public* posts only: a client's query is never widened by words that only internal
posts use. Internal posts are folded into the same space (so employees get the same channel); the
searcher's audience view still decides who sees which post.

Stored in the generation as ``semantic.npz`` (plain arrays, no pickles): the vocabulary, word vectors,
document vectors by Whoosh document number, and the idf used for queries.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.text import fold

log = logging.getLogger(__name__)

FILE = "semantic.npz"
DIMENSIONS = 64
DIMENSION_SHARE = 0.5  # and at most this share of the public documents (a small corpus has fewer topics)
MIN_DOCS = 40  # under this many public posts there is nothing to learn from
MIN_DF, MAX_DF_SHARE = 2, 0.25  # words in one post say nothing about others; very common words, nothing at all
MIN_VOCABULARY, MAX_VOCABULARY = 20, 30_000
LEAD_CHARS = 1600  # the opening of a post says what it is about; the rest costs build time (cutting words)
OVERSAMPLE, POWER_ITERATIONS = 10, 3  # randomized SVD (Halko et al.): plenty for a few dozen topics
_USEFUL = re.compile(r"^(?:[\u4e00-\u9fff]{2,8}|[a-z][a-z0-9+#.-]{1,20})$")


@dataclass
class SemanticModel:
    """Words and documents in one latent space (rows L2-normalised, float32)."""

    vocabulary: dict[str, int]
    words: np.ndarray  # V × k
    docs: np.ndarray  # docnum × k (zero rows: deleted or unknown documents)
    idf: np.ndarray  # V

    def vector(self, word: str) -> np.ndarray | None:
        i = self.vocabulary.get(word)
        return None if i is None else self.words[i]

    def neighbours(self, word: str, limit: int, threshold: float) -> list[tuple[str, float]]:
        """The words closest to ``word`` (cosine ≥ ``threshold``), closest first."""
        i = self.vocabulary.get(word)
        if i is None:
            return []
        sims = self.words @ self.words[i]
        sims[i] = -1.0
        top = np.argpartition(-sims, min(limit, len(sims) - 1))[:limit]
        names = self._names()
        found = [(names[j], float(sims[j])) for j in top if sims[j] >= threshold]
        return sorted(found, key=lambda x: -x[1])

    def query_vector(self, words: list[tuple[str, float]]) -> np.ndarray | None:
        """The weighted sum of the query words' vectors (by idf × weight), normalised; None if none is known."""
        total = np.zeros(self.words.shape[1], dtype=np.float32)
        for word, weight in words:
            i = self.vocabulary.get(word)
            if i is not None:
                total += self.words[i] * (self.idf[i] * weight)
        norm = float(np.linalg.norm(total))
        return total / norm if norm else None

    def _names(self) -> list[str]:
        names = getattr(self, "_name_list", None)
        if names is None:
            names = [""] * len(self.vocabulary)
            for word, i in self.vocabulary.items():
                names[i] = word
            self._name_list = names
        return names


def useful(word: str, stopwords: frozenset[str]) -> bool:
    return bool(_USEFUL.match(word)) and word not in stopwords


def learn(
    texts: list[str], public: list[bool], docnums: list[int | None], size: int, words_of, stopwords
) -> SemanticModel | None:
    """Learn from ``texts`` (one per document, in the order of ``public`` and ``docnums``)."""
    from scipy.sparse import csr_matrix

    bags = [Counter(w for w in words_of(fold(t[:LEAD_CHARS])) if useful(w, stopwords)) for t in texts]
    n_public = sum(public)
    if n_public < MIN_DOCS:
        return None
    df: Counter[str] = Counter()
    for bag, pub in zip(bags, public, strict=True):
        if pub:
            df.update(bag.keys())
    top = max(MIN_DF, int(MAX_DF_SHARE * n_public))
    kept = [w for w, n in df.most_common() if MIN_DF <= n <= top][:MAX_VOCABULARY]
    if len(kept) < MIN_VOCABULARY:
        return None
    vocabulary = {w: i for i, w in enumerate(kept)}
    idf = np.array([math.log((1 + n_public) / (1 + df[w])) + 1.0 for w in kept], dtype=np.float32)
    rows, cols, vals = [], [], []
    for r, bag in enumerate(bags):
        for w, tf in bag.items():
            i = vocabulary.get(w)
            if i is not None:
                rows.append(r)
                cols.append(i)
                vals.append((1.0 + math.log(tf)) * idf[i])
    matrix = csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(bags), len(kept)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = csr_matrix(matrix.multiply(1.0 / norms[:, None]))
    k = max(2, min(DIMENSIONS, int(n_public * DIMENSION_SHARE), n_public - 1, len(kept) - 1))
    pub_rows = np.flatnonzero(np.array(public))
    sigma, vt = _top_singular(matrix[pub_rows], k)
    basis = vt.T.astype(np.float32)  # V × k
    words = _normalise(basis * sigma.astype(np.float32))
    folded = _normalise(np.asarray(matrix @ basis, dtype=np.float32))  # every document, public or not
    docs = np.zeros((size, k), dtype=np.float32)
    for row, docnum in enumerate(docnums):
        if docnum is not None and docnum >= 0:
            docs[docnum] = folded[row]
    return SemanticModel(vocabulary, words, docs, idf)


def _top_singular(matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest singular values and right singular vectors, by randomized SVD (seeded, so a
    rebuild of the same content learns the same space); ARPACK took seconds on the same matrices."""
    rng = np.random.default_rng(0)
    sample = matrix @ rng.standard_normal((matrix.shape[1], k + OVERSAMPLE)).astype(np.float32)
    basis, _ = np.linalg.qr(sample)
    for _ in range(POWER_ITERATIONS):
        basis, _ = np.linalg.qr(matrix.T @ basis)
        basis, _ = np.linalg.qr(matrix @ basis)
    small = np.asarray((matrix.T @ basis).T)  # (k + oversample) × V
    _, sigma, vt = np.linalg.svd(small, full_matrices=False)
    return sigma[:k], vt[:k]


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (m / norms).astype(np.float32)


def save(model: SemanticModel | None, gen: Path) -> None:
    """Write the model into the generation (nothing when there was nothing to learn)."""
    if model is None:
        return
    names = np.array(list(model.vocabulary), dtype=str)
    with open(gen / FILE, "wb") as fh:
        np.savez(fh, vocabulary=names, words=model.words, docs=model.docs, idf=model.idf)


def load(gen: Path) -> SemanticModel | None:
    """The generation's model, or None (built before it existed, or too small a corpus)."""
    path = gen / FILE
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            names = [str(w) for w in data["vocabulary"]]
            return SemanticModel({w: i for i, w in enumerate(names)}, data["words"], data["docs"], data["idf"])
    except (OSError, ValueError, KeyError):
        log.exception("cannot read %s: searching without the semantic channel", path)
        return None
