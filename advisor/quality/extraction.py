"""Extraction scoring: exact match and field-level F1 for JSON / slot outputs."""

from __future__ import annotations

import ast
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

Fields = dict[str, tuple[str, ...]]


def _norm(value: Any) -> str:
    return " ".join(str(value).casefold().split())


def _literal_dict(text: str) -> Any:
    """The longest Python dict literal at the start of ``text`` (e.g. ``str()`` of a dict), or None."""
    end = text.rfind("}")
    while end != -1:
        try:
            obj = ast.literal_eval(text[: end + 1])
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            end = text.rfind("}", 0, end)
            continue
        return obj if isinstance(obj, dict) else None
    return None


def parse_fields(output: Any) -> Fields | None:
    """Slot name -> sorted normalised values, from a mapping or the first object in a text.

    The object is JSON, or else a Python dict literal (how a logged dict reads once turned
    into text). A value may be a scalar or a list of scalars; empty values are dropped. None
    when the output holds no object.
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
                obj = _literal_dict(output[start:])
                if obj is not None:
                    break
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
