"""Measuring local models with the clock, and the serving point on the target instance.

Warm-up, cold start, single-call latency, throughput versus batch size and concurrency, peak
memory, and the hardware it all ran on. Then, for the instance a student is priced on: the
serving point (the highest throughput whose p95 meets the SLO), measured when that hardware is
this machine, else projected (roofline from the hardware catalogue for an accelerator, core
scaling for a CPU instance) and labelled so.
"""

from __future__ import annotations

import asyncio
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .backends.base import Backend, GenerateRequest, Generation
from .costs import FleetCost, SelfHosting, fleet_cost
from .latency import (
    HardwareInfo,
    LatencySummary,
    ModelFootprint,
    Projection,
    RooflineAssumptions,
    ThroughputPoint,
    best_under_slo,
    project_cpu_scaling,
    project_roofline,
    same_accelerator,
    summarize_latency,
    throughput_point,
)
from .model import Model
from .pricing import Catalog, InstancePrice

ProgressFn = Callable[[str, int, int], None]
Basis = Literal["measured", "projected"]


def detect_hardware() -> HardwareInfo:
    """CPU model, usable cores, platform, and the GPU when torch is loaded and sees one."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    gpu = gpu_mem = None
    torch: Any = sys.modules.get("torch")  # never import torch just to look
    if torch is not None and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        gpu, gpu_mem = str(props.name), round(props.total_memory / 2**30, 1)
    return HardwareInfo(cpu, cores, platform.platform(), gpu, gpu_mem)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def peak_gpu_mb() -> float | None:
    """Peak GPU memory torch allocated in this process, in MiB (None without a GPU)."""
    torch: Any = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    return float(torch.cuda.max_memory_allocated()) / 2**20


@dataclass(frozen=True)
class SweepPlan:
    """How hard to measure; the defaults keep a run on 2 CPU cores within tens of seconds per model."""

    batch_sizes: tuple[int, ...] = (1, 4, 16, 64)
    concurrencies: tuple[int, ...] = (1, 2)
    warmup_calls: int = 5
    latency_calls: int = 100
    min_calls_per_point: int = 64
    min_batches_per_point: int = 3
    max_seconds_per_point: float = 6.0
    budget_s: float = 40.0
    """Whole sweep; points left when it runs out are skipped (and reported as skipped)."""


@dataclass(frozen=True)
class LocalProfile:
    """Everything measured about one local model on this machine."""

    hardware: HardwareInfo
    cold_start_ms: float
    """Wall time of the first call after the backend was built (includes lazy loading of weights
    that were not loaded yet; a student trained in this run already has them in memory)."""
    single: LatencySummary | None
    """Per-call latency at batch size 1, after warm-up."""
    sweep: tuple[ThroughputPoint, ...]
    bulk_calls_per_s: float
    """Throughput while predicting the evaluation examples at the model's batch size."""
    peak_rss_mb: float
    """Peak resident memory of the whole process after this model ran."""
    peak_gpu_mb: float | None
    skipped: tuple[str, ...] = ()
    """Sweep points left out (time budget, or already far over the SLO)."""


async def _timed_batch(backend: Backend, batch: Sequence[GenerateRequest]) -> float:
    t0 = time.perf_counter()
    await backend.generate_batch(batch)
    return (time.perf_counter() - t0) * 1000.0


async def sweep_point(
    backend: Backend, requests: Sequence[GenerateRequest], batch_size: int, concurrency: int, plan: SweepPlan
) -> ThroughputPoint:
    """Run rounds of ``concurrency`` batches of ``batch_size`` at once; time each batch and the whole."""
    times: list[float] = []
    i = 0
    n = len(requests)
    start = time.perf_counter()
    while True:
        batches = []
        for _ in range(concurrency):
            batches.append([requests[(i + k) % n] for k in range(batch_size)])
            i += batch_size
        times += await asyncio.gather(*(_timed_batch(backend, b) for b in batches))
        elapsed = time.perf_counter() - start
        enough = len(times) * batch_size >= plan.min_calls_per_point and len(times) >= plan.min_batches_per_point
        if enough or elapsed >= plan.max_seconds_per_point:
            return throughput_point(batch_size, concurrency, times, elapsed)


async def measure_local(
    model: Model,
    requests: Sequence[GenerateRequest],
    *,
    plan: SweepPlan | None = None,
    p95_slo_ms: float | None = None,
    progress: ProgressFn | None = None,
) -> tuple[dict[str, Generation], LocalProfile]:
    """Answer every request with a local model and profile it.

    Order: cold start (first single call), warm-up, predictions for every request in batches
    (bulk throughput), single-call latency, then the batch-size x concurrency sweep. For each
    concurrency, batch sizes grow until a point's p95 is over twice the SLO or its throughput
    falls below 75% of the best so far (clearly past the peak, not noise).

    Raises:
        ValueError: when there are no requests.

    """
    if not requests:
        raise ValueError("measure_local needs at least one request")
    plan = plan or SweepPlan()
    backend = model.backend
    name = model.name
    t0 = time.perf_counter()
    await backend.generate(requests[0])
    cold_ms = (time.perf_counter() - t0) * 1000.0
    await backend.generate_batch(list(requests[: max(plan.batch_sizes)]))
    for r in requests[: plan.warmup_calls]:
        await backend.generate(r)

    stage = f"{name}: predict"
    start = time.perf_counter()
    gens = await model.generate_all(requests, lambda d, t: progress(stage, d, t) if progress else None)
    bulk = len(requests) / max(time.perf_counter() - start, 1e-9)

    timings: list[float] = []
    for k in range(plan.latency_calls):
        r = requests[k % len(requests)]
        t1 = time.perf_counter()
        await backend.generate(r)
        timings.append((time.perf_counter() - t1) * 1000.0)
        if progress:
            progress(f"{name}: latency", k + 1, plan.latency_calls)

    points: list[ThroughputPoint] = []
    skipped: list[str] = []
    sweep_start = time.perf_counter()
    total = len(plan.batch_sizes) * len(plan.concurrencies)
    for c in plan.concurrencies:
        why_stop: str | None = None
        best_rate = 0.0
        for b in plan.batch_sizes:
            label = f"batch {b} x concurrency {c}"
            if why_stop:
                skipped.append(f"{label} ({why_stop})")
                continue
            if time.perf_counter() - sweep_start > plan.budget_s:
                skipped.append(f"{label} (sweep time budget of {plan.budget_s:g} s spent)")
                continue
            p = await sweep_point(backend, requests, b, c, plan)
            points.append(p)
            if p95_slo_ms is not None and p.latency.p95 > 2 * p95_slo_ms:
                why_stop = "p95 already over twice the SLO at a smaller batch"
            elif p.calls_per_s < 0.75 * best_rate:
                why_stop = "past the throughput peak: larger batches only add latency"
            best_rate = max(best_rate, p.calls_per_s)
            if progress:
                progress(f"{name}: throughput sweep", len(points) + len(skipped), total)
    profile = LocalProfile(
        detect_hardware(),
        cold_ms,
        summarize_latency(timings),
        tuple(points),
        bulk,
        peak_rss_mb(),
        peak_gpu_mb(),
        tuple(skipped),
    )
    return {r.sample_id: g for r, g in zip(requests, gens, strict=True)}, profile


def footprint_of(backend: Backend, texts: Sequence[str]) -> ModelFootprint | None:
    """Parameters and mean tokens per call of a local model, when known (MiniLM students).

    A roofline projection needs them; None for models whose size this cannot tell.
    """
    if getattr(backend, "base", None) != "minilm":
        return None
    from .distill.encoders import load_minilm

    enc = load_minilm()
    params = sum(int(p.numel()) for p in enc.parameters())
    tok = enc.tokenizer(list(texts[:512]), truncation=True, max_length=int(enc.max_seq_length))
    lengths = [len(ids) for ids in tok["input_ids"]]
    return ModelFootprint(params, sum(lengths) / max(len(lengths), 1))


@dataclass(frozen=True)
class ServingEstimate:
    """Where a student's serving throughput comes from for the instance it is priced on."""

    target: str
    """``cloud/instance_type``."""
    basis: Basis
    point: ThroughputPoint | None
    """Highest throughput meeting the p95 SLO (None: no measured or projected point meets it)."""
    fallback: ThroughputPoint | None
    """When none meets the SLO: the lowest-latency point, used for the cost but flagged."""
    method: str
    """``measured on this machine``, ``roofline`` or ``cpu-core-scaling``."""
    sweep: tuple[ThroughputPoint, ...]
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def used(self) -> ThroughputPoint | None:
        """The point the cost is computed from."""
        return self.point or self.fallback


def _target_is_local(instance: InstancePrice, hw: HardwareInfo, declared: bool) -> bool:
    """An accelerator is recognised by name; a CPU instance only when the user says this machine is it."""
    if declared:
        return True
    if instance.accelerator:
        return same_accelerator(hw.gpu, instance.accelerator) and instance.accelerator_count == 1
    return False


def estimate_serving(
    profile: LocalProfile,
    instance: InstancePrice,
    catalog: Catalog,
    p95_slo_ms: float | None,
    footprint: ModelFootprint | None = None,
    assumptions: RooflineAssumptions | None = None,
    *,
    local_is_target: bool = False,
) -> ServingEstimate | None:
    """The serving point on ``instance``: measured when it is this machine, else projected.

    This machine counts as ``instance`` when its GPU is the instance's (single) accelerator, or
    when the caller declares it (``local_is_target``: the advisor runs on that instance type); a
    CPU instance is otherwise projected by core scaling, since the catalogue has no CPU model.
    None when it cannot be projected (an accelerator missing from the hardware catalogue, or a
    model whose size is unknown): the caller must not pretend a figure.
    """
    hw = profile.hardware
    proj: Projection | None = None
    if _target_is_local(instance, hw, local_is_target):
        sweep = profile.sweep
        basis: Basis = "measured"
        method = "measured on this machine"
        notes: tuple[str, ...] = (
            f"timed on this machine ({hw.cpu}, {hw.cores} cores, GPU {hw.gpu or 'none'}), "
            + ("declared to be " if local_is_target else "with the accelerator of ")
            + instance.key,
        )
    elif instance.accelerator:
        spec = catalog.hardware_of(instance)
        if spec is None or footprint is None or not spec.half_tflops or not spec.mem_bandwidth_gbps:
            return None
        proj = project_roofline(
            footprint, spec.name, spec.half_tflops, spec.mem_bandwidth_gbps, assumptions=assumptions
        )
    else:
        proj = project_cpu_scaling(profile.sweep, hw.cores, instance.vcpus, instance.key, hw.cpu)
    if proj is not None:
        sweep, basis, method = proj.sweep, "projected", proj.method
        notes = proj.assumptions
        if instance.accelerator_count > 1:
            notes = (
                *notes,
                f"one replica uses one of the instance's {instance.accelerator_count} accelerators",
            )
    point = best_under_slo(sweep, p95_slo_ms)
    fallback = None if point is not None or not sweep else min(sweep, key=lambda p: p.latency.p95)
    return ServingEstimate(instance.key, basis, point, fallback, method, tuple(sweep), notes)


@dataclass(frozen=True)
class SelfHostedFigure:
    """A self-hosted student's per-call cost at the run's volume, with how it was reached."""

    usd_per_call: float
    hosting: SelfHosting
    fleet: FleetCost
    estimate: ServingEstimate
    source: str


def self_hosted_figure(
    estimate: ServingEstimate,
    usd_per_hour: float,
    price_source: str,
    monthly_volume: int,
    *,
    peak_to_average: float,
    min_replicas: int,
    utilisation: float,
    p95_slo_ms: float | None,
) -> SelfHostedFigure | None:
    """Per-call cost from the fleet that serves ``monthly_volume`` at the SLO throughput (pure)."""
    p = estimate.used
    if p is None:
        return None
    hosting = SelfHosting(usd_per_hour, p.calls_per_s, peak_to_average, min_replicas, utilisation)
    fleet = fleet_cost(hosting, monthly_volume)
    slo = f"p95 {p.latency.p95:.1f} ms" + (
        f" <= SLO {p95_slo_ms:g} ms" if estimate.point is not None and p95_slo_ms else ""
    )
    if estimate.point is None and p95_slo_ms is not None:
        slo += f", NO point meets the {p95_slo_ms:g} ms SLO (lowest-latency point used)"
    source = (
        f"{estimate.basis}: {p.calls_per_s:,.0f} calls/s at batch {p.batch_size} x concurrency "
        f"{p.concurrency} ({slo}) {estimate.method} for {estimate.target}; {fleet.replicas} replica(s) "
        f"x ${usd_per_hour:g}/h ({price_source}) for {monthly_volume:,} calls/month at peak/average "
        f"{peak_to_average:g}, utilisation {utilisation:g}, min {min_replicas}"
    )
    return SelfHostedFigure(fleet.usd_per_call, hosting, fleet, estimate, source)
