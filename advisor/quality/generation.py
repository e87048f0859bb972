"""Generation scoring: chrF, ROUGE-L and embedding cosine similarity to a reference."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Encoder = Callable[[list[str]], npt.NDArray[np.float64]]


def chrf(hypothesis: str, reference: str) -> float:
    """Sentence chrF (sacrebleu defaults: character 6-grams, beta 2), scaled to [0, 1]."""
    from sacrebleu.metrics.chrf import CHRF

    return float(CHRF().sentence_score(hypothesis, [reference]).score / 100.0)


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of lower-cased whitespace tokens."""
    h, r = hypothesis.lower().split(), reference.lower().split()
    if not h or not r:
        return float(h == r)
    lcs = _lcs(h, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(h), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def cosine_rows(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Cosine similarity of matching rows of ``a`` and ``b`` (0 where a row is all zeros)."""
    x = np.atleast_2d(np.asarray(a, dtype=np.float64))
    y = np.atleast_2d(np.asarray(b, dtype=np.float64))
    if x.shape != y.shape:
        raise ValueError("a and b must have the same shape")
    norms = np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)
    dots = np.einsum("ij,ij->i", x, y)
    return np.asarray(np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0), dtype=np.float64)


def embedding_similarity(
    hypotheses: Sequence[str], references: Sequence[str], encode: Encoder
) -> npt.NDArray[np.float64]:
    """Per-pair cosine similarity of sentence embeddings (e.g. MiniLM's ``encode``)."""
    if len(hypotheses) != len(references):
        raise ValueError("hypotheses and references must have the same length")
    return cosine_rows(encode(list(hypotheses)), encode(list(references)))
