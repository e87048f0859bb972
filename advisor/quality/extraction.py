"""Extraction scoring: exact match and field-level F1 for JSON / slot outputs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

Fields = dict[str, tuple[str, ...]]


def _norm(value: Any) -> str:
    return " ".join(str(value).casefold().split())


def parse_fields(output: Any) -> Fields | None:
    """Slot name -> sorted normalised values, from a mapping or from the first JSON object in a text.

    A value may be a scalar or a list of scalars; empty values are dropped. None when the
    output holds no JSON object.
    """
    obj: Any = output
    if isinstance(output, str):
        start = output.find("{")
        obj = None
        while start != -1:
            try:
                obj, _ = json.JSONDecoder().raw_decode(output[start:])
                break
            except json.JSONDecodeError:
                start = output.find("{", start + 1)
    if not isinstance(obj, Mapping):
        return None
    fields: Fields = {}
    for key, value in obj.items():
        values = value if isinstance(value, list | tuple) else [value]
        kept = tuple(sorted(_norm(v) for v in values if v is not None and _norm(v) != ""))
        if kept:
            fields[_norm(key)] = kept
    return fields


def exact_match(predicted: Any, reference: Any) -> float:
    """1.0 when both parse and hold the same slots with the same values."""
    p, r = parse_fields(predicted), parse_fields(reference)
    return float(p is not None and r is not None and p == r)


def field_f1(predicted: Any, reference: Any) -> float:
    """F1 over (slot, value) pairs; 1.0 when both are empty, 0.0 when the prediction does not parse."""
    p, r = parse_fields(predicted), parse_fields(reference)
    if r is None:
        raise ValueError("the reference is not a JSON object / mapping of slots")
    if p is None:
        return 0.0
    pp = Counter((k, v) for k, vs in p.items() for v in vs)
    rr = Counter((k, v) for k, vs in r.items() for v in vs)
    total = sum(pp.values()) + sum(rr.values())
    if total == 0:
        return 1.0
    return 2 * sum((pp & rr).values()) / total
