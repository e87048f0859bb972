"""`advisor run` on real logs: per-slice gaps, CIs, tests and verdicts recomputed independently."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from advisor.cli import main
from tests.conftest import shared_data_file

MMLU_SPEC = """
task: {{type: classification}}
samples: {{path: {path}, mapping: {{task: subject, outputs: models}}}}
teacher: {{name: gpt-4-1106-preview, backend: recorded, price: {{usd_per_call: 0.01}}}}
students:
  - {{name: mixtral, backend: recorded, model: mistralai/Mixtral-8x7B-Instruct-v0.1, price: {{usd_per_call: 0.0006}}}}
constraints: {{max_gap: 0.05, confidence: 0.95}}
seed: 1
n_bootstrap: 10000
"""

OVERRULING_SPEC = """
task: {{type: classification, labels: ["Yes", "No"]}}
samples: {{path: {path}, mapping: {{reference: gold, outputs: models}}}}
teacher: {{name: gpt-4, backend: recorded}}
students: [{{name: gpt-3.5-turbo, backend: recorded}}]
constraints: {{max_gap: 0.05, confidence: 0.95}}
"""


def run(tmp_path: Path, spec: str, data: Path) -> tuple[dict, str]:
    (tmp_path / "spec.yaml").write_text(spec.format(path=data))
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "spec.yaml"), "--out", str(out)]) == 0
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text()


def test_mmlu_57_subjects_from_recorded_correctness(tmp_path: Path) -> None:
    data = shared_data_file("routellm_mmlu")
    report, md = run(tmp_path, MMLU_SPEC, data)
    rows = [json.loads(line) for line in data.open(encoding="utf-8") if line.strip()]
    subjects = sorted({r["subject"] for r in rows})
    assert len(subjects) == 57 and report["dataset"]["quality_metric"] == "recorded_correctness"
    teacher = {r["id"]: float(r["models"]["gpt-4-1106-preview"]["correct"]) for r in rows}
    student = {r["id"]: float(r["models"]["mistralai/Mixtral-8x7B-Instruct-v0.1"]["correct"]) for r in rows}
    assert report["models"]["mixtral"]["quality"] == pytest.approx(np.mean(list(student.values())))
    gaps = report["gaps"]["mixtral"]
    assert sorted(gaps["slices"]) == subjects
    raw_p = []
    for subj in subjects:
        ids = [r["id"] for r in rows if r["subject"] == subj]
        s = np.array([student[i] for i in ids])
        t = np.array([teacher[i] for i in ids])
        g = gaps["slices"][subj]
        assert g["n"] == len(ids) and g["gap"] == pytest.approx((s - t).mean(), abs=1e-12)
        assert g["ci"][0] <= g["gap"] <= g["ci"][1]
        b, c = int(np.sum((s == 1) & (t == 0))), int(np.sum((s == 0) & (t == 1)))
        assert g["discordant"] == [b, c]
        assert g["p_value_mcnemar"] == pytest.approx(mcnemar([[0, b], [c, 0]], exact=True).pvalue, abs=1e-12)
        assert g["verdict"] in ("non_inferior", "inferior", "inconclusive")
        assert (g["additional_samples_needed"] is not None) == (g["verdict"] == "inconclusive")
        raw_p.append(g["p_value_noninferiority"])
    holm = multipletests(raw_p, method="holm")[1]
    assert [gaps["slices"][k]["p_value_holm"] for k in subjects] == pytest.approx(list(holm))
    # A slice's non_inferior flag is the Holm-adjusted one-sided test, i.e. its verdict.
    for k, p_adj in zip(subjects, holm, strict=True):
        assert gaps["slices"][k]["non_inferior"] == (p_adj < 0.025) == (gaps["slices"][k]["verdict"] == "non_inferior")
    assert gaps["overall"]["non_inferior"] == (gaps["overall"]["p_value_noninferiority"] < 0.025)
    # Three subjects against scipy's paired percentile bootstrap.
    for subj in subjects[:3]:
        ids = [r["id"] for r in rows if r["subject"] == subj]
        s = np.array([student[i] for i in ids])
        t = np.array([teacher[i] for i in ids])
        ci = stats.bootstrap(
            (s, t),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            paired=True,
            vectorized=True,
            method="percentile",
            n_resamples=20000,
            random_state=np.random.default_rng(0),
        ).confidence_interval
        assert gaps["slices"][subj]["ci"] == pytest.approx([ci.low, ci.high], abs=0.015)
    # Overall: Mixtral is ~10 points behind GPT-4 on MMLU, clearly beyond a 5-point margin.
    assert gaps["overall"]["verdict"] == "inferior" and gaps["overall"]["gap"] == pytest.approx(-0.103, abs=0.001)
    errors = report["analysis"]["mixtral"]["errors"]
    both_wrong = sum(1 for i in teacher if teacher[i] == 0 and student[i] == 0)
    assert errors["teacher_errors"] == sum(1 for v in teacher.values() if v == 0)
    assert errors["copied"] == both_wrong and errors["copied_same_answer"] is None
    for subj in subjects:
        assert f"| {subj} | " in md
    assert "## Hard cases" in md and "Holm p" in md


def test_overruling_slice_verdict_and_copied_errors(tmp_path: Path) -> None:
    data = shared_data_file("frugalgpt_overruling")
    report, md = run(tmp_path, OVERRULING_SPEC, data)
    rows = [json.loads(line) for line in data.open(encoding="utf-8") if line.strip()]
    g = report["gaps"]["gpt-3.5-turbo"]
    assert list(g["slices"]) == ["default"]
    s = np.array([r["models"]["gpt-3.5-turbo"]["correct"] for r in rows], dtype=float)
    t = np.array([r["models"]["gpt-4"]["correct"] for r in rows], dtype=float)
    b, c = int(np.sum((s == 1) & (t == 0))), int(np.sum((s == 0) & (t == 1)))
    for gap in (g["overall"], g["slices"]["default"]):
        assert gap["gap"] == pytest.approx((s - t).mean(), abs=1e-12)
        assert gap["discordant"] == [b, c] and gap["verdict"] in ("non_inferior", "inferior", "inconclusive")
        assert gap["p_value_mcnemar"] == pytest.approx(mcnemar([[0, b], [c, 0]], exact=True).pvalue)
    h = report["analysis"]["gpt-3.5-turbo"]
    teacher_wrong = [r for r in rows if r["models"]["gpt-4"]["output"] != r["gold"]]
    copied_same = sum(
        1 for r in teacher_wrong if r["models"]["gpt-3.5-turbo"]["output"] == r["models"]["gpt-4"]["output"]
    )
    corrected = sum(1 for r in teacher_wrong if r["models"]["gpt-3.5-turbo"]["output"] == r["gold"])
    e = h["errors"]
    assert e["teacher_errors"] == len(teacher_wrong) and e["corrected"] == corrected
    assert e["copied_same_answer"] == copied_same and e["copied"] + e["corrected"] == e["teacher_errors"]
    assert sorted(x["name"].split(" ")[0] for x in h["by_class_frequency"]) == ["No", "Yes"]
    assert sum(x["n"] for x in h["by_input_length"]) == len(rows)
    assert {x["kind"] for x in h["examples"]} == {"lost", "copied", "corrected"}
    assert "| default | 1512 |" in md
