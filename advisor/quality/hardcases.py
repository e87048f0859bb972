"""Hard cases: where the student loses against the teacher, and which teacher errors it copies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .stats import bootstrap_gap_table, is_binary

ExampleKind = Literal["lost", "copied", "corrected"]
_MAX_CLASS_GROUPS = 6
_INPUT_CHARS = 240


@dataclass(frozen=True)
class GroupGap:
    """Student and teacher on one group of examples."""

    name: str
    n: int
    student: float
    teacher: float
    gap: float
    ci: tuple[float, float]


@dataclass(frozen=True)
class ErrorTransfer:
    """What the student does where the teacher is wrong against the reference."""

    teacher_errors: int
    copied: int
    """Teacher wrong and student wrong too."""
    copied_same_answer: int | None
    """Of ``copied``, the student gave the teacher's very answer (None when answers are unknown)."""
    corrected: int
    """Teacher wrong, student right."""
    new_errors: int
    """Teacher right, student wrong."""

    @property
    def copy_rate(self) -> float | None:
        """Share of teacher errors the student also makes."""
        return self.copied / self.teacher_errors if self.teacher_errors else None


@dataclass(frozen=True)
class HardCaseExample:
    """One example shown in the report."""

    id: str
    slice: str
    kind: ExampleKind
    input: str
    reference: Any
    teacher: Any
    student: Any


@dataclass(frozen=True)
class HardCases:
    """A student's gap along input length, teacher confidence and class frequency."""

    by_input_length: list[GroupGap]
    by_teacher_confidence: list[GroupGap]
    by_class_frequency: list[GroupGap]
    errors: ErrorTransfer | None
    examples: list[HardCaseExample]


def quantile_bins(values: npt.ArrayLike, n_bins: int) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Codes ``0..k-1`` of the quantile bin of each value, and each bin's ``[lo, hi]`` label.

    Right-closed bins cut at the ``1/n_bins`` quantiles; tied cut points merge bins, so ``k`` may be
    smaller than ``n_bins``. Every bin is non-empty.
    """
    x = np.asarray(values, dtype=np.float64)
    inner = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1]))
    raw = np.searchsorted(inner, x, side="left")  # right-closed bins, as pandas.qcut
    used, codes = np.unique(raw, return_inverse=True)
    labels = []
    for k in range(used.size):
        member = x[codes == k]
        labels.append(f"[{member.min():.6g}, {member.max():.6g}]")
    return codes.astype(np.int64), labels


def _group_gaps(
    student: npt.NDArray[np.float64],
    teacher: npt.NDArray[np.float64],
    codes: npt.NDArray[np.int64],
    names: Sequence[str],
    rng: np.random.Generator,
    n_boot: int,
    confidence: float,
) -> list[GroupGap]:
    table = bootstrap_gap_table(student, teacher, codes, rng, n_groups=len(names), n_boot=n_boot, confidence=confidence)
    out = []
    for j, name in enumerate(names):
        mk = codes == j
        out.append(
            GroupGap(
                name,
                int(mk.sum()),
                float(student[mk].mean()),
                float(teacher[mk].mean()),
                float(table.gap[0, j]),
                (float(table.low[0, j]), float(table.high[0, j])),
            )
        )
    return out


def _class_groups(references: Sequence[Any]) -> tuple[npt.NDArray[np.int64], list[str]]:
    """Per class when there are few classes, else classes pooled in frequency terciles."""
    keys = [str(r) for r in references]
    freq = Counter(keys)
    ordered = sorted(freq, key=lambda k: (freq[k], k))
    if len(ordered) <= _MAX_CLASS_GROUPS:
        index = {k: i for i, k in enumerate(ordered)}
        names = [f"{k} (n={freq[k]})" for k in ordered]
        return np.array([index[k] for k in keys], dtype=np.int64), names
    thirds = np.array_split(np.arange(len(ordered)), 3)
    tier = {}
    names = []
    for j, (label, part) in enumerate(zip(("rare", "middle", "common"), thirds, strict=True)):
        members = [ordered[i] for i in part]
        tier.update(dict.fromkeys(members, j))
        names.append(f"{label} classes ({len(members)} classes, {freq[members[0]]}-{freq[members[-1]]} each)")
    return np.array([tier[k] for k in keys], dtype=np.int64), names


def analyse_hard_cases(
    student: npt.ArrayLike,
    teacher: npt.ArrayLike,
    rng: np.random.Generator,
    *,
    ids: Sequence[str],
    slices: Sequence[str],
    inputs: Sequence[str],
    references: Sequence[Any] | None = None,
    student_answers: Sequence[Any] | None = None,
    teacher_answers: Sequence[Any] | None = None,
    teacher_confidence: Sequence[float] | None = None,
    gold_based: bool = True,
    group_by_class: bool = True,
    n_bins: int = 4,
    n_boot: int = 2000,
    confidence: float = 0.95,
    max_examples: int = 5,
) -> HardCases:
    """Where the student loses: by input length, teacher confidence and class frequency.

    Teacher errors copied or corrected need right/wrong outcomes: with continuous scores
    (e.g. chrF) ``errors`` is None and the examples listed are the largest losses.

    Args:
        student: ``(n,)`` per-example student scores (1 = right, or continuous in [0, 1]).
        teacher: ``(n,)`` per-example teacher scores.
        rng: the random generator (bootstrap CIs, choice of examples).
        ids: example ids.
        slices: slice of each example.
        inputs: input text of each example (its length in characters is binned).
        references: gold answers (groups by class frequency when given).
        student_answers: the student's answers, when known.
        teacher_answers: the teacher's answers, when known.
        teacher_confidence: the teacher's confidence per example, when it gives one.
        gold_based: scores are against a reference (teacher errors exist); False when the
            scores are agreement with the teacher.
        group_by_class: group by the frequency of the reference (classification); False
            when references are free-form (extraction, generation).
        n_bins: quantile bins for length and confidence.
        n_boot: bootstrap resamples.
        confidence: CI level.
        max_examples: examples listed per kind.
    """
    s = np.asarray(student, dtype=np.float64)
    t = np.asarray(teacher, dtype=np.float64)
    n = s.size
    if not (t.size == n == len(ids) == len(slices) == len(inputs)):
        raise ValueError("scores, ids, slices and inputs must be aligned")

    def gaps(codes: npt.NDArray[np.int64], names: Sequence[str]) -> list[GroupGap]:
        return _group_gaps(s, t, codes, names, rng, n_boot, confidence)

    lengths = np.array([len(x) for x in inputs], dtype=np.float64)
    by_len = gaps(*quantile_bins(lengths, n_bins))
    by_conf: list[GroupGap] = []
    if teacher_confidence is not None:
        by_conf = gaps(*quantile_bins(np.asarray(teacher_confidence, dtype=np.float64), n_bins))
    by_class: list[GroupGap] = []
    if references is not None and gold_based and group_by_class:
        by_class = gaps(*_class_groups(references))

    errors = None
    binary = is_binary(s, t)
    s_ok, t_ok = s > 0.5, t > 0.5
    if gold_based and binary:
        both_wrong = ~s_ok & ~t_ok
        same = None
        if student_answers is not None and teacher_answers is not None:
            same = int(
                sum(
                    1
                    for i in (int(x) for x in np.flatnonzero(both_wrong))
                    if student_answers[i] is not None and student_answers[i] == teacher_answers[i]
                )
            )
        errors = ErrorTransfer(
            teacher_errors=int((~t_ok).sum()),
            copied=int(both_wrong.sum()),
            copied_same_answer=same,
            corrected=int((s_ok & ~t_ok).sum()),
            new_errors=int((~s_ok & t_ok).sum()),
        )

    kinds: list[tuple[ExampleKind, npt.NDArray[np.bool_]]] = [("lost", ~s_ok & t_ok if binary else s < t)]
    if gold_based and binary:
        kinds += [("copied", ~s_ok & ~t_ok), ("corrected", s_ok & ~t_ok)]
    examples = []
    for kind, mask in kinds:
        where = np.flatnonzero(mask)
        if binary:
            chosen = np.sort(rng.permutation(where)[:max_examples])
        else:  # the largest losses, in example order
            chosen = np.sort(where[np.argsort(s[where] - t[where], kind="stable")[:max_examples]])
        for i in (int(x) for x in chosen):
            text = inputs[i]
            examples.append(
                HardCaseExample(
                    id=ids[i],
                    slice=slices[i],
                    kind=kind,
                    input=text if len(text) <= _INPUT_CHARS else text[: _INPUT_CHARS - 1] + "…",
                    reference=None if references is None else references[i],
                    teacher=None if teacher_answers is None else teacher_answers[i],
                    student=None if student_answers is None else student_answers[i],
                )
            )
    return HardCases(by_len, by_conf, by_class, errors, examples)
