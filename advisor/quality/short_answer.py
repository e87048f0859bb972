"""Short-answer scoring: normalised exact match and numeric match."""

from __future__ import annotations

import math
import re
import string
from typing import Any

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_FINAL = re.compile(r"####\s*(-?[\d,]*\.?\d+)")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


def normalize_answer(text: Any) -> str:
    """Lower-case, drop punctuation and articles, collapse spaces (the SQuAD normalisation)."""
    t = "" if text is None else str(text).lower()
    t = "".join(ch for ch in t if ch not in set(string.punctuation))
    return " ".join(_ARTICLES.sub(" ", t).split())


def exact_match(predicted: Any, reference: Any) -> float:
    """1.0 when the normalised answers are equal."""
    return float(predicted is not None and normalize_answer(predicted) == normalize_answer(reference))


def extract_number(text: Any) -> float | None:
    """The answer number in ``text``: after ``####`` when present (GSM8K style), else the last number."""
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    t = str(text)
    final = _FINAL.search(t)
    found = final.group(1) if final else (_NUMBER.findall(t) or [None])[-1]
    if found is None:
        return None
    try:
        return float(found.replace(",", ""))
    except ValueError:
        return None


def numeric_match(predicted: Any, reference: Any, *, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> float:
    """1.0 when both hold a number and the numbers are equal within the tolerances."""
    p, r = extract_number(predicted), extract_number(reference)
    return float(p is not None and r is not None and math.isclose(p, r, rel_tol=rel_tol, abs_tol=abs_tol))
