"""`advisor run` on the FrugalGPT OVERRULING logs, checked against an independent computation."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from advisor.cli import main
from tests.conftest import shared_data_file

SPEC = """
task: {{type: classification, labels: ["Yes", "No"]}}
samples: {{path: {path}, mapping: {{reference: gold, outputs: models}}}}
teacher: {{name: gpt-4, backend: recorded}}
students:
{students}
constraints: {{max_gap: 0.05, confidence: 0.95, monthly_volume: 1000000}}
split: {{train_fraction: 0.3, seed: 7}}
seed: 3
"""


def run(tmp_path: Path, students: str) -> tuple[dict, list[dict], dict[str, dict]]:
    data = shared_data_file("frugalgpt_overruling")
    (tmp_path / "spec.yaml").write_text(SPEC.format(path=data, students=students))
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "spec.yaml"), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    raw = {r["id"]: r for r in map(json.loads, data.read_text().splitlines())}
    assert (out / "report.md").read_text().startswith("# Distillation Advisor report")
    return report, preds, raw


def scipy_paired_ci(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, float]:
    res = stats.bootstrap(
        (a, b),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        paired=True,
        vectorized=True,
        method="percentile",
        confidence_level=confidence,
        n_resamples=20000,
        random_state=np.random.default_rng(11),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def test_recorded_students_match_independent_computation(tmp_path: Path) -> None:
    report, preds, raw = run(tmp_path, "  - {name: gpt-3.5-turbo, backend: recorded}")
    ids = [p["id"] for p in preds]
    assert all(p["split"] == "eval" for p in preds) and len(ids) == len(raw) == 1512
    # Independent: the source's own `correct` column and costs.
    t_ok = np.array([raw[i]["models"]["gpt-4"]["correct"] for i in ids], dtype=float)
    s_ok = np.array([raw[i]["models"]["gpt-3.5-turbo"]["correct"] for i in ids], dtype=float)
    agree = np.mean(
        [
            raw[i]["models"]["gpt-3.5-turbo"]["output"] == raw[i]["models"]["gpt-4"]["output"]
            and raw[i]["models"]["gpt-4"]["output"] in ("Yes", "No")
            for i in ids
        ]
    )
    t, s = report["models"]["gpt-4"], report["models"]["gpt-3.5-turbo"]
    assert t["role"] == "teacher" and s["role"] == "student"
    assert t["quality"] == pytest.approx(t_ok.mean(), abs=1e-12)
    assert s["quality"] == pytest.approx(s_ok.mean(), abs=1e-12)
    assert s["agreement_with_teacher"] == pytest.approx(agree, abs=1e-12)
    assert t["cost_per_call_usd"] == pytest.approx(np.mean([raw[i]["models"]["gpt-4"]["cost_usd"] for i in ids]))
    assert s["cost_per_call_usd"] == pytest.approx(
        np.mean([raw[i]["models"]["gpt-3.5-turbo"]["cost_usd"] for i in ids])
    )
    # By hand from the data README: gpt-4 ~0.951 at ~$0.009/call, gpt-3.5-turbo ~0.90 at ~$0.0006.
    assert 0.93 < t["quality"] < 0.97 and 0.88 < s["quality"] < 0.93
    gap = report["gaps"]["gpt-3.5-turbo"]["overall"]
    assert gap["gap"] == pytest.approx(s_ok.mean() - t_ok.mean(), abs=1e-12)
    lo, hi = scipy_paired_ci(s_ok, t_ok, 0.95)
    assert gap["ci"][0] == pytest.approx(lo, abs=0.004) and gap["ci"][1] == pytest.approx(hi, abs=0.004)
    # non_inferior overall is the unadjusted one-sided test at (1 - 0.95) / 2 (Tango's score test, 0/1 outcomes).
    b, c = int(np.sum((s_ok == 1) & (t_ok == 0))), int(np.sum((s_ok == 0) & (t_ok == 1)))
    n, d0 = s_ok.size, -0.05
    # Tango's restricted MLE of p21 under gap = d0, from its closed form (Tango 1998, eq. 4).
    bb = -b / n - c / n + (2 - b / n + c / n) * d0
    q21 = (-bb + np.sqrt(bb**2 + 8 * (c / n) * d0 * (1 - d0))) / 4
    z = (b - c - n * d0) / np.sqrt(n * (2 * q21 + d0 * (1 - d0)))
    assert gap["p_value_noninferiority"] == pytest.approx(stats.norm.sf(z), rel=1e-9)
    assert gap["non_inferior"] == (stats.norm.sf(z) < 0.025) == (gap["verdict"] == "non_inferior")
    q_lo, q_hi = stats.bootstrap(
        (t_ok,), np.mean, method="percentile", n_resamples=20000, random_state=np.random.default_rng(1)
    ).confidence_interval
    assert t["quality_ci"][0] == pytest.approx(q_lo, abs=0.004) and t["quality_ci"][1] == pytest.approx(q_hi, abs=0.004)
    assert list(report["gaps"]["gpt-3.5-turbo"]["slices"]) == ["default"]
    # The ~4.7-point loss is beyond a 5-point margin's CI: the student alone is not shown non-inferior.
    assert report["verdict"]["decision"] in ("keep_teacher", "route", "distill")
    assert report["schema_version"] == "1.0" and report["verdict"]["reason"]


@pytest.mark.slow
def test_distilled_minilm_student_trains_on_a_split_never_evaluated(tmp_path: Path) -> None:
    report, preds, raw = run(
        tmp_path,
        "  - {name: gpt-3.5-turbo, backend: recorded}\n  - {name: minilm-distilled, backend: distill, base: minilm}",
    )
    train = [p for p in preds if p["split"] == "train"]
    ev = [p for p in preds if p["split"] == "eval"]
    assert len(train) == round(1512 * 0.3) and len(train) + len(ev) == 1512
    assert not {p["id"] for p in train} & {p["id"] for p in ev}
    m = report["models"]["minilm-distilled"]
    assert m["training"]["train_examples"] <= len(train)
    assert report["dataset"]["n_eval"] == len(ev) and report["dataset"]["n_train"] == len(train)
    gold = np.array([raw[p["id"]]["gold"] for p in ev])
    student = np.array([p["predictions"]["minilm-distilled"]["label"] for p in ev])
    teacher = np.array([p["predictions"]["gpt-4"]["label"] for p in ev])
    assert m["quality"] == pytest.approx(np.mean(student == gold), abs=1e-12)
    assert m["agreement_with_teacher"] == pytest.approx(np.mean(student == teacher), abs=1e-12)
    t_ok = np.array([raw[p["id"]]["models"]["gpt-4"]["correct"] for p in ev])
    assert report["models"]["gpt-4"]["quality"] == pytest.approx(t_ok.mean(), abs=1e-12)
    assert m["latency_ms"]["source"] == "measured" and 0 < m["latency_ms"]["p50"] <= m["latency_ms"]["p95"]
    assert m["cost_source"].startswith("projected") and m["cost_per_call_usd"] > 0
    # A frozen-encoder student is far from a 5-point margin on legal text, and the gap says so.
    assert m["quality"] > 0.6
    assert report["gaps"]["minilm-distilled"]["overall"]["gap"] == pytest.approx(
        m["quality"] - report["models"]["gpt-4"]["quality"], abs=1e-12
    )
