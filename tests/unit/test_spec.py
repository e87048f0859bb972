from pathlib import Path

import pytest

from advisor.errors import SpecError
from advisor.spec import load_spec, parse_spec

BASE = {
    "samples": {"path": "s.jsonl"},
    "teacher": {"name": "t"},
    "students": [{"name": "s"}],
}


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(
        "samples: {path: data/s.jsonl, mapping: {reference: gold}}\nteacher: {name: gpt-4}\nstudents: [{name: small}]\n"
    )
    spec = load_spec(tmp_path / "spec.yaml")
    assert spec.samples.path == str((tmp_path / "data" / "s.jsonl").resolve())
    assert spec.constraints.max_gap == 0.02 and spec.task.type == "classification"
    assert spec.teacher.backend == "recorded"


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"students": []}, "students"),
        ({"constraints": {"max_gap": 2}}, "constraints.max_gap"),
        ({"teacher": {"name": "t", "colour": "red"}}, "teacher.colour"),
        ({"students": [{"name": "t"}]}, "unique"),
    ],
)
def test_invalid_specs_name_the_field(patch: dict[str, object], needle: str) -> None:
    with pytest.raises(SpecError, match=needle.replace(".", r"\.")):
        parse_spec({**BASE, **patch})


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("teacher: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(tmp_path / "bad.yaml")
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.yaml")
