"""`advisor run` routes on the FrugalGPT OVERRULING logs (no model reports a confidence).

Signals that need no confidence: agreement with a second cheap model, and a learned scorer.
Figures are checked against the raw file: costs, escalation and loss recomputed by hand.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from advisor.cli import main
from tests.conftest import shared_data_file

SPEC = """
task: {{type: classification, labels: ["Yes", "No"]}}
samples: {{path: {path}, mapping: {{reference: gold, outputs: models}}}}
teacher: {{name: gpt-4, backend: recorded}}
students:
  - {{name: gpt-3.5-turbo, backend: recorded}}
  - {{name: xlarge, backend: recorded}}
constraints: {{max_gap: 0.02, confidence: 0.95, monthly_volume: 1000000, delta: 0.1}}
routing: {routing}
seed: 5
"""


def run(tmp_path: Path, routing: str) -> tuple[dict, dict, str]:
    data = shared_data_file("frugalgpt_overruling")
    (tmp_path / "spec.yaml").write_text(SPEC.format(path=data, routing=routing))
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "spec.yaml"), "--out", str(out)]) == 0
    raw = {r["id"]: r for r in map(json.loads, data.read_text().splitlines())}
    return json.loads((out / "report.json").read_text()), raw, (out / "report.md").read_text()


def test_agreement_route_matches_hand_computation(tmp_path: Path) -> None:
    report, raw, md = run(tmp_path, "{signal: agreement, with: [xlarge]}")
    rt = report["routes"]["gpt-3.5-turbo"]
    assert rt["signal"] == "agreement:xlarge" and rt["tiers"] == ["gpt-3.5-turbo", "xlarge", "gpt-4"]
    m = {k: np.array([r["models"][k]["output"] for r in raw.values()]) for k in ("gpt-3.5-turbo", "xlarge")}
    ok = {k: np.array([r["models"][k]["correct"] for r in raw.values()], float) for k in ("gpt-3.5-turbo", "gpt-4")}
    cost = {
        k: np.mean([r["models"][k]["cost_usd"] for r in raw.values()]) for k in ("gpt-3.5-turbo", "xlarge", "gpt-4")
    }
    agree = m["gpt-3.5-turbo"] == m["xlarge"]
    # Agreement is 0 or 1: a certified threshold keeps exactly the agreed answers.
    full_loss = np.mean(agree & (ok["gpt-4"] == 1) & (ok["gpt-3.5-turbo"] == 0))
    g = rt["guarantee"]
    assert g["delta"] == pytest.approx(0.05)  # 0.1 shared by the two students' routes (Bonferroni)
    assert g["method"] == "ltt-binomial" and g["n_calibration"] + g["n_test"] == len(raw)
    if rt["certified"]:
        assert rt["threshold"] > 0.0
        assert rt["test_escalation_rate"] == pytest.approx(1 - agree.mean(), abs=0.05)
        assert full_loss <= 0.02 and g["held_on_test"] == (g["test_risk"] <= 0.02)
        first = cost["gpt-3.5-turbo"] + cost["xlarge"]
        assert rt["cost_per_call_usd"] == pytest.approx(first + rt["test_escalation_rate"] * cost["gpt-4"], rel=1e-6)
    assert report["verdict"]["reason"] and report["verdict"]["binding_constraint"]
    assert "## Routes" in md and "agreement:xlarge" in md


@pytest.mark.slow
def test_learned_scorer_route_and_verdict(tmp_path: Path) -> None:
    report, raw, md = run(tmp_path, "{signal: learned}")
    rt = report["routes"]["gpt-3.5-turbo"]
    g = rt["guarantee"]
    assert rt["signal"] == "learned" and g["n_calibration"] == 504 and g["n_test"] == 504
    assert rt["certified"] and g["calibration_risk"] <= 0.02
    t_cost = np.mean([r["models"]["gpt-4"]["cost_usd"] for r in raw.values()])
    s_cost = np.mean([r["models"]["gpt-3.5-turbo"]["cost_usd"] for r in raw.values()])
    assert rt["cost_per_call_usd"] == pytest.approx(s_cost + rt["test_escalation_rate"] * t_cost, rel=1e-6)
    # better than a random router (APGR 0.5); above 1 where the route beats the teacher somewhere
    assert rt["apgr"] > 0.5 and 0 <= rt["cpt50"] <= rt["cpt80"] <= 1
    assert rt["test_escalation_ci"][0] <= rt["test_escalation_rate"] <= rt["test_escalation_ci"][1]
    v = report["verdict"]
    # gpt-3.5-turbo alone loses ~4 points (beyond the 2-point margin); a certified, cheaper route wins.
    assert report["gaps"]["gpt-3.5-turbo"]["overall"]["non_inferior"] is False
    if g["held_on_test"]:
        assert v["decision"] == "route" and v["student"] == "gpt-3.5-turbo"
        assert v["binding_constraint"] == "quality_gap" and v["guarantee"]["delta"] == pytest.approx(0.05)
        sv = v["savings"]
        assert sv["monthly_usd"] == pytest.approx((t_cost - rt["cost_per_call_usd"]) * 1_000_000, rel=1e-6)
        assert sv["monthly_ci"][0] <= sv["monthly_usd"] <= sv["monthly_ci"][1]
        assert "Guarantee:" in md and "Expected saving" in md
