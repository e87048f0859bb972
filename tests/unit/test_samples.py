import json
from pathlib import Path

import pandas as pd
import pytest

from advisor.errors import SampleValidationError
from advisor.samples import load_samples, parse_rows


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


CANONICAL = [
    {
        "id": "a",
        "input": "Is it overruling?",
        "task": "law",
        "reference": "Yes",
        "outputs": {"big": {"output": "Yes", "cost_usd": 0.01, "latency_ms": 120, "input_tokens": 30}},
    },
    {"id": "b", "input": [{"role": "user", "content": "hi"}], "reference": "No", "metadata": {"src": "x"}},
]


def test_canonical_jsonl_loads_with_defaults(tmp_path: Path) -> None:
    s = load_samples(write_jsonl(tmp_path / "s.jsonl", CANONICAL))
    assert len(s) == 2
    a, b = s.samples
    assert a.outputs["big"].cost_usd == 0.01 and a.outputs["big"].input_tokens == 30
    assert b.task == "default" and b.text == "user: hi" and b.metadata == {"src": "x"}
    assert s.models == ["big"] and s.slices == ["default", "law"]


def test_mapping_users_logs_and_extras_kept(tmp_path: Path) -> None:
    rows = [
        {
            "id": 1,
            "input": "q",
            "gold": "Yes",
            "subject": "civ",
            "models": {"m": {"output": "No", "correct": 0}},
        },
        {
            "id": 2,
            "input": "r",
            "gold": "No",
            "subject": "crim",
            "models": {"m": {"output": "No", "correct": 1}},
        },
    ]
    s = load_samples(
        write_jsonl(tmp_path / "logs.jsonl", rows),
        mapping={"reference": "gold", "outputs": "models", "task": "subject"},
    )
    assert [x.reference for x in s] == ["Yes", "No"]
    assert [x.task for x in s] == ["civ", "crim"]
    assert s.samples[0].outputs["m"].extra == {"correct": 0}
    assert s.samples[0].id == "1"


def test_missing_mapped_field_hints_at_mapping(tmp_path: Path) -> None:
    rows = [{"id": "x", "prompt": "q"}]
    with pytest.raises(SampleValidationError) as e:
        load_samples(write_jsonl(tmp_path / "s.jsonl", rows))
    issue = e.value.issues[0]
    assert (issue.row, issue.field) == (1, "input")
    assert "mapping: {input: prompt}" in str(e.value)


def test_bad_rows_all_named_and_nothing_loaded(tmp_path: Path) -> None:
    rows = [
        CANONICAL[0],
        {"id": "c", "input": ""},
        {"id": "d", "input": "x", "outputs": {"m": {"output": "y", "cost_usd": "cheap"}}},
        {"id": "a", "input": "dup"},
        {"id": "e", "input": "x", "outputs": {"m": {"output": "y", "confidence": 1.5}}},
    ]
    with pytest.raises(SampleValidationError) as e:
        load_samples(write_jsonl(tmp_path / "s.jsonl", rows))
    got = {(i.row, i.field) for i in e.value.issues}
    assert got == {(2, "input"), (3, "outputs.m.cost_usd"), (4, "id"), (5, "outputs.m.confidence")}
    assert "row 3, field 'outputs.m.cost_usd'" in str(e.value)
    assert "Nothing was loaded" in str(e.value)


def test_invalid_json_line_is_named(tmp_path: Path) -> None:
    p = tmp_path / "s.jsonl"
    p.write_text(json.dumps(CANONICAL[0]) + "\n{not json\n")
    with pytest.raises(SampleValidationError) as e:
        load_samples(p)
    assert e.value.issues[0].row == 2


def test_unknown_mapping_field_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SampleValidationError, match="mapping.gold"):
        parse_rows([(1, {"id": "a", "input": "x"})], mapping={"gold": "reference"})
    with pytest.raises(SampleValidationError, match="no such file"):
        load_samples(tmp_path / "absent.jsonl")


def test_same_content_same_fingerprint_across_formats(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "input": "x",
            "task": "t",
            "reference": "Yes",
            "outputs": {"m": {"output": "Yes", "cost_usd": 0.5}},
        },
        {
            "id": "b",
            "input": "y",
            "task": "t",
            "reference": "No",
            "outputs": {"m": {"output": "No", "cost_usd": 0.25}},
        },
    ]
    j = load_samples(write_jsonl(tmp_path / "s.jsonl", rows))
    reordered = [{k: r[k] for k in reversed(list(r))} for r in rows]
    assert load_samples(write_jsonl(tmp_path / "r.jsonl", reordered)).fingerprint == j.fingerprint
    flat = pd.DataFrame(
        [
            {
                "id": r["id"],
                "input": r["input"],
                "task": r["task"],
                "reference": r["reference"],
                "outputs.m.output": r["outputs"]["m"]["output"],
                "outputs.m.cost_usd": r["outputs"]["m"]["cost_usd"],
            }
            for r in rows
        ]
    )
    flat.to_csv(tmp_path / "s.csv", index=False)
    flat.to_parquet(tmp_path / "s.parquet")
    assert load_samples(tmp_path / "s.csv").fingerprint == j.fingerprint
    assert load_samples(tmp_path / "s.parquet").fingerprint == j.fingerprint
    changed = [dict(rows[0], reference="No"), rows[1]]
    assert load_samples(write_jsonl(tmp_path / "c.jsonl", changed)).fingerprint != j.fingerprint


def test_csv_bad_number_names_data_row(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("id,input,outputs.m.output,outputs.m.latency_ms\na,x,Yes,12\nb,y,No,-3\n")
    with pytest.raises(SampleValidationError) as e:
        load_samples(tmp_path / "s.csv")
    assert [(i.row, i.field) for i in e.value.issues] == [(2, "outputs.m.latency_ms")]
