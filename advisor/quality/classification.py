"""Classification scoring: label parsing, accuracy against gold, agreement with the teacher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


def parse_label(text: str | None, labels: Sequence[str], mode: str = "exact") -> str | None:
    """The label an output text names, or None when it names none.

    ``exact``: the whole text equals a label (case and surrounding space ignored).
    ``first_label``: the text starts with a label (the longest such label wins).
    """
    if text is None:
        return None
    t = text.strip().casefold()
    by_fold = {lab.casefold(): lab for lab in labels}
    if t in by_fold:
        return by_fold[t]
    if mode == "first_label":
        for folded in sorted(by_fold, key=len, reverse=True):
            if t.startswith(folded):
                return by_fold[folded]
    return None


@dataclass(frozen=True)
class LabelScores:
    """Per-example outcomes of one model (aligned with the evaluation samples)."""

    predicted: tuple[str | None, ...]
    correct: npt.NDArray[np.float64]
    """1.0 where the prediction equals the reference (unparsed counts as wrong)."""
    agree: npt.NDArray[np.float64]
    """1.0 where the prediction equals the teacher's."""
    recorded: bool = False
    """True when ``correct`` comes from correctness recorded in the logs (no answer texts)."""

    @property
    def accuracy(self) -> float:
        """Share of examples predicted correctly."""
        return float(self.correct.mean())

    @property
    def agreement(self) -> float:
        """Share of examples where the model agrees with the teacher."""
        return float(self.agree.mean())

    @property
    def unparsed(self) -> int:
        """Outputs that named no label (none when scored from recorded correctness)."""
        return 0 if self.recorded else sum(p is None for p in self.predicted)


def score_labels(
    predicted: Sequence[str | None],
    references: Sequence[str | None],
    teacher: Sequence[str | None],
) -> LabelScores:
    """Score predictions against references and against the teacher's predictions."""
    if not len(predicted) == len(references) == len(teacher):
        raise ValueError("predicted, references and teacher must have the same length")
    pred = tuple(predicted)
    correct = np.array([p is not None and p == r for p, r in zip(pred, references, strict=True)], dtype=float)
    agree = np.array([p is not None and p == t for p, t in zip(pred, teacher, strict=True)], dtype=float)
    return LabelScores(pred, correct, agree)


def macro_f1(predicted: Sequence[str | None], references: Sequence[str | None], labels: Sequence[str]) -> float:
    """Unweighted mean over ``labels`` of per-class F1 (a class never predicted nor present: 0).

    Unparsed predictions (None) count as wrong: a missed reference, no false positive.
    """
    if len(predicted) != len(references):
        raise ValueError("predicted and references must have the same length")
    if not labels:
        raise ValueError("macro_f1 needs at least one label")
    f1 = []
    for lab in labels:
        tp = sum(p == lab and r == lab for p, r in zip(predicted, references, strict=True))
        fp = sum(p == lab and r != lab for p, r in zip(predicted, references, strict=True))
        fn = sum(p != lab and r == lab for p, r in zip(predicted, references, strict=True))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(f1))
