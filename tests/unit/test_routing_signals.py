"""Confidence signals, checked against scipy and by hand; the learned scorer on a planted pattern."""

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from advisor.signals import (
    agreement,
    entropy_confidence,
    fit_learned_scorer,
    max_probability,
    probability_margin,
    token_logprob_confidence,
)

P = np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3], [2.0, 0.0, 0.0]])


def test_probability_signals() -> None:
    assert max_probability(P) == pytest.approx([0.7, 1 / 3, 1.0])
    assert probability_margin(P) == pytest.approx([0.5, 0.0, 1.0])
    h = stats.entropy(P[0]) / np.log(3)
    assert entropy_confidence(P) == pytest.approx([1 - h, 0.0, 1.0])
    with pytest.raises(ValueError, match="2-D"):
        max_probability(np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="non-negative"):
        entropy_confidence(np.array([[-0.1, 1.1]]))


def test_token_logprob_confidence() -> None:
    out = token_logprob_confidence([[np.log(0.5), np.log(0.5)], [np.log(0.9), np.log(0.1)], [0.0]])
    assert out == pytest.approx([0.5, np.sqrt(0.09), 1.0])
    with pytest.raises(ValueError, match="answer 0"):
        token_logprob_confidence([[]])


def test_agreement_share_of_other_models() -> None:
    out = agreement(["Yes", "No", None, "No"], [["Yes", "Yes", None, "No"], ["Yes", "No", "No", "Yes"]])
    assert out.tolist() == [1.0, 0.5, 0.0, 0.5]
    with pytest.raises(ValueError, match=r"others\[0\]"):
        agreement(["a"], [["a", "b"]])


def test_learned_scorer_finds_the_planted_failure_mode() -> None:
    rng = np.random.default_rng(0)
    words = ["contract", "appeal", "statute", "court", "holding", "motion", "plaintiff", "ruling"]

    def make(n: int) -> tuple[list[str], list[str], np.ndarray]:
        texts, answers, match = [], [], []
        for _ in range(n):
            hard = rng.uniform() < 0.3
            w = list(rng.choice(words, size=6))
            if hard:
                w.insert(int(rng.integers(0, 6)), "notwithstanding")
            ans = str(rng.choice(["Yes", "No"]))
            texts.append(" ".join(w))
            answers.append(ans)
            # the student fails on "notwithstanding" cases, and on 5% of the rest
            match.append(0.0 if hard and rng.uniform() < 0.9 else float(rng.uniform() > 0.05))
        return texts, answers, np.array(match)

    tr, te = make(600), make(400)
    scorer = fit_learned_scorer(*tr)
    score = scorer.score(te[0], te[1])
    assert score.shape == (400,) and ((0 <= score) & (score <= 1)).all()
    assert roc_auc_score(te[2], score) > 0.85
    const = fit_learned_scorer(["a", "b"], ["x", "y"], [1.0, 1.0])
    assert const.model is None and const.score(["c"], ["x"]).tolist() == [1.0]
