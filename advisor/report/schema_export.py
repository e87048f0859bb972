"""The JSON Schema file and the field reference in docs/report-schema.md, generated from the model.

Run ``python -m advisor.report.schema_export`` after changing :mod:`advisor.report.schema`; the test
suite fails while either file is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .schema import SCHEMA_VERSION, Report

SCHEMA_FILE = Path(__file__).with_name("report.schema.json")
DOCS_FILE = Path(__file__).resolve().parents[2] / "docs" / "report-schema.md"
BEGIN = "<!-- BEGIN GENERATED FIELD REFERENCE (python -m advisor.report.schema_export) -->"
END = "<!-- END GENERATED FIELD REFERENCE -->"

# Descriptions of fields whose model declares none (the model's own description wins).
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Report", "schema_version"): "Version of this contract; fields are only added within a major version.",
    ("Report", "advisor_version"): "Version of the advisor that produced the report.",
    ("Report", "generated_at"): "When the report was made (ISO 8601, UTC).",
    ("Report", "run_seconds"): "Wall-clock seconds the run took.",
    ("Report", "task"): "Task type, label set and how outputs were parsed into labels.",
    ("Report", "constraints"): "The constraints the verdict was checked against (max_gap, confidence, "
    "p95_latency_ms, monthly_volume, horizon_months, budget).",
    ("Report", "dataset"): "The samples the run used.",
    ("Report", "verdict"): "The recommendation: keep_teacher, distill or route, and why.",
    ("Report", "models"): "Every model's quality, cost and latency on the evaluation examples, by name.",
    ("Report", "gaps"): "Each student's quality gap against the teacher, overall and per slice, by name.",
    ("Report", "routes"): "Student-first routes with escalation to the teacher, by student name.",
    ("Report", "warnings"): "Problems met during the run that the reader should know about.",
    ("DatasetOut", "source"): "Path or name the samples were read from.",
    ("DatasetOut", "fingerprint"): "sha256 of the samples' canonical content (same content, same value).",
    ("DatasetOut", "n_samples"): "Rows in the dataset.",
    ("DatasetOut", "n_eval"): "Examples every model was evaluated on.",
    ("DatasetOut", "n_train"): "Examples used only to train distilled students (teacher-labelled).",
    ("DatasetOut", "quality_metric"): "How quality is measured: accuracy against the reference, agreement "
    "with the teacher (no reference), the logs' recorded correctness, or the task's metric (exact_match, "
    "field_f1, numeric_match, chrf, rouge_l, embedding, judge) against the reference or, '_vs_teacher', "
    "against the teacher's output.",
    ("ErrorTransferOut", "teacher_errors"): "Examples the teacher gets wrong.",
    ("ErrorTransferOut", "copy_rate"): "copied / teacher_errors (None without teacher errors).",
    ("GapOut", "gap"): "Mean student score minus mean teacher score (fraction; negative is worse).",
    ("GapOut", "ci"): "Paired bootstrap CI of the gap at the report's confidence.",
    ("GapOut", "n"): "Examples the gap is computed on.",
    ("GroupGapOut", "name"): "The group (bin or class).",
    ("GroupGapOut", "n"): "Examples in the group.",
    ("GroupGapOut", "student"): "Student quality in the group.",
    ("GroupGapOut", "teacher"): "Teacher quality in the group.",
    ("GroupGapOut", "gap"): "Student minus teacher in the group.",
    ("GroupGapOut", "ci"): "Paired bootstrap CI of the gap.",
    ("HardCaseExampleOut", "id"): "Sample id.",
    ("HardCaseExampleOut", "slice"): "Slice of the sample.",
    ("HardCaseExampleOut", "kind"): "lost: student wrong where the teacher is right; copied: both wrong; "
    "corrected: student right where the teacher is wrong.",
    ("HardCaseExampleOut", "input"): "The input text.",
    ("HardCaseExampleOut", "reference"): "Gold answer.",
    ("HardCaseExampleOut", "teacher"): "Teacher answer.",
    ("HardCaseExampleOut", "student"): "Student answer.",
    ("HardCasesOut", "errors"): "Teacher errors the student copies or corrects (needs references).",
    ("HardCasesOut", "examples"): "Examples to read: lost, copied and corrected cases.",
    ("LatencyOut", "p50"): "Median latency (ms).",
    ("LatencyOut", "p90"): "90th percentile latency (ms).",
    ("LatencyOut", "p95"): "95th percentile latency (ms).",
    ("LatencyOut", "p99"): "99th percentile latency (ms).",
    ("LatencyOut", "n"): "Calls timed.",
    ("ModelOut", "role"): "teacher or student.",
    ("ModelOut", "backend"): "Backend kind: recorded, openai, distill, hf, ...",
    ("ModelOut", "quality_ci"): "Bootstrap CI of quality at the report's confidence.",
    ("ModelOut", "agreement_with_teacher"): "Share of examples where the model's answer equals the teacher's.",
    ("ModelOut", "cost_per_call_usd"): "Mean USD per call (None: unknown); see cost_source.",
    ("ModelOut", "latency_ms"): "Per-call latency percentiles (None: not timed).",
    ("RouteOut", "threshold"): "Escalate to the teacher when the student's confidence is below this.",
    ("RouteOut", "calibration_escalation_rate"): "Share of calls escalated on the calibration half.",
    ("RouteOut", "test_escalation_rate"): "Share of calls escalated on the held-out half.",
    ("RouteOut", "test_gap"): "Route minus teacher on the held-out half.",
    ("RouteOut", "n_calibration"): "Examples the threshold was chosen on.",
    ("RouteOut", "cost_per_call_usd"): "Student on every call plus the teacher on the escalated share.",
    ("StudentGapsOut", "overall"): "Gap on all evaluation examples.",
    ("StudentGapsOut", "slices"): "Gap per slice, by slice name.",
    ("CostModelOut", "monthly_volume"): "Calls per month the costs are computed at.",
    ("CostModelOut", "horizon_months"): "Months the options are costed over.",
    ("CostModelOut", "redistill_every_months"): "Re-distillation period (None: never).",
    ("CostModelOut", "sensitivity"): "Horizon saving when one input changes.",
    ("CostModelOut", "prices"): "Dated prices the costs rely on, with their age.",
    ("CostModelOut", "max_price_age_days"): "Prices older than this are stale.",
    ("CostOptionOut", "kind"): "teacher, distill or route.",
    ("CostOptionOut", "student"): "The student (None for the teacher alone).",
    ("CostOptionOut", "one_time_parts"): "One-time cost by part (teacher_labelling, training, evaluation).",
    ("CostOptionOut", "horizon_total_usd"): "Total USD over the horizon, one-time costs included.",
    ("FrontierPointOut", "escalation_rate"): "Share of calls escalated to the teacher at this threshold.",
    ("FrontierPointOut", "quality"): "Quality of the route at this threshold.",
    ("FrontierPointOut", "cost_per_call_usd"): "Mean USD per call of the route at this threshold.",
    ("GuaranteeOut", "calibration_risk"): "Loss versus the teacher on the calibration split.",
    ("GuaranteeOut", "n_calibration"): "Examples the threshold was chosen on.",
    ("GuaranteeOut", "n_test"): "Held-out examples the guarantee was checked on.",
    ("PriceAgeOut", "what"): "The figure (model or instance price).",
    ("PriceAgeOut", "source"): "Where it was read.",
    ("PriceAgeOut", "as_of"): "Date it was collected (YYYY-MM-DD).",
    ("PriceAgeOut", "age_days"): "Days between as_of and the run.",
    ("PriceAgeOut", "stale"): "Older than the staleness limit.",
    ("RouteOut", "guarantee"): "What the route's threshold guarantees (Learn-then-Test).",
    ("SavingsOut", "monthly_usd"): "Expected saving per month versus the teacher alone.",
    ("SavingsOut", "horizon_ci"): "Interval of the horizon saving.",
    ("SavingsOut", "break_even_months"): "Months until the one-time cost is paid back (None: no one-time cost).",
    ("SensitivityOut", "option"): "The option ('distill:<student>', 'route:<student>').",
    ("SensitivityOut", "parameter"): "The input varied.",
    ("SensitivityOut", "base"): "The input's value in the run.",
    ("ServingOut", "batch_size"): "Batch size of the serving point.",
    ("ServingOut", "concurrency"): "Batches in flight at the serving point.",
    ("ServingOut", "p95_ms"): "Per-call p95 latency at the serving point (ms).",
    ("ServingOut", "monthly_usd"): "Fleet cost per month.",
    ("ServingOut", "assumptions"): "Assumptions behind a projected serving point.",
    ("SweepPointOut", "batch_size"): "Batch size.",
    ("SweepPointOut", "calls_per_s"): "Throughput in calls per second.",
    ("SweepPointOut", "p50_ms"): "Per-call median latency (ms).",
    ("SweepPointOut", "p99_ms"): "Per-call p99 latency (ms).",
    ("VerdictOut", "decision"): "keep_teacher, distill or route.",
    ("VerdictOut", "reason"): "One paragraph a reviewer can quote.",
    ("VerdictOut", "risks"): "What could make the verdict wrong (failing slices, stale prices, deprecations).",
}


def report_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of report.json, from the pydantic model."""
    schema = Report.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:distillation-advisor:report:{SCHEMA_VERSION}",
        "version": SCHEMA_VERSION,
        **schema,
    }


def schema_text() -> str:
    """The schema file's exact content."""
    return json.dumps(report_json_schema(), indent=2, sort_keys=True) + "\n"


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " | ".join(_type(p) for p in prop["anyOf"])
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if "const" in prop:
        return json.dumps(prop["const"])
    t = prop.get("type", "any")
    if t == "array":
        if "prefixItems" in prop:
            return "[" + ", ".join(_type(p) for p in prop["prefixItems"]) + "]"
        return f"list[{_type(prop.get('items', {}))}]"
    if t == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map[str, {_type(prop['additionalProperties'])}]"
    return str(t)


def _model_table(name: str, model: dict[str, Any]) -> list[str]:
    required = set(model.get("required", []))
    lines = [f"### `{name}`", "", str(model.get("description", "")).strip(), ""]
    lines += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, prop in model.get("properties", {}).items():
        desc = str(prop.get("description") or DESCRIPTIONS.get((name, field), "")).replace("|", "\\|")
        desc = desc.replace("\n", " ")
        typ = _type(prop).replace("|", "\\|")
        lines.append(f"| `{field}` | {typ} | {'yes' if field in required else 'no'} | {desc} |")
    return [*lines, ""]


def undocumented_fields() -> list[str]:
    """``Model.field`` names with neither a model description nor one in :data:`DESCRIPTIONS`."""
    schema = report_json_schema()
    missing = []
    for name, model in [("Report", schema), *sorted(schema.get("$defs", {}).items())]:
        for field, prop in model.get("properties", {}).items():
            if not prop.get("description") and (name, field) not in DESCRIPTIONS:
                missing.append(f"{name}.{field}")
    return missing


def field_reference() -> str:
    """Markdown tables of every object in the schema, the report first."""
    schema = report_json_schema()
    lines = [BEGIN, "", f"Schema version **{SCHEMA_VERSION}**.", ""]
    lines += _model_table("Report", schema)
    for name, model in sorted(schema.get("$defs", {}).items()):
        lines += _model_table(name, model)
    return "\n".join([*lines, END])


def docs_text(current: str) -> str:
    """``current`` docs with the generated block replaced (or appended when missing)."""
    block = field_reference()
    if BEGIN in current and END in current:
        head, _, rest = current.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + block + tail
    return current.rstrip("\n") + "\n\n" + block + "\n"


def main() -> None:
    """Rewrite the schema file and the docs' field reference."""
    SCHEMA_FILE.write_text(schema_text())
    current = DOCS_FILE.read_text() if DOCS_FILE.is_file() else ""
    DOCS_FILE.parent.mkdir(parents=True, exist_ok=True)
    DOCS_FILE.write_text(docs_text(current))
    print(f"wrote {SCHEMA_FILE} and {DOCS_FILE}")


if __name__ == "__main__":
    main()
