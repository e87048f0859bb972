"""write_reports and `advisor run`: every format, atomically, provenance included."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jsonschema
import pytest

from advisor.cli import main
from advisor.errors import AdvisorError
from advisor.report.schema_export import SCHEMA_FILE
from advisor.report.write import write_reports
from tests.conftest import shared_data_file
from tests.report.conftest import make_report


def test_write_reports_without_pdf_leaves_no_temporary_files(tmp_path: Path) -> None:
    paths = write_reports(make_report("distill"), tmp_path, pdf=False)
    assert set(paths) == {"json", "md", "html"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.json", "report.md"]
    for p in paths.values():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert json.loads(paths["json"].read_text())["verdict"]["decision"] == "distill"
    assert paths["html"].read_text().startswith("<!DOCTYPE html>")


def test_advisor_run_writes_json_md_html_pdf_with_provenance(tmp_path: Path, browser: str) -> None:
    data = shared_data_file("frugalgpt_overruling")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"""
task: {{type: classification, labels: ["Yes", "No"]}}
samples: {{path: {data}, mapping: {{reference: gold, outputs: models}}}}
teacher: {{name: gpt-4, backend: recorded}}
students:
  - {{name: gpt-3.5-turbo, backend: recorded}}
  - {{name: gptj_6B, backend: recorded}}
constraints: {{max_gap: 0.05, confidence: 0.95, monthly_volume: 1000000}}
n_bootstrap: 500
"""
    )
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out)]) == 0
    for name in ("report.json", "report.md", "report.html", "report.pdf"):
        assert (out / name).stat().st_size > 1000, name
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    report = json.loads((out / "report.json").read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(report)
    prov = report["provenance"]
    assert prov["dataset_fingerprint"] == report["dataset"]["fingerprint"] and prov["n_samples"] == 1512
    assert [m["name"] for m in prov["models"]] == ["gpt-4", "gpt-3.5-turbo", "gptj_6B"]
    assert {p["kind"] for p in prov["prices"]} == {"recorded"}
    assert prov["advisor_version"] == report["advisor_version"]
    html = (out / "report.html").read_text()
    assert "Keep the teacher" in html or "Route:" in html or "Distill:" in html
    assert html.count('<svg class="plot"') >= 4


def test_a_broken_browser_skips_the_pdf_unless_it_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_CHROMIUM", "/bin/false")  # a real binary that fails
    paths = write_reports(make_report("route"), tmp_path)
    assert "pdf" not in paths and not (tmp_path / "report.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.json", "report.md"]
    with pytest.raises(AdvisorError, match="headless Chromium exited"):
        write_reports(make_report("route"), tmp_path, pdf=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.json", "report.md"]
