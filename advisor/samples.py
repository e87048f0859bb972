"""Task samples: the canonical row, field mapping for users' own logs, and loading.

A canonical row (JSON Lines; CSV and Parquet carry the same fields)::

    {"id": "t-1", "input": "text" | [{"role": "user", "content": "..."}],
     "task": "slice name", "reference": gold (optional),
     "outputs": {"<model>": {"output": ..., "latency_ms": 12.0, "input_tokens": 31,
                             "output_tokens": 1, "cost_usd": 0.0001, "confidence": 0.93}},
     "metadata": {...}}

Users' logs rarely look like that; ``mapping`` names, for each canonical field, the
column that holds it (``{"reference": "gold", "outputs": "models", "task": "subject"}``).
Unmapped top-level columns are kept in ``metadata``. Loading is all-or-nothing: any bad
row raises :class:`SampleValidationError` naming every bad row and field.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SampleIssue, SampleValidationError

CANONICAL_FIELDS = ("id", "input", "task", "reference", "outputs", "metadata")
OUTPUT_NUMERIC_FIELDS = ("latency_ms", "input_tokens", "output_tokens", "cost_usd", "confidence")
DEFAULT_TASK = "default"
MAX_ISSUES = 50
_KNOWN_ALIASES = {
    "reference": ("gold", "label", "answer", "target", "expected"),
    "outputs": ("models", "predictions", "responses"),
    "task": ("subject", "system", "subset", "slice", "category"),
    "input": ("prompt", "text", "question", "query"),
}


@dataclass(frozen=True)
class ChatMessage:
    """One chat turn of an input given as messages."""

    role: str
    content: str


@dataclass(frozen=True)
class ModelOutput:
    """What one model answered for one sample, as recorded in the user's logs."""

    output: Any = None
    """The answer (text for classification and generation; a dict for extraction)."""
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    confidence: float | None = None
    """The model's confidence in its answer, in [0, 1], when it gave one."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Any further recorded fields (e.g. ``correct``), kept as given."""


@dataclass(frozen=True)
class Sample:
    """One task example."""

    id: str
    input: str | tuple[ChatMessage, ...]
    task: str = DEFAULT_TASK
    reference: Any = None
    outputs: Mapping[str, ModelOutput] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The input as one string (chat messages joined as ``role: content`` lines)."""
        if isinstance(self.input, str):
            return self.input
        return "\n".join(f"{m.role}: {m.content}" for m in self.input)


@dataclass(frozen=True)
class SampleSet:
    """A validated, immutable set of samples with a content fingerprint."""

    samples: tuple[Sample, ...]
    fingerprint: str
    """sha256 over the canonical rows: the same content gives the same fingerprint."""
    source: str = "<memory>"

    def __len__(self) -> int:
        return len(self.samples)

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    @property
    def models(self) -> list[str]:
        """Names of models with recorded outputs, in first-seen order."""
        seen: dict[str, None] = {}
        for s in self.samples:
            seen.update(dict.fromkeys(s.outputs))
        return list(seen)

    @property
    def slices(self) -> list[str]:
        """Slice (``task``) names, sorted."""
        return sorted({s.task for s in self.samples})

    @property
    def has_reference(self) -> bool:
        """True when every sample carries a reference answer."""
        return all(s.reference is not None for s in self.samples)

    def subset(self, ids: Iterable[str]) -> SampleSet:
        """The samples whose ids are in ``ids``, in this set's order."""
        wanted = set(ids)
        kept = tuple(s for s in self.samples if s.id in wanted)
        return SampleSet(kept, fingerprint_samples(kept), f"{self.source}[subset]")


def to_canonical(sample: Sample) -> dict[str, Any]:
    """The canonical JSON-able row for ``sample``."""
    outputs: dict[str, Any] = {}
    for name, out in sample.outputs.items():
        row: dict[str, Any] = {"output": out.output}
        for key in OUTPUT_NUMERIC_FIELDS:
            value = getattr(out, key)
            if value is not None:
                row[key] = value
        row.update(out.extra)
        outputs[name] = row
    inp: Any = (
        sample.input
        if isinstance(sample.input, str)
        else [{"role": m.role, "content": m.content} for m in sample.input]
    )
    return {
        "id": sample.id,
        "input": inp,
        "task": sample.task,
        "reference": sample.reference,
        "outputs": outputs,
        "metadata": dict(sample.metadata),
    }


def fingerprint_samples(samples: Sequence[Sample]) -> str:
    """sha256 of the canonical rows, independent of key order and file format."""
    h = hashlib.sha256()
    for s in samples:
        h.update(json.dumps(to_canonical(s), sort_keys=True, ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def parse_rows(
    rows: Iterable[tuple[int, Any]],
    *,
    mapping: Mapping[str, str] | None = None,
    source: str = "<rows>",
) -> SampleSet:
    """Validate raw rows (``(row_number, dict)``) into a :class:`SampleSet`.

    Args:
        rows: raw rows with their 1-based row numbers, as read from a file.
        mapping: canonical field -> source column, for users' own logs.
        source: a name for the data, used in error messages.

    Raises:
        SampleValidationError: listing every bad row and field; nothing is returned.

    """
    mapping = dict(mapping or {})
    bad = [k for k in mapping if k not in CANONICAL_FIELDS]
    if bad:
        issue = SampleIssue(0, f"mapping.{bad[0]}", f"not a canonical field; use {CANONICAL_FIELDS}")
        raise SampleValidationError(source, [issue])
    issues: list[SampleIssue] = []
    samples: list[Sample] = []
    seen_ids: dict[str, int] = {}
    for row_no, raw in rows:
        if len(issues) >= MAX_ISSUES:
            raise SampleValidationError(source, issues, truncated=True)
        sample = _parse_row(row_no, raw, mapping, issues)
        if sample is None:
            continue
        if sample.id in seen_ids:
            issues.append(SampleIssue(row_no, "id", f"duplicate id '{sample.id}' (first on row {seen_ids[sample.id]})"))
            continue
        seen_ids[sample.id] = row_no
        samples.append(sample)
    if issues:
        raise SampleValidationError(source, issues)
    if not samples:
        raise SampleValidationError(source, [SampleIssue(0, "id", "the file holds no samples")])
    kept = tuple(samples)
    return SampleSet(kept, fingerprint_samples(kept), source)


def _parse_row(row_no: int, raw: Any, mapping: Mapping[str, str], issues: list[SampleIssue]) -> Sample | None:
    if not isinstance(raw, dict):
        issues.append(SampleIssue(row_no, "<row>", f"expected a JSON object, got {type(raw).__name__}"))
        return None
    before = len(issues)

    def col(name: str) -> str:
        return mapping.get(name, name)

    def missing(name: str) -> str:
        hint = [a for a in _KNOWN_ALIASES.get(name, ()) if a in raw]
        extra = f"; the row has '{hint[0]}': map it with mapping: {{{name}: {hint[0]}}}" if hint else ""
        return f"required field missing (looked for column '{col(name)}'){extra}"

    raw_id = raw.get(col("id"))
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        issues.append(SampleIssue(row_no, "id", missing("id")))
    elif not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
        issues.append(SampleIssue(row_no, "id", f"must be a string or integer, got {type(raw_id).__name__}"))

    inp = _parse_input(row_no, raw.get(col("input")), issues, missing("input"))

    task = raw.get(col("task"), DEFAULT_TASK)
    if task is None or task == "":
        task = DEFAULT_TASK
    if not isinstance(task, str):
        issues.append(SampleIssue(row_no, "task", f"must be a string slice name, got {type(task).__name__}"))

    outputs = _parse_outputs(row_no, raw.get(col("outputs")), issues)

    metadata = raw.get(col("metadata"), {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        issues.append(SampleIssue(row_no, "metadata", "must be an object"))
        metadata = {}
    used = {col(f) for f in CANONICAL_FIELDS}
    extras = {k: v for k, v in raw.items() if k not in used}
    metadata = {**extras, **metadata}

    if len(issues) > before or inp is None:
        return None
    reference = raw.get(col("reference"))
    if isinstance(reference, float) and math.isnan(reference):
        reference = None
    return Sample(
        id=str(raw_id),
        input=inp,
        task=str(task),
        reference=reference,
        outputs=outputs,
        metadata=metadata,
    )


def _parse_input(
    row_no: int, value: Any, issues: list[SampleIssue], missing_msg: str
) -> str | tuple[ChatMessage, ...] | None:
    if value is None:
        issues.append(SampleIssue(row_no, "input", missing_msg))
        return None
    if isinstance(value, str):
        if not value.strip():
            issues.append(SampleIssue(row_no, "input", "is empty"))
            return None
        return value
    if isinstance(value, list) and value:
        msgs: list[ChatMessage] = []
        for i, m in enumerate(value):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
                issues.append(SampleIssue(row_no, f"input[{i}]", "chat message needs string 'role' and 'content'"))
                return None
            msgs.append(ChatMessage(m["role"], m["content"]))
        return tuple(msgs)
    issues.append(
        SampleIssue(
            row_no,
            "input",
            f"must be a string or a list of chat messages, got {type(value).__name__}",
        )
    )
    return None


def _parse_outputs(row_no: int, value: Any, issues: list[SampleIssue]) -> dict[str, ModelOutput]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            issues.append(SampleIssue(row_no, "outputs", f"is not valid JSON ({e.msg})"))
            return {}
    if not isinstance(value, dict):
        issues.append(SampleIssue(row_no, "outputs", "must be an object of model name -> output"))
        return {}
    result: dict[str, ModelOutput] = {}
    for name, out in value.items():
        where = f"outputs.{name}"
        if isinstance(out, str):
            out = {"output": out}
        if not isinstance(out, dict):
            issues.append(SampleIssue(row_no, where, "must be an object with 'output' or a string"))
            continue
        nums: dict[str, Any] = {}
        ok = True
        for key in OUTPUT_NUMERIC_FIELDS:
            v = out.get(key)
            if v is None or v == "":
                continue
            try:
                f = float(v)
            except (TypeError, ValueError):
                issues.append(SampleIssue(row_no, f"{where}.{key}", f"must be a number, got {v!r}"))
                ok = False
                continue
            if isinstance(v, bool) or math.isnan(f) or f < 0 or (key == "confidence" and f > 1):
                bound = "in [0, 1]" if key == "confidence" else "a non-negative number"
                issues.append(SampleIssue(row_no, f"{where}.{key}", f"must be {bound}, got {v!r}"))
                ok = False
                continue
            nums[key] = int(f) if key.endswith("_tokens") else f
        if not ok:
            continue
        extra = {k: v for k, v in out.items() if k != "output" and k not in OUTPUT_NUMERIC_FIELDS}
        result[str(name)] = ModelOutput(output=out.get("output"), extra=extra, **nums)
    return result


def _read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as fh:
        if fh.read(64).lstrip()[:1] == b"[":  # a JSON array of rows
            fh.seek(0)
            try:
                rows = json.load(fh)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                issue = SampleIssue(0, "<file>", f"is not valid JSON ({e})")
                raise SampleValidationError(str(path), [issue]) from None
            yield from enumerate(rows, start=1)
            return
        fh.seek(0)
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                msg = getattr(e, "msg", str(e))
                raise SampleValidationError(
                    str(path), [SampleIssue(line_no, "<row>", f"is not valid JSON ({msg})")]
                ) from None


def _unflatten(record: dict[str, Any]) -> dict[str, Any]:
    """Turn CSV-style ``outputs.<model>.<field>`` and ``metadata.<key>`` columns into objects."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        head, _, rest = key.partition(".")
        if rest and head in ("outputs", "metadata"):
            if head == "outputs":
                model, _, fld = rest.rpartition(".")
                if not model:
                    model, fld = rest, "output"
                out.setdefault("outputs", {}).setdefault(model, {})[fld] = value
            else:
                out.setdefault("metadata", {})[rest] = value
        else:
            out[key] = value
    return out


def _read_table(path: Path, kind: str) -> Iterator[tuple[int, Any]]:
    import pandas as pd

    try:
        if kind == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            frame = pd.read_parquet(path)
    except Exception as e:  # pandas raises many types for unreadable files
        raise SampleValidationError(str(path), [SampleIssue(0, "<file>", f"cannot be read as {kind}: {e}")]) from None
    for i, record in enumerate(frame.to_dict(orient="records"), start=1):
        row = _unflatten({str(k): v for k, v in record.items()})
        for key in ("input", "outputs", "metadata"):
            value = row.get(key)
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    row[key] = json.loads(value)
                except json.JSONDecodeError:
                    pass
        yield i, row


def detect_format(path: Path) -> str:
    """``jsonl``, ``csv`` or ``parquet`` from the file name."""
    suffixes = [s.lower() for s in path.suffixes]
    for kind, exts in (
        ("jsonl", (".jsonl", ".ndjson", ".json")),
        ("csv", (".csv",)),
        ("parquet", (".parquet", ".pq")),
    ):
        if any(s in exts for s in suffixes):
            return kind
    raise SampleValidationError(str(path), [SampleIssue(0, "<file>", "unknown format; use .jsonl, .csv or .parquet")])


def load_samples(path: str | Path, *, mapping: Mapping[str, str] | None = None, fmt: str | None = None) -> SampleSet:
    """Load and validate a sample file (JSON Lines, CSV or Parquet).

    Args:
        path: the file.
        mapping: canonical field -> column name in the file (e.g. ``{"reference": "gold"}``).
        fmt: ``jsonl``, ``csv`` or ``parquet``; detected from the suffix when omitted.

    Raises:
        SampleValidationError: the file is missing, unreadable, or has bad rows.

    """
    p = Path(path)
    if not p.is_file():
        raise SampleValidationError(str(p), [SampleIssue(0, "<file>", "no such file")])
    kind = fmt or detect_format(p)
    rows = _read_jsonl(p) if kind == "jsonl" else _read_table(p, kind)
    return parse_rows(rows, mapping=mapping, source=str(p))
