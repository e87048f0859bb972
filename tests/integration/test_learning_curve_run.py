"""``advisor run`` with a learning curve: held-out points, the fitted law, the label budget in the costs."""

from __future__ import annotations

import asyncio
import json
import math
import statistics
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from advisor.backends.base import GenerateRequest
from advisor.distill.classifier import DistilledClassifier
from advisor.distill.curve import CurvePoint, fit_power_law
from advisor.errors import SpecError
from advisor.pipeline import learning_curve_report, run_pipeline
from advisor.report import write_reports
from advisor.report.schema_export import SCHEMA_FILE
from advisor.spec import LearningCurveSpec, parse_spec

pytestmark = pytest.mark.slow

TICKETS = Path(__file__).resolve().parents[2] / "advisor" / "demo" / "data" / "support_tickets.jsonl"
TEACHER_USD = 0.002
SIZES = [30, 60, 120, 240]
SEEDS = [0, 1]


def _samples(tmp_path: Path, *, noisy: bool = True) -> Path:
    """The demo tickets with a recorded teacher, wrong on every 7th ticket when ``noisy``."""
    rows = [json.loads(line) for line in TICKETS.read_text().splitlines() if line.strip()]
    labels = sorted({r["reference"] for r in rows})
    out = []
    for i, r in enumerate(rows):
        answer = r["reference"] if i % 7 or not noisy else labels[(labels.index(r["reference"]) + 1) % len(labels)]
        out.append({**r, "outputs": {"teacher": {"output": answer, "cost_usd": TEACHER_USD}}})
    path = tmp_path / "tickets.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in out))
    return path


def _spec(samples: Path, max_gap: float) -> dict[str, Any]:
    return {
        "task": {"type": "classification"},
        "samples": {"path": str(samples)},
        "teacher": {"name": "teacher", "backend": "recorded"},
        "students": [
            {
                "name": "tfidf",
                "backend": "distill",
                "base": "tfidf",
                "learning_curve": {"sizes": SIZES, "seeds": SEEDS, "n_boot": 50},
            }
        ],
        "split": {"train_fraction": 0.4, "seed": 3},
        "constraints": {"max_gap": max_gap},
        "n_bootstrap": 200,
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[dict[str, Any]], Path]:
    tmp = tmp_path_factory.mktemp("curve")
    rows: list[dict[str, Any]] = []
    report = asyncio.run(run_pipeline(parse_spec(_spec(_samples(tmp), 0.12)), on_predictions=rows.extend))
    return report, rows, tmp


def test_points_are_measured_on_held_out_rows(run: tuple[Any, list[dict[str, Any]], Path]) -> None:
    report, rows, _ = run
    lc = report.models["tfidf"].learning_curve
    assert lc is not None and report.models["teacher"].learning_curve is None
    train = [r for r in rows if r["split"] == "train"]
    evaluate = [r for r in rows if r["split"] == "eval"]
    assert lc.n_eval == len(evaluate) == report.dataset.n_eval
    assert sorted((x.n, x.seed) for x in lc.runs) == sorted((n, s) for n in SIZES for s in SEEDS)

    # Recompute one point from scratch: the first 60 of seed 1's shuffle of the training split.
    n, seed = 60, 1
    pick = [train[i] for i in np.random.default_rng(seed).permutation(len(train))[:n]]
    assert not {r["id"] for r in pick} & {r["id"] for r in evaluate}
    student = DistilledClassifier("check", "tfidf", seed=seed)
    asyncio.run(
        student.fit(
            _inputs(run, pick),
            [r["predictions"]["teacher"]["label"] for r in pick],
        )
    )
    texts = _inputs(run, evaluate)
    gens = asyncio.run(
        student.generate_batch([GenerateRequest(r["id"], t) for r, t in zip(evaluate, texts, strict=True)])
    )
    pred = np.array([g.label for g in gens])
    gold = np.array([r["reference"] for r in evaluate])
    teacher = np.array([r["predictions"]["teacher"]["label"] for r in evaluate])
    point = next(x for x in lc.runs if (x.n, x.seed) == (n, seed))
    assert point.quality == pytest.approx(float(np.mean(pred == gold)), abs=1e-12)
    assert point.agreement == pytest.approx(float(np.mean(pred == teacher)), abs=1e-12)

    for p in lc.points:
        qs = [x.quality for x in lc.runs if x.n == p.n]
        assert p.seeds == len(qs) and p.quality_mean == pytest.approx(statistics.fmean(qs))
        assert p.quality_sd == pytest.approx(statistics.stdev(qs))


def _inputs(run: tuple[Any, list[dict[str, Any]], Path], rows: list[dict[str, Any]]) -> list[str]:
    """The input texts of prediction rows (which carry ids, not inputs)."""
    lines = (run[2] / "tickets.jsonl").read_text().splitlines()
    by_id = {r["id"]: r["input"] for r in map(json.loads, lines)}
    return [by_id[r["id"]] for r in rows]


def test_fit_budget_and_one_time_cost(run: tuple[Any, list[dict[str, Any]], Path]) -> None:
    report, _, _ = run
    lc = report.models["tfidf"].learning_curve
    assert lc is not None and lc.fit is not None
    fit = fit_power_law([x.n for x in lc.runs], [x.quality for x in lc.runs])
    assert (lc.fit.asymptote, lc.fit.scale, lc.fit.exponent) == pytest.approx(
        (fit.asymptote, fit.scale, fit.exponent), rel=1e-9
    )
    assert lc.teacher_quality == report.models["teacher"].quality
    assert lc.target == pytest.approx(lc.teacher_quality - 0.12)
    assert lc.target < fit.asymptote, "this set-up is chosen so that the target is reachable"
    # Inverting a - b n^-c = target by hand.
    by_hand = (fit.scale / (fit.asymptote - lc.target)) ** (1 / fit.exponent)
    assert lc.predicted_labels_for_target == pytest.approx(by_hand, rel=1e-9)
    assert lc.labels_costed == max(1, math.ceil(by_hand)) != report.dataset.n_train
    assert lc.predicted_labels_ci is not None
    # Back-test: the curve fitted to the sizes below 240, evaluated at 240, against 240's mean.
    early = fit_power_law([x.n for x in lc.runs if x.n < 240], [x.quality for x in lc.runs if x.n < 240])
    assert lc.backtest is not None and lc.backtest.held_out_size == 240
    assert lc.backtest.predicted == pytest.approx(early.asymptote - early.scale * 240**-early.exponent, rel=1e-9)
    assert lc.backtest.measured == pytest.approx(statistics.fmean(x.quality for x in lc.runs if x.n == 240))
    parts = report.cost_model.options["distill:tfidf"].one_time_parts
    assert parts["teacher_labelling"] == pytest.approx(lc.labels_costed * TEACHER_USD)
    assert parts["evaluation"] == pytest.approx(report.dataset.n_eval * TEACHER_USD)


def test_report_files_show_the_curve(run: tuple[Any, list[dict[str, Any]], Path]) -> None:
    report, _, tmp = run
    paths = write_reports(report, tmp / "out", pdf=False)
    doc = json.loads(paths["json"].read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(doc)
    assert (
        doc["models"]["tfidf"]["learning_curve"]["labels_costed"] == report.models["tfidf"].learning_curve.labels_costed
    )
    md = paths["md"].read_text()
    assert "## Learning curves" in md and "Back-test: fitted without n=240" in md
    for n in SIZES:
        assert f"\n| {n:,} | {len(SEEDS)} |" in md
    html = paths["html"].read_text()
    assert 'data-plot="curve-tfidf"' in html and "<h2>Learning curves</h2>" in html


def test_unreachable_target_keeps_the_labels_run_and_warns(run: tuple[Any, list[dict[str, Any]], Path]) -> None:
    report, _, _ = run
    lc = report.models["tfidf"].learning_curve
    points = [CurvePoint(x.n, x.seed, x.quality, x.agreement) for x in lc.runs]
    warnings: list[str] = []
    # A perfect teacher and no margin: a target of 100%, above any fitted asymptote (bounded by 1).
    out = learning_curve_report(
        "tfidf",
        points,
        teacher_quality=1.0,
        max_gap=0.0,
        lc=LearningCurveSpec(sizes=SIZES, seeds=SEEDS, n_boot=20),
        labelled=288,
        metric="accuracy",
        n_eval=lc.n_eval,
        rng=np.random.default_rng(0),
        warnings=warnings,
    )
    assert out.fit is not None and out.fit.asymptote <= out.target == 1.0
    assert out.predicted_labels_for_target is None and out.labels_costed == 288
    assert out.predicted_labels_ci is not None and out.predicted_labels_ci[1] is None
    levels_off = [w for w in warnings if "levels off" in w]
    assert len(levels_off) == 1 and "keeps this run's 288 labels" in levels_off[0]
    # With no margin, any back-test miss is worth a warning.
    assert out.backtest is not None and abs(out.backtest.predicted - out.backtest.measured) > 0
    assert [w for w in warnings if "fitted without its largest size" in w] == [warnings[1]]


def test_spec_rejects_curves_that_cannot_run(tmp_path: Path) -> None:
    base = _spec(tmp_path / "s.jsonl", 0.1)
    recorded = {**base, "students": [{"name": "s", "backend": "recorded", "learning_curve": {}}]}
    with pytest.raises(SpecError, match="learning_curve needs backend 'distill'"):
        parse_spec(recorded)
    two = {**base, "students": [{**base["students"][0], "learning_curve": {"sizes": [10, 20, 20]}}]}
    with pytest.raises(SpecError, match="at least three distinct sizes"):
        parse_spec(two)
