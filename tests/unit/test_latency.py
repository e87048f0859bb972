"""Latency summaries, the serving point under the SLO, projections, and real measurement of a local model."""

from __future__ import annotations

import asyncio
import datetime as dt

import numpy as np
import pytest

from advisor.backends.base import GenerateRequest
from advisor.distill.classifier import DistilledClassifier
from advisor.latency import (
    HardwareInfo,
    LatencySummary,
    ModelFootprint,
    RooflineAssumptions,
    ThroughputPoint,
    best_under_slo,
    project_cpu_scaling,
    project_roofline,
    same_accelerator,
    summarize_latency,
    throughput_point,
)
from advisor.measure import (
    LocalProfile,
    SweepPlan,
    detect_hardware,
    estimate_serving,
    measure_local,
    self_hosted_figure,
)
from advisor.model import Model
from advisor.pricing import InstancePrice, load_catalog


def _lat(p95: float) -> LatencySummary:
    return LatencySummary(p95 / 2, p95 * 0.9, p95, p95 * 1.1, p95 / 2, 10)


def test_summary_matches_numpy_percentiles() -> None:
    x = [5.0, 1.0, 3.0, 9.0, 7.0, 2.0, 8.0]
    s = summarize_latency(x)
    assert s is not None
    ref = np.percentile(np.array(x), [50, 90, 95, 99])
    assert (s.p50, s.p90, s.p95, s.p99) == pytest.approx(tuple(ref))
    assert s.mean == pytest.approx(5.0) and s.n == 7
    assert summarize_latency([]) is None


def test_throughput_point_by_hand() -> None:
    # 3 batches of 8 in 0.5 s -> 24 calls / 0.5 s = 48 calls/s; each call's latency is its batch's time
    p = throughput_point(8, 1, [100.0, 120.0, 140.0], 0.5)
    assert p.calls_per_s == pytest.approx(48.0)
    assert p.latency.p50 == pytest.approx(120.0) and p.latency.n == 24
    with pytest.raises(ValueError):
        throughput_point(8, 1, [], 1.0)


def test_best_under_slo_takes_the_fastest_point_that_meets_it() -> None:
    pts = [
        ThroughputPoint(1, 1, 10.0, _lat(50)),
        ThroughputPoint(8, 1, 40.0, _lat(200)),
        ThroughputPoint(32, 1, 90.0, _lat(900)),
    ]
    assert best_under_slo(pts, 300).batch_size == 8  # type: ignore[union-attr]
    assert best_under_slo(pts, None).batch_size == 32  # type: ignore[union-attr]
    assert best_under_slo(pts, 20) is None


def test_same_accelerator() -> None:
    assert same_accelerator("NVIDIA L4", "L4")
    assert not same_accelerator("NVIDIA L40S", "L4")
    assert same_accelerator("NVIDIA H100 80GB HBM3", "H100")
    assert same_accelerator("NVIDIA A100-SXM4-80GB", "A100-80GB")
    assert not same_accelerator(None, "L4")


def test_roofline_by_hand() -> None:
    # 10M params, 50 tokens: 2 * 10e6 * 50 = 1e9 FLOPs/call; weights 2e7 bytes.
    # peak 100 TFLOPS at 50% = 5e13 FLOP/s; 1000 GB/s at 50% = 5e11 B/s; overhead 1 ms.
    a = RooflineAssumptions(compute_efficiency=0.5, bandwidth_efficiency=0.5, overhead_ms=1.0)
    proj = project_roofline(ModelFootprint(10_000_000, 50), "X", 100.0, 1000.0, (1, 1000), a)
    b1, b1000 = proj.sweep
    # batch 1: compute 1e9/5e13 = 0.02 ms, memory 2e7/5e11 = 0.04 ms (bandwidth-bound) -> 1.04 ms
    assert b1.latency.p95 == pytest.approx(1.04)
    assert b1.calls_per_s == pytest.approx(1 / 1.04e-3)
    # batch 1000: compute 1e12/5e13 = 20 ms (compute-bound) -> 21 ms, 1000 / 0.021 s
    assert b1000.latency.p95 == pytest.approx(21.0)
    assert b1000.calls_per_s == pytest.approx(1000 / 0.021)
    assert proj.method == "roofline" and any("FLOPs" in x for x in proj.assumptions)


def test_cpu_core_scaling() -> None:
    pts = [ThroughputPoint(4, 1, 30.0, _lat(100))]
    proj = project_cpu_scaling(pts, local_cores=2, target_vcpus=8, target="aws/m7i.2xlarge", local_cpu="X")
    assert proj.sweep[0].calls_per_s == pytest.approx(120.0)
    assert proj.sweep[0].latency.p95 == 100
    assert proj.method == "cpu-core-scaling"


def _profile(cores: int, gpu: str | None = None) -> LocalProfile:
    sweep = (ThroughputPoint(1, 1, 10.0, _lat(50)), ThroughputPoint(16, 1, 60.0, _lat(250)))
    return LocalProfile(HardwareInfo("cpu", cores, "linux", gpu), 10.0, _lat(50), sweep, 50.0, 500.0, None)


def _instance(vcpus: int, accel: str | None = None, spec: str | None = None) -> InstancePrice:
    return InstancePrice(
        "aws", "x", accel, vcpus, 0.2, "test", "2026-11-22", dt.date(2026, 11, 22), 1 if accel else 0, spec
    )


def test_estimate_serving_measured_projected_and_unknown() -> None:
    cat = load_catalog()
    same = estimate_serving(_profile(2), _instance(2), cat, 300, local_is_target=True)
    assert same is not None and same.basis == "measured" and same.point is not None
    assert same.point.batch_size == 16  # 60 calls/s at p95 250 <= 300
    # same core count but not declared: the CPU model is unknown, so it is a (x1) projection
    undeclared = estimate_serving(_profile(2), _instance(2), cat, 300)
    assert undeclared is not None and undeclared.basis == "projected"
    assert undeclared.point is not None and undeclared.point.calls_per_s == pytest.approx(60.0)
    on_gpu = estimate_serving(_profile(2, "NVIDIA L4"), _instance(4, "L4", "NVIDIA L4"), cat, 300)
    assert on_gpu is not None and on_gpu.basis == "measured"
    tight = estimate_serving(_profile(2), _instance(2), cat, 100)
    assert tight is not None and tight.point is not None and tight.point.batch_size == 1
    bigger = estimate_serving(_profile(2), _instance(8), cat, 300)
    assert bigger is not None and bigger.basis == "projected" and bigger.method == "cpu-core-scaling"
    assert bigger.point is not None and bigger.point.calls_per_s == pytest.approx(240.0)
    gpu = estimate_serving(_profile(2), _instance(4, "L4", "NVIDIA L4"), cat, 300, ModelFootprint(22_700_000, 40))
    assert gpu is not None and gpu.basis == "projected" and gpu.method == "roofline"
    assert gpu.point is not None and gpu.point.calls_per_s > 1000
    # a GPU target with an unknown model size (or an accelerator missing from hardware.csv): no figure
    assert estimate_serving(_profile(2), _instance(4, "L4", "NVIDIA L4"), cat, 300, None) is None
    assert estimate_serving(_profile(2), _instance(4, "V100", None), cat, 300, ModelFootprint(1, 1)) is None
    # none meets the SLO: the lowest-latency point is used and flagged
    none = estimate_serving(_profile(2), _instance(2), cat, 10)
    assert none is not None and none.point is None and none.used is not None and none.used.batch_size == 1


def test_self_hosted_figure_by_hand() -> None:
    est = estimate_serving(_profile(2), _instance(2), load_catalog(), 300, local_is_target=True)
    assert est is not None
    fig = self_hosted_figure(
        est, 0.2, "test", 1_000_000, peak_to_average=2.0, min_replicas=1, utilisation=0.5, p95_slo_ms=300
    )
    assert fig is not None
    # 60 calls/s * 0.5 * 2,628,000 s / 2 = 39.42M calls per replica-month -> 1 replica;
    # $0.2 * 730 = $146/month over 1M calls = $0.000146/call
    assert fig.fleet.replicas == 1
    assert fig.usd_per_call == pytest.approx(0.000146)
    assert fig.source.startswith("measured: 60 calls/s at batch 16")


def test_detect_hardware_reports_this_machine() -> None:
    hw = detect_hardware()
    assert hw.cores >= 1 and hw.cpu
    assert set(hw.as_dict()) == {"cpu", "cores", "platform", "gpu", "gpu_memory_gb"}


def test_measure_local_times_a_real_model() -> None:
    texts = [f"refund for order {i} please" for i in range(20)] + [f"the app crashes on screen {i}" for i in range(20)]
    labels = ["billing"] * 20 + ["bug"] * 20
    student = DistilledClassifier("tfidf-student", "tfidf")
    asyncio.run(student.fit(texts, labels))
    reqs = [GenerateRequest(f"s{i}", t, labels=("billing", "bug")) for i, t in enumerate(texts)]
    plan = SweepPlan(
        batch_sizes=(1, 8),
        concurrencies=(1, 2),
        warmup_calls=2,
        latency_calls=10,
        min_calls_per_point=16,
        min_batches_per_point=2,
        max_seconds_per_point=2.0,
    )
    gens, prof = asyncio.run(measure_local(Model(student, batch_size=16), reqs, plan=plan))
    assert set(gens) == {r.sample_id for r in reqs}
    assert gens["s0"].label == "billing" and gens["s39"].label == "bug"
    assert prof.single is not None and prof.single.n == 10
    assert prof.cold_start_ms > 0 and prof.bulk_calls_per_s > 0 and prof.peak_rss_mb > 10
    assert {(p.batch_size, p.concurrency) for p in prof.sweep} | {
        tuple(int(x) for x in s.split(" (")[0].replace("batch ", "").split(" x concurrency "))
        for s in prof.skipped  # type: ignore[misc]
    } == {(1, 1), (8, 1), (1, 2), (8, 2)}
    for p in prof.sweep:
        assert p.calls_per_s > 0 and p.latency.n >= p.batch_size
