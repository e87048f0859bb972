"""Per-example scores of one model by task type, against gold or against the teacher's output.

Every task type yields the same shape, :class:`ModelScores`: a per-example quality score (0/1
or continuous in [0, 1]) that the gap statistics take as they are, the same metric against the
teacher's output (agreement, or fidelity), and the model's canonical answers (to compare
answers, e.g. which teacher errors a student copies).

Without gold, quality *is* fidelity to the teacher: each model is scored against the
teacher's output, the teacher included (1 wherever its own output parses / is not empty).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import SampleIssue, SampleValidationError
from . import extraction, generation, short_answer
from .classification import LabelScores

FloatArray = npt.NDArray[np.float64]
TaskType = Literal["classification", "extraction", "short_answer", "generation"]
PairScorer = Callable[[Any, Any], float]

METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy",),
    "extraction": ("exact_match", "field_f1"),
    "short_answer": ("exact_match", "numeric_match"),
    "generation": ("chrf", "rouge_l", "embedding", "judge"),
}
"""Metrics per task type; the first is the default."""


def default_metric(task_type: str) -> str:
    """The metric a task type uses when the spec names none."""
    return METRICS[task_type][0]


@dataclass(frozen=True)
class ModelScores:
    """One model's per-example outcomes on the evaluation examples (aligned with them)."""

    answers: tuple[Any, ...]
    """Canonical answer per example (label, slot set, normalised answer, text); None: unparsed."""
    score: FloatArray
    """Quality per example: against gold, or against the teacher's output when there is none."""
    agree: FloatArray
    """The same metric against the teacher's output."""
    unparsed: int = 0
    """Outputs with no answer in them (no label, no JSON object, no number, empty text)."""
    recorded: bool = False
    """True when ``score`` is correctness recorded in the logs (no answer texts)."""

    @property
    def quality(self) -> float:
        """Mean score."""
        return float(self.score.mean())

    @property
    def agreement(self) -> float:
        """Mean score against the teacher's output."""
        return float(self.agree.mean())

    @property
    def binary(self) -> bool:
        """True when every score is 0 or 1."""
        return bool(np.isin(self.score, (0.0, 1.0)).all())

    @classmethod
    def from_labels(cls, labels: LabelScores) -> ModelScores:
        """Classification outcomes (accuracy and agreement) in the common shape."""
        return cls(labels.predicted, labels.correct, labels.agree, labels.unparsed, labels.recorded)


def canonical_answer(task_type: str, metric: str, output: Any) -> Any:
    """The answer an output gives, in a form where equal answers compare equal; None if none.

    extraction: the slot set as sorted JSON; short_answer: the normalised answer (the number
    for ``numeric_match``); generation: the stripped text.
    """
    if task_type == "extraction":
        fields = extraction.parse_fields(output)
        return None if fields is None else json.dumps(fields, sort_keys=True)
    if task_type == "short_answer":
        if metric == "numeric_match":
            return short_answer.extract_number(output)
        return short_answer.normalize_answer(output) or None
    if task_type == "generation":
        return None if output is None else (str(output).strip() or None)
    raise ValueError(f"no canonical answer for task type '{task_type}'")


def _field_f1_or_zero(predicted: Any, reference: Any) -> float:
    """Field F1, 0 when the reference (a teacher output) holds no JSON object."""
    if extraction.parse_fields(reference) is None:
        return 0.0
    return extraction.field_f1(predicted, reference)


def _chrf_scorer() -> PairScorer:
    from sacrebleu.metrics.chrf import CHRF

    chrf = CHRF()
    return lambda h, r: float(chrf.sentence_score(str(h), [str(r)]).score / 100.0)


def pair_scorer(task_type: str, metric: str) -> PairScorer:
    """``score(output, reference) -> [0, 1]`` for the metrics computed here, one pair at a time.

    Raises:
        ValueError: a metric that is not scored pairwise here (embedding, judge) or unknown.
    """
    if task_type == "extraction":
        if metric == "exact_match":
            return extraction.exact_match
        if metric == "field_f1":
            return _field_f1_or_zero
    if task_type == "short_answer":
        if metric == "exact_match":
            return short_answer.exact_match
        if metric == "numeric_match":
            return short_answer.numeric_match
    if task_type == "generation":
        if metric == "chrf":
            return _chrf_scorer()
        if metric == "rouge_l":
            return lambda h, r: generation.rouge_l(str(h), str(r))
    raise ValueError(f"'{metric}' is not a pairwise metric of task type '{task_type}'")


def check_references(task_type: str, metric: str, references: Sequence[Any], ids: Sequence[str]) -> None:
    """Check that every gold reference can be scored against.

    Raises:
        SampleValidationError: naming each sample whose reference holds no slot object
            (extraction) or no number (``numeric_match``).
    """
    issues = []
    for sid, ref in zip(ids, references, strict=True):
        if task_type == "extraction" and extraction.parse_fields(ref) is None:
            issues.append(SampleIssue(0, "reference", f"sample '{sid}': expected a JSON object of slots"))
        elif metric == "numeric_match" and short_answer.extract_number(ref) is None:
            issues.append(SampleIssue(0, "reference", f"sample '{sid}': holds no number"))
    if issues:
        raise SampleValidationError(f"references for {task_type} ({metric})", issues[:50])


def scores_from_values(
    task_type: str, metric: str, outputs: Sequence[Any], score: npt.ArrayLike, agree: npt.ArrayLike
) -> ModelScores:
    """Common shape from per-example scores computed elsewhere (embeddings, a judge).

    An output with no answer in it scores 0 on both.
    """
    answers = tuple(canonical_answer(task_type, metric, o) for o in outputs)
    missing = np.array([a is None for a in answers], dtype=bool)
    s = np.where(missing, 0.0, np.asarray(score, dtype=np.float64))
    a = np.where(missing, 0.0, np.asarray(agree, dtype=np.float64))
    return ModelScores(answers, s, a, int(missing.sum()))


def score_outputs(
    task_type: str,
    metric: str,
    outputs: Sequence[Any],
    references: Sequence[Any] | None,
    teacher: Sequence[Any],
    *,
    encode: generation.Encoder | None = None,
) -> ModelScores:
    """Score one model's outputs against the references (or the teacher's outputs) and the teacher.

    Args:
        task_type: extraction, short_answer or generation.
        metric: one of ``METRICS[task_type]`` except ``judge`` (scored with a backend).
        outputs: the model's output per example.
        references: gold per example, or None to score against the teacher's outputs.
        teacher: the teacher's output per example.
        encode: sentence encoder (texts -> vectors) for ``embedding``; cosine similarities
            below 0 count as 0.

    Raises:
        ValueError: misaligned inputs, ``judge``, or ``embedding`` without an encoder.
    """
    refs = list(teacher) if references is None else list(references)
    if not len(outputs) == len(refs) == len(teacher):
        raise ValueError("outputs, references and teacher outputs must be aligned")
    if metric == "embedding":
        if encode is None:
            raise ValueError("the embedding metric needs an encoder")
        hyp = ["" if o is None else str(o) for o in outputs]
        sim = generation.embedding_similarity(hyp, [str(r) for r in refs], encode)
        agree = sim if references is None else generation.embedding_similarity(hyp, [str(t) for t in teacher], encode)
        return scores_from_values(task_type, metric, outputs, np.clip(sim, 0.0, 1.0), np.clip(agree, 0.0, 1.0))
    fn = pair_scorer(task_type, metric)
    score = np.array([fn(o, r) for o, r in zip(outputs, refs, strict=True)], dtype=np.float64)
    agree_arr = score if references is None else np.array([fn(o, t) for o, t in zip(outputs, teacher, strict=True)])
    return scores_from_values(task_type, metric, outputs, score, agree_arr)
