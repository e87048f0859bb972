"""`advisor demo` end to end: a teacher over real HTTP on 127.0.0.1, real local students."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_cli_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Verdict:" in proc.stdout
    printed = {line.split()[-1] for line in proc.stdout.splitlines() if line.strip()}
    assert {str(out / f) for f in ("report.html", "report.md", "report.json", "predictions.jsonl")} <= printed
    assert all(Path(p).is_file() for p in printed if p.startswith(str(out)))
    assert proc.stdout.index("report.html") < proc.stdout.index("report.json")  # the one to open comes first
    report = json.loads((out / "report.json").read_text())
    teacher = report["models"]["demo-teacher"]
    assert teacher["backend"] == "openai" and teacher["latency_ms"]["source"] == "measured"
    assert teacher["latency_ms"]["n"] == report["dataset"]["n_eval"] + report["dataset"]["n_train"]
    assert "catalog:openai/gpt-4o" in teacher["cost_source"]
    assert set(report["dataset"]["slices"]) == {"email", "chat", "app_review", "voice_transcript"}
    assert report["dataset"]["n_samples"] == 480 and report["dataset"]["quality_metric"] == "accuracy"
    for name in ("minilm-distilled", "tfidf-distilled"):
        m = report["models"][name]
        assert m["role"] == "student" and m["training"]["train_examples"] > 100
        assert set(report["gaps"][name]["slices"]) == set(report["dataset"]["slices"])
        assert m["latency_ms"]["p50"] > 0 and m["cost_per_call_usd"] > 0
    # The teacher is fitted on a pool the run never sees, so it is good but not perfect on these samples.
    assert 0.8 < teacher["quality"] < 1.0
    assert report["verdict"]["decision"] in ("keep_teacher", "distill", "route")
