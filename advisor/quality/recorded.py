"""Scores recorded in the user's logs: per-example correctness without answer texts.

Some logs (RouteLLM's MMLU, for instance) keep only whether each model was right. Such a
model is scored from its recorded ``correct`` flag; the answers themselves stay unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import SampleIssue, SampleValidationError

CORRECT_KEY = "correct"


def _as_flag(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and value in (0, 1):
        return float(value)
    if isinstance(value, str) and value.strip().casefold() in ("true", "false", "1", "0"):
        return 1.0 if value.strip().casefold() in ("true", "1") else 0.0
    return None


def has_recorded_correctness(outputs: Iterable[tuple[Any, Mapping[str, Any]]]) -> bool:
    """True when every output has no answer text and a recorded ``correct`` flag."""
    seen = False
    for text, extra in outputs:
        seen = True
        if (text not in (None, "")) or CORRECT_KEY not in extra:
            return False
    return seen


def recorded_correctness(
    outputs: Sequence[tuple[Any, Mapping[str, Any]]], *, model: str, ids: Sequence[str]
) -> npt.NDArray[np.float64] | None:
    """Per-example recorded correctness (1/0), or None when the outputs carry answer texts.

    Args:
        outputs: ``(answer text, extra fields)`` per example.
        model: the model's name, for error messages.
        ids: example ids, aligned with ``outputs``, for error messages.

    Raises:
        SampleValidationError: a ``correct`` flag that is not true/false/0/1.
    """
    if not has_recorded_correctness(outputs):
        return None
    flags = []
    issues = []
    for sid, (_, extra) in zip(ids, outputs, strict=True):
        flag = _as_flag(extra[CORRECT_KEY])
        if flag is None:
            issues.append(SampleIssue(0, f"outputs.{model}.correct", f"sample '{sid}': expected true/false or 0/1"))
        flags.append(0.0 if flag is None else flag)
    if issues:
        raise SampleValidationError(f"recorded correctness of '{model}'", issues[:50])
    return np.asarray(flags, dtype=np.float64)
