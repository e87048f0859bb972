"""Confidence signals (pure): how sure a cheap model's answer is, as a number in [0, 1].

A route keeps the cheap model's answer where the signal is at least a threshold and sends
the call on otherwise. Signals from the model itself (class probabilities, token
log-probabilities) need a model that reports them; two signals work without:

- :func:`agreement`: the share of other cheap models giving the same answer;
- :class:`LearnedScorer`: a small classifier on the input and the student's answer that
  predicts whether the student matches the teacher (or the gold answer).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _probs(probabilities: npt.ArrayLike) -> FloatArray:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError("probabilities must be a 2-D array (examples x classes) with at least 2 classes")
    if (p < 0).any():
        raise ValueError("probabilities must be non-negative")
    total = p.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        raise ValueError("every row of probabilities needs a positive sum")
    return np.asarray(p / total, dtype=np.float64)


def max_probability(probabilities: npt.ArrayLike) -> FloatArray:
    """The largest class probability of each row (rows are normalised to sum to 1)."""
    return np.asarray(_probs(probabilities).max(axis=1), dtype=np.float64)


def probability_margin(probabilities: npt.ArrayLike) -> FloatArray:
    """Top-1 minus top-2 class probability of each row, in [0, 1]."""
    p = np.sort(_probs(probabilities), axis=1)
    return np.asarray(p[:, -1] - p[:, -2], dtype=np.float64)


def entropy_confidence(probabilities: npt.ArrayLike) -> FloatArray:
    """``1 - H(p) / log(k)``: 1 for a one-hot row, 0 for the uniform distribution."""
    p = _probs(probabilities)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return np.asarray(np.clip(1.0 - h / np.log(p.shape[1]), 0.0, 1.0), dtype=np.float64)


def token_logprob_confidence(token_logprobs: Sequence[Sequence[float]]) -> FloatArray:
    """``exp(mean token log-probability)`` of each answer: the per-token geometric-mean probability."""
    out = np.empty(len(token_logprobs))
    for i, lp in enumerate(token_logprobs):
        a = np.asarray(lp, dtype=np.float64)
        if a.size == 0:
            raise ValueError(f"answer {i} has no token log-probabilities")
        if (a > 1e-9).any():
            raise ValueError(f"answer {i}: log-probabilities must be <= 0")
        out[i] = np.exp(min(float(a.mean()), 0.0))
    return out


def agreement(answers: Sequence[Hashable | None], others: Sequence[Sequence[Hashable | None]]) -> FloatArray:
    """Share of ``others`` (one answer list per other model) giving the same answer as ``answers``.

    A missing answer (None) agrees with nothing. With one other model the signal is 0 or 1.
    """
    if not others:
        raise ValueError("agreement needs at least one other model's answers")
    n = len(answers)
    for j, o in enumerate(others):
        if len(o) != n:
            raise ValueError(f"others[{j}] has {len(o)} answers; expected {n}")
    votes = np.zeros(n)
    for o in others:
        votes += np.array([a is not None and a == b for a, b in zip(answers, o, strict=True)], dtype=float)
    return np.asarray(votes / len(others), dtype=np.float64)


_N_FEATURES = 2**15


def _features(texts: Sequence[str], answers: Sequence[Hashable | None]) -> object:
    """Hashed word 1-2-grams of the input, the answer, and answer x word interactions."""
    from scipy import sparse
    from sklearn.feature_extraction.text import HashingVectorizer

    if len(texts) != len(answers):
        raise ValueError(f"{len(texts)} texts but {len(answers)} answers")
    vec = HashingVectorizer(n_features=_N_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm="l2", lowercase=True)
    words = vec.transform(list(texts))
    tags = [f"answer_is_{a!s}".replace(" ", "_") for a in answers]
    ans = vec.transform(tags)
    # interaction: the text's words seen together with the answer given
    inter = vec.transform(
        [" ".join(f"{t}__{w}" for w in str(x).lower().split()[:200]) for t, x in zip(tags, texts, strict=True)]
    )
    return sparse.hstack([words, ans, inter]).tocsr()


@dataclass(frozen=True)
class LearnedScorer:
    """A logistic-regression scorer of "the student's answer is right" (see :func:`fit_learned_scorer`)."""

    model: object | None
    """The fitted classifier; None when the training targets had a single value."""
    constant: float
    """The score returned for every example when ``model`` is None (the training base rate)."""
    n_train: int

    def score(self, texts: Sequence[str], answers: Sequence[Hashable | None]) -> FloatArray:
        """Predicted probability that each answer matches the target (teacher or gold)."""
        if self.model is None:
            return np.full(len(texts), self.constant, dtype=np.float64)
        proba = self.model.predict_proba(_features(texts, answers))  # type: ignore[attr-defined]
        return np.asarray(proba[:, 1], dtype=np.float64)


def fit_learned_scorer(
    texts: Sequence[str],
    answers: Sequence[Hashable | None],
    matches: npt.ArrayLike,
    *,
    c: float = 1.0,
    seed: int = 0,
) -> LearnedScorer:
    """Train a scorer predicting ``matches`` (1 where the student matched) from input and answer.

    Fit it on examples kept apart from those used to choose and check a threshold: its
    scores on its own training examples are optimistic.

    Args:
        texts: the inputs.
        answers: the student's answers (labels or short texts).
        matches: 1.0 where the student's answer matched the teacher's (or the gold answer).
        c: inverse L2 regularisation strength of the logistic regression.
        seed: seed of the solver.
    """
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(matches, dtype=np.float64)
    if y.shape != (len(texts),):
        raise ValueError(f"matches must have one value per text ({len(texts)}); got shape {y.shape}")
    if len(texts) == 0:
        raise ValueError("cannot fit a scorer on no examples")
    if np.unique(y).size < 2:
        return LearnedScorer(None, float(y.mean()), len(texts))
    model = LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000, random_state=seed)
    model.fit(_features(texts, answers), (y > 0.5).astype(int))
    return LearnedScorer(model, float(y.mean()), len(texts))
