"""report.schema.json and docs/report-schema.md are current, complete, and reports validate."""

from __future__ import annotations

import json

import jsonschema
import pytest

from advisor.report.schema import SCHEMA_VERSION
from advisor.report.schema_export import (
    DOCS_FILE,
    SCHEMA_FILE,
    docs_text,
    report_json_schema,
    schema_text,
    undocumented_fields,
)
from tests.report.conftest import make_report

REGENERATE = "run `python -m advisor.report.schema_export` and commit the result"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_file_is_generated_from_the_current_model() -> None:
    assert SCHEMA_FILE.read_text() == schema_text(), f"{SCHEMA_FILE.name} is out of date: {REGENERATE}"
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["version"] == SCHEMA_VERSION and schema["$id"].endswith(SCHEMA_VERSION)


def test_docs_field_reference_is_current_and_every_field_is_described() -> None:
    assert DOCS_FILE.read_text() == docs_text(DOCS_FILE.read_text()), f"{DOCS_FILE} is out of date: {REGENERATE}"
    missing = undocumented_fields()
    assert not missing, (
        f"fields without a description: {missing}; add Field(description=...) in advisor/report/schema.py, "
        f"then {REGENERATE}"
    )
    text = DOCS_FILE.read_text()
    for field in report_json_schema()["properties"]:
        assert f"| `{field}` |" in text


def test_the_contract_fields_stay_required() -> None:
    schema = report_json_schema()
    assert {"schema_version", "verdict", "models", "gaps", "dataset"} <= set(schema["properties"])
    defs = schema["$defs"]
    assert {"decision", "student", "threshold", "reason"} <= set(defs["VerdictOut"]["required"])
    assert {"role", "quality", "quality_ci", "agreement_with_teacher", "cost_per_call_usd", "latency_ms"} <= set(
        defs["ModelOut"]["required"]
    )
    assert {"gap", "ci", "non_inferior"} <= set(defs["GapOut"]["required"])


@pytest.mark.parametrize("decision", ["route", "distill", "keep_teacher"])
def test_reports_validate_against_the_schema_file(decision: str) -> None:
    doc = json.loads(make_report(decision).model_dump_json())
    validator().validate(doc)


def test_the_schema_rejects_a_broken_report() -> None:
    v = validator()
    doc = json.loads(make_report().model_dump_json())
    bad_decision = {**doc, "verdict": {**doc["verdict"], "decision": "maybe"}}
    assert not v.is_valid(bad_decision)
    no_verdict = {k: x for k, x in doc.items() if k != "verdict"}
    assert not v.is_valid(no_verdict)
    unknown = {**doc, "surprise": 1}
    assert not v.is_valid(unknown)
    bad_ci = json.loads(json.dumps(doc))
    bad_ci["gaps"]["minilm-distilled"]["overall"]["ci"] = [0.1]
    assert not v.is_valid(bad_ci)
