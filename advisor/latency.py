"""Latency and throughput (pure): timings to figures, the best point under the SLO, projections.

Summaries of measured timings, the best serving point under the p95 SLO, and projections to
hardware that is not present.

Measuring (the clock, warm-up, sweeps, memory) lives in :mod:`advisor.measure`; this module only
turns timings into figures. A projection is always labelled as such and lists its assumptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LatencySummary:
    """Percentiles of per-call latency in milliseconds."""

    p50: float
    p90: float
    p95: float
    p99: float
    mean: float
    n: int
    """Calls measured (0 for a projection)."""


def summarize_latency(latencies_ms: Sequence[float]) -> LatencySummary | None:
    """Percentiles (linear interpolation) of the given latencies; None when there are none."""
    x = np.asarray([v for v in latencies_ms if v is not None], dtype=np.float64)
    if x.size == 0:
        return None
    p50, p90, p95, p99 = np.percentile(x, [50, 90, 95, 99])
    return LatencySummary(float(p50), float(p90), float(p95), float(p99), float(x.mean()), int(x.size))


@dataclass(frozen=True)
class ThroughputPoint:
    """Throughput and per-call latency at one batch size and concurrency."""

    batch_size: int
    concurrency: int
    """Batches in flight at once."""
    calls_per_s: float
    latency: LatencySummary
    """Per-call latency: a call waits for its whole batch, so each call's latency is its batch's time."""


def throughput_point(
    batch_size: int, concurrency: int, batch_times_ms: Sequence[float], wall_s: float
) -> ThroughputPoint:
    """The point measured by running batches of ``batch_size``, ``concurrency`` at a time.

    Args:
        batch_size: calls per batch.
        concurrency: batches in flight at once.
        batch_times_ms: wall time of every batch, start to answer.
        wall_s: wall time of the whole measurement.

    Raises:
        ValueError: with no batches or a non-positive wall time.

    """
    if not batch_times_ms or wall_s <= 0:
        raise ValueError("a throughput point needs at least one batch and a positive wall time")
    lat = summarize_latency(batch_times_ms)
    assert lat is not None
    calls = batch_size * len(batch_times_ms)
    return ThroughputPoint(
        batch_size,
        concurrency,
        calls / wall_s,
        LatencySummary(lat.p50, lat.p90, lat.p95, lat.p99, lat.mean, calls),
    )


def best_under_slo(points: Sequence[ThroughputPoint], p95_slo_ms: float | None) -> ThroughputPoint | None:
    """The highest-throughput point whose p95 meets the SLO (any point without an SLO); None if none does."""
    ok = [p for p in points if p95_slo_ms is None or p.latency.p95 <= p95_slo_ms]
    return max(ok, key=lambda p: (p.calls_per_s, -p.latency.p95)) if ok else None


@dataclass(frozen=True)
class HardwareInfo:
    """The machine a model was measured on."""

    cpu: str
    cores: int
    """Logical CPUs this process may use."""
    platform: str
    gpu: str | None = None
    gpu_memory_gb: float | None = None

    def as_dict(self) -> dict[str, object]:
        """For report.json's ``hardware``."""
        return {
            "cpu": self.cpu,
            "cores": self.cores,
            "platform": self.platform,
            "gpu": self.gpu,
            "gpu_memory_gb": self.gpu_memory_gb,
        }


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def same_accelerator(local_gpu: str | None, target_accelerator: str | None) -> bool:
    """Whether the local GPU is the target's accelerator (``L4`` matches ``NVIDIA L4``, not ``L40S``)."""
    if not local_gpu or not target_accelerator:
        return False
    want = _words(target_accelerator.replace("(", " ").replace(")", " ")) - {"nvidia", "gb"}
    have = _words(local_gpu)
    return bool(want) and want <= have | {w.replace("gb", "") for w in have}


@dataclass(frozen=True)
class ModelFootprint:
    """What a roofline projection needs to know about a model."""

    params: int
    tokens_per_call: float
    """Mean input tokens per call."""
    bytes_per_param: float = 2.0
    """2 for fp16/bf16 weights on an accelerator."""


@dataclass(frozen=True)
class RooflineAssumptions:
    """Knobs of the roofline projection, reported with every projected figure."""

    compute_efficiency: float = 0.35
    """Share of peak 16-bit tensor TFLOPS a small encoder reaches."""
    bandwidth_efficiency: float = 0.6
    """Share of peak memory bandwidth reached when reading weights."""
    overhead_ms: float = 2.0
    """Fixed per-batch cost: kernel launches, tokenisation, host-device copies."""


@dataclass(frozen=True)
class Projection:
    """Throughput on hardware that is not present, derived rather than measured."""

    target: str
    method: str
    """``roofline`` (accelerator from the hardware catalogue) or ``cpu-core-scaling``."""
    sweep: tuple[ThroughputPoint, ...]
    assumptions: tuple[str, ...] = field(default_factory=tuple)


def project_roofline(
    footprint: ModelFootprint,
    target: str,
    peak_tflops: float,
    mem_bandwidth_gbps: float,
    batch_sizes: Sequence[int] = (1, 2, 4, 8, 16, 32, 64, 128, 256),
    assumptions: RooflineAssumptions | None = None,
) -> Projection:
    """Roofline projection of an encoder's throughput on an accelerator.

    A batch of ``b`` calls takes ``overhead + max(b x 2 x params x tokens / (eff_c x peak FLOPS),
    params x bytes / (eff_b x bandwidth))``: compute-bound when the batch is large, bound by reading
    the weights when it is small. Every call in the batch waits for the batch.

    Raises:
        ValueError: when a peak figure is not positive.

    """
    a = assumptions or RooflineAssumptions()
    if peak_tflops <= 0 or mem_bandwidth_gbps <= 0:
        raise ValueError("peak TFLOPS and memory bandwidth must be positive")
    flops_per_call = 2.0 * footprint.params * footprint.tokens_per_call
    weight_bytes = footprint.params * footprint.bytes_per_param
    points = []
    for b in batch_sizes:
        compute_s = b * flops_per_call / (a.compute_efficiency * peak_tflops * 1e12)
        memory_s = weight_bytes / (a.bandwidth_efficiency * mem_bandwidth_gbps * 1e9)
        t_ms = a.overhead_ms + 1000.0 * max(compute_s, memory_s)
        points.append(ThroughputPoint(b, 1, b / (t_ms / 1000.0), LatencySummary(t_ms, t_ms, t_ms, t_ms, t_ms, 0)))
    return Projection(
        target,
        "roofline",
        tuple(points),
        (
            f"{footprint.params / 1e6:.1f}M parameters, {footprint.tokens_per_call:.0f} tokens per call, "
            f"{footprint.bytes_per_param:g} bytes per weight",
            f"{a.compute_efficiency:.0%} of {peak_tflops:g} peak 16-bit TFLOPS, "
            f"{a.bandwidth_efficiency:.0%} of {mem_bandwidth_gbps:g} GB/s, {a.overhead_ms:g} ms per batch",
            "FLOPs = 2 x parameters x tokens (attention's quadratic term and activations ignored)",
            "latency is the batch time with no queueing; batches fill at peak load",
        ),
    )


def project_cpu_scaling(
    measured: Sequence[ThroughputPoint], local_cores: int, target_vcpus: int, target: str, local_cpu: str
) -> Projection:
    """Throughput on a CPU instance, scaled from this machine by the ratio of cores.

    Latency is kept as measured (more cores add throughput through more workers, not a faster call).

    Raises:
        ValueError: when a core count is not positive.

    """
    if local_cores <= 0 or target_vcpus <= 0:
        raise ValueError("core counts must be positive")
    k = target_vcpus / local_cores
    return Projection(
        target,
        "cpu-core-scaling",
        tuple(ThroughputPoint(p.batch_size, p.concurrency, p.calls_per_s * k, p.latency) for p in measured),
        (
            f"throughput x {target_vcpus}/{local_cores} (target vCPUs / cores here)",
            f"per-core speed of this machine ({local_cpu}) assumed for the target's CPUs",
            "latency as measured here",
        ),
    )
