"""The CLI as a user meets it: clear errors, nothing half-written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main


def test_malformed_samples_exit_2_naming_row_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.jsonl").write_text(
        json.dumps({"id": "a", "input": "x", "gold": "Yes", "models": {"t": {"output": "Yes"}}})
        + "\n"
        + json.dumps({"id": "b", "input": "y", "gold": "No", "models": {"t": {"output": "No", "cost_usd": -1}}})
        + "\n"
    )
    (tmp_path / "spec.yaml").write_text(
        "samples: {path: s.jsonl, mapping: {reference: gold, outputs: models}}\n"
        "teacher: {name: t}\nstudents: [{name: s}]\n"
    )
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "spec.yaml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "row 2, field 'outputs.t.cost_usd'" in err and "Nothing was loaded" in err
    assert not (out / "report.json").exists()


def test_unknown_backend_and_missing_recorded_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "id": str(i),
                    "input": f"q{i}",
                    "reference": "Yes" if i % 2 else "No",
                    "outputs": {"t": {"output": "Yes"}},
                }
            )
            + "\n"
            for i in range(20)
        )
    )
    (tmp_path / "a.yaml").write_text(
        "samples: {path: s.jsonl}\nteacher: {name: t}\nstudents: [{name: s, backend: gpu9}]\n"
    )
    assert main(["run", str(tmp_path / "a.yaml")]) == 2
    assert "unknown backend 'gpu9'" in capsys.readouterr().err
    (tmp_path / "b.yaml").write_text("samples: {path: s.jsonl}\nteacher: {name: t}\nstudents: [{name: s}]\n")
    assert main(["run", str(tmp_path / "b.yaml")]) == 2
    assert "no recorded outputs for model 's'" in capsys.readouterr().err


def test_import_advisor_does_not_load_torch() -> None:
    code = "import sys, advisor, advisor.pipeline; print('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
