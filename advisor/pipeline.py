"""The run: samples -> predictions -> quality -> latency -> costs -> routing -> decision -> report.

This is the one place where I/O (models, files, the clock) meets the pure modules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from . import __version__
from .backends.base import Backend, GenerateRequest, Generation, Trainable
from .backends.registry import backend_class
from .cache import ResponseCache
from .costs import (
    OneTimeCost,
    OptionCost,
    TokenPrice,
    api_cost_per_call,
    distillation_cost,
    monthly_cost,
    sensitivity,
    summarize_option,
)
from .decision import Candidate, recommend
from .distill.curve import CurvePoint, backtest_largest, predict_label_budget, summarize_points
from .errors import InsufficientDataError, MissingPriceError, SpecError
from .latency import LatencySummary, ThroughputPoint, best_under_slo, summarize_latency
from .measure import (
    LocalProfile,
    SelfHostedFigure,
    detect_hardware,
    estimate_serving,
    footprint_of,
    measure_local,
    self_hosted_figure,
)
from .model import CostBudget, Model
from .pricing import (
    Catalog,
    DatedFigure,
    api_price,
    lifecycle_notes,
    load_catalog,
    price_ages,
    staleness_warnings,
)
from .quality.classification import parse_label, score_labels
from .quality.hardcases import HardCases, analyse_hard_cases
from .quality.judge import DEFAULT_RUBRIC, JudgeItem, judge_request, parse_judge_score
from .quality.recorded import has_recorded_correctness, recorded_correctness
from .quality.scoring import ModelScores, check_references, score_outputs, scores_from_values
from .quality.stats import GapEstimate, GapTest, bootstrap_mean_ci, compare_to_teacher
from .report.provenance import build_provenance
from .report.schema import (
    BacktestOut,
    CostModelOut,
    CostOptionOut,
    CurvePointOut,
    CurveRunOut,
    DatasetOut,
    ErrorTransferOut,
    FrontierPointOut,
    GapOut,
    GroupGapOut,
    GuaranteeOut,
    HardCaseExampleOut,
    HardCasesOut,
    LatencyOut,
    LearningCurveOut,
    ModelOut,
    PowerLawOut,
    PriceAgeOut,
    Report,
    RouteOut,
    SavingsOut,
    SensitivityOut,
    ServingOut,
    StudentGapsOut,
    SweepPointOut,
    VerdictOut,
)
from .routing import RouteChoice, RoutePlan, plan_route
from .samples import Sample, SampleSet, load_samples
from .spec import Constraints, LearningCurveSpec, ModelSpec, RunSpec

ProgressFn = Callable[[str, int, int], None]
DEFAULT_CPU_INSTANCE = "aws/m7i.large"


@dataclass(frozen=True)
class _Measured:
    """One model's answers on the examples it ran, plus how fast it ran them."""

    gens: dict[str, Generation]
    latency: LatencySummary | None
    latency_source: str
    throughput_per_s: float | None
    training: Mapping[str, Any] | None = None
    profile: LocalProfile | None = None
    """Local models: everything measured on this machine (sweep, cold start, memory)."""


def split_ids(samples: SampleSet, train_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Stratified (by slice) random split into (train ids, eval ids)."""
    rng = np.random.default_rng(seed)
    train: list[str] = []
    evaluate: list[str] = []
    for name in samples.slices:
        ids = [s.id for s in samples if s.task == name]
        order = rng.permutation(len(ids))
        k = int(round(len(ids) * train_fraction))
        if len(ids) >= 2:
            k = min(max(k, 1), len(ids) - 1)
        else:
            k = 0
        train += [ids[i] for i in order[:k]]
        evaluate += [ids[i] for i in order[k:]]
    return train, evaluate


def infer_labels(spec: RunSpec, samples: SampleSet) -> list[str]:
    """The label set: from the spec, else from the references (none for other task types)."""
    if spec.task.type != "classification":
        return []
    if spec.task.labels:
        return list(spec.task.labels)
    refs = sorted({str(s.reference) for s in samples if s.reference is not None})
    if len(refs) < 2:
        if has_recorded_correctness((o.output, o.extra) for s in samples for o in s.outputs.values()):
            return []  # scored from the recorded `correct` flags; no labels are parsed
        raise SpecError(
            "task.labels is required when the samples carry fewer than two distinct references; "
            "list the labels in the spec (task: {type: classification, labels: [...]})"
        )
    return refs


def _requests(samples: Sequence[Sample], labels: Sequence[str]) -> list[GenerateRequest]:
    return [GenerateRequest(s.id, s.input, labels=tuple(labels) or None) for s in samples]


def build_backend(spec: ModelSpec, samples: SampleSet) -> Backend:
    """Instantiate the backend a spec entry names."""
    return backend_class(spec.backend).from_spec(spec, samples)


async def _run_model(
    backend: Backend,
    samples: Sequence[Sample],
    labels: Sequence[str],
    progress: ProgressFn | None,
    training: Mapping[str, Any] | None = None,
    model: Model | None = None,
) -> _Measured:
    model = model or Model(backend)
    requests = _requests(samples, labels)
    if backend.local:
        gens, profile = await measure_local(model, requests, progress=progress)
        top = best_under_slo(profile.sweep, None)
        best_rate = top.calls_per_s if top else profile.bulk_calls_per_s
        return _Measured(gens, profile.single, "measured", best_rate, training, profile)
    stage = f"{backend.name}: generate"
    start = time.perf_counter()
    out = await model.generate_all(requests, lambda d, t: progress(stage, d, t) if progress else None)
    elapsed = time.perf_counter() - start
    gens = {r.sample_id: g for r, g in zip(requests, out, strict=True)}
    fresh = [g.latency_ms for g in out if g.latency_ms is not None and not g.cached]
    recorded = backend.recorded
    rate = None if recorded or not fresh else len(fresh) / max(elapsed, 1e-9)
    return _Measured(gens, summarize_latency(fresh), "recorded" if recorded else "measured", rate, training)


def _label_of(gen: Generation, labels: Sequence[str], mode: str) -> str | None:
    return parse_label(gen.label if gen.label is not None else gen.text, labels, mode)


def _recorded_scores(
    m: _Measured, samples: Sequence[Sample], name: str, teacher: ModelScores | None
) -> ModelScores | None:
    """Scores from the ``correct`` flags in the logs when ``name``'s outputs carry no answers."""
    rec = recorded_correctness(
        [(m.gens[s.id].text, m.gens[s.id].extra) for s in samples], model=name, ids=[s.id for s in samples]
    )
    if rec is None:
        return None
    # Answers unknown: agreement is agreement of outcomes (both right or both wrong).
    t_rec = rec if teacher is None else teacher.score
    return ModelScores((None,) * len(samples), rec, (rec == t_rec).astype(float), recorded=True)


def _classification_scores(
    samples: Sequence[Sample],
    measured: Mapping[str, _Measured],
    teacher: str,
    labels: Sequence[str],
    mode: str,
    refs: Sequence[str] | None,
    warnings: list[str],
) -> dict[str, ModelScores]:
    """Accuracy against ``refs`` (agreement with the teacher without them), per model and example."""
    t_pred = [_label_of(measured[teacher].gens[s.id], labels, mode) for s in samples]
    scores: dict[str, ModelScores] = {}
    for name, m in measured.items():
        pred = [_label_of(m.gens[s.id], labels, mode) for s in samples]
        scores[name] = ModelScores.from_labels(score_labels(pred, t_pred if refs is None else refs, t_pred))
        rec = _recorded_scores(m, samples, name, scores.get(teacher) if name != teacher else None)
        if rec is not None:
            scores[name] = replace(rec, answers=tuple(pred))
            if name != teacher:
                warnings.append(
                    f"{name}: scored from recorded correctness (no answers in the logs); "
                    "agreement_with_teacher is the share of examples with the same outcome"
                )
        if scores[name].unparsed:
            warnings.append(
                f"{name}: {scores[name].unparsed} of {len(pred)} outputs name none of the labels "
                f"{list(labels)} (scored as wrong); consider task.label_parsing: first_label"
            )
    return scores


def _task_scores(
    spec: RunSpec,
    samples: Sequence[Sample],
    measured: Mapping[str, _Measured],
    teacher: str,
    refs: Sequence[Any] | None,
    judged: Mapping[str, ModelScores] | None,
    warnings: list[str],
) -> dict[str, ModelScores]:
    """Extraction, short-answer and generation scores per model and example (see ``quality.scoring``)."""
    task, metric = spec.task.type, spec.task.metric or ""
    t_out = [measured[teacher].gens[s.id].text for s in samples]
    encode = None
    if metric == "embedding":
        from .distill.encoders import load_minilm

        encoder = load_minilm()
        encode = lambda texts: np.asarray(encoder.encode(texts), dtype=np.float64)  # noqa: E731
    scores: dict[str, ModelScores] = {}
    for name, m in measured.items():
        outs = [m.gens[s.id].text for s in samples]
        rec = _recorded_scores(m, samples, name, scores.get(teacher) if name != teacher else None)
        if rec is not None:
            scores[name] = rec
            if name != teacher:
                warnings.append(f"{name}: scored from recorded correctness (no answers in the logs)")
            continue
        if judged is not None:
            scores[name] = judged[name]
        else:
            scores[name] = score_outputs(task, metric, outs, refs, t_out, encode=encode)
        if scores[name].unparsed:
            what = {"extraction": "no JSON object", "short_answer": "no answer"}.get(task, "no text")
            if metric == "numeric_match":
                what = "no number"
            warnings.append(f"{name}: {scores[name].unparsed} of {len(outs)} outputs hold {what} (scored 0)")
    return scores


async def _judge_all(
    spec: RunSpec,
    samples: SampleSet,
    evaluate: Sequence[Sample],
    teacher: str,
    measured: Mapping[str, _Measured],
    cache: ResponseCache | None,
    budget: CostBudget | None,
    catalog: Catalog,
    warnings: list[str],
) -> dict[str, ModelScores]:
    """Metric ``judge``: the judge model grades every answer on the rubric.

    With gold, each answer is graded against the reference (quality) and, for students,
    against the teacher's answer (agreement). Without gold both are the grade against the
    teacher's answer, and the teacher's own is 1. A reply with no valid score counts 0.
    """
    jspec = spec.task.judge
    assert jspec is not None
    rubric, scale = spec.task.rubric or DEFAULT_RUBRIC, spec.task.judge_scale
    has_ref = all(s.reference is not None for s in evaluate)
    t_out = [measured[teacher].gens[s.id].text for s in evaluate]
    jobs: list[tuple[str, str]] = []  # (model, "gold" | "teacher") per block of len(evaluate) items
    items: list[JudgeItem] = []
    for name, m in measured.items():
        outs = [m.gens[s.id].text for s in evaluate]
        against = (["gold"] if has_ref else []) + (["teacher"] if name != teacher else [])
        for kind in against:
            jobs.append((name, kind))
            items += [
                JudgeItem(f"{kind}:{name}:{s.id}", s.text, o, str(s.reference) if kind == "gold" else t)
                for s, o, t in zip(evaluate, outs, t_out, strict=True)
            ]
    backend = build_backend(jspec, samples)
    try:
        model = Model.for_spec(backend, jspec, cache=cache, budget=budget, price=_price_of(jspec, catalog))
        gens = await model.generate_all([judge_request(it, rubric, scale) for it in items])
    finally:
        await backend.aclose()
    grades = [parse_judge_score(g.text, scale) for g in gens]
    missing = sum(g is None for g in grades)
    if missing:
        warnings.append(f"judge {jspec.name}: {missing} of {len(grades)} replies hold no valid 'Score: N' (scored 0)")
    n = len(evaluate)
    graded: dict[tuple[str, str], list[float | None]] = {job: grades[k * n : (k + 1) * n] for k, job in enumerate(jobs)}
    out: dict[str, ModelScores] = {}
    ones = np.ones(n)
    for name, m in measured.items():
        vs_teacher = ones if name == teacher else _grades(graded[(name, "teacher")])
        score = _grades(graded[(name, "gold")]) if has_ref else vs_teacher
        outs = [m.gens[s.id].text for s in evaluate]
        out[name] = scores_from_values(spec.task.type, "judge", outs, score, vs_teacher)
    return out


def _grades(values: Sequence[float | None]) -> npt.NDArray[np.float64]:
    return np.array([0.0 if v is None else v for v in values], dtype=np.float64)


def _price_of(spec: ModelSpec, catalog: Catalog | None = None) -> TokenPrice | None:
    p = spec.price
    if p is None:
        return None
    if p.catalog:
        base = catalog.api_price(p.catalog).price if catalog is not None else api_price(p.catalog)
    else:
        base = None
    if p.usd_per_mtok_input is not None or p.usd_per_mtok_output is not None:
        if base is None and (p.usd_per_mtok_input is None or p.usd_per_mtok_output is None):
            raise SpecError(
                f"model '{spec.name}': price needs both usd_per_mtok_input and usd_per_mtok_output "
                "(or a catalog entry to fill the other)"
            )
        return TokenPrice(
            p.usd_per_mtok_input if p.usd_per_mtok_input is not None else base.usd_per_mtok_input,  # type: ignore[union-attr]
            p.usd_per_mtok_output if p.usd_per_mtok_output is not None else base.usd_per_mtok_output,  # type: ignore[union-attr]
            source="user override" + (f" over {base.source}" if base else ""),
        )
    return base


class CostFigure(NamedTuple):
    """A model's mean USD per call, how it was obtained, and on what basis."""

    usd: float | None
    source: str
    basis: str | None
    """measured, projected, recorded, catalog or override (see ModelOut.cost_basis)."""
    serving: SelfHostedFigure | None = None


def per_call_cost(
    spec: ModelSpec,
    backend: Backend,
    measured: _Measured,
    warnings: list[str],
    *,
    catalog: Catalog | None = None,
    constraints: Constraints | None = None,
    texts: Sequence[str] = (),
) -> CostFigure:
    """Mean USD per call, how it was obtained, and its basis.

    A self-hosted (local) model is costed on ``spec.hardware`` (default a small CPU instance):
    the highest throughput whose p95 meets ``constraints.p95_latency_ms`` (measured when this
    machine is that hardware, else projected), replicas for the peak of the monthly volume.
    """
    gens = list(measured.gens.values())
    if spec.price is not None and spec.price.usd_per_call is not None:
        return CostFigure(spec.price.usd_per_call, "user override (flat per call)", "override")
    price = _price_of(spec, catalog)
    if price is not None:
        tin = [g.usage.input_tokens for g in gens]
        tout = [g.usage.output_tokens for g in gens]
        if any(t is None for t in tin + tout):
            warnings.append(f"{spec.name}: some calls report no token usage; cost not computed from tokens")
        else:
            p = spec.price
            assert p is not None
            mean_in = float(np.mean(np.asarray(tin, dtype=float)))
            mean_out = float(np.mean(np.asarray(tout, dtype=float)))
            cost = api_cost_per_call(
                mean_in, mean_out, price, cached_input_tokens=mean_in * p.cached_input_share, batch=p.batch
            )
            how = ("batch prices, " if p.batch else "") + (
                f"{p.cached_input_share:.0%} input cached, " if p.cached_input_share else ""
            )
            basis = "override" if "override" in price.source else "catalog"
            return CostFigure(
                cost, f"tokens ({mean_in:.1f} in, {mean_out:.1f} out per call; {how}) x {price.source}", basis
            )
    recorded = [g.cost_usd for g in gens]
    if recorded and all(c is not None for c in recorded):
        mean = float(np.mean(np.asarray(recorded, dtype=float)))
        return CostFigure(mean, f"recorded per-call cost (mean of {len(recorded)})", "recorded")
    if backend.local and measured.profile is not None:
        cat = catalog or load_catalog()
        c = constraints or Constraints()
        inst = cat.instance(spec.hardware or DEFAULT_CPU_INSTANCE)
        flat_h = spec.price.usd_per_hour if spec.price is not None else None
        usd_h = flat_h if flat_h is not None else inst.usd_per_hour
        price_src = "user override" if flat_h is not None else f"{inst.source}, as of {inst.as_of}"
        footprint = footprint_of(backend, texts) if inst.accelerator else None
        est = estimate_serving(
            measured.profile, inst, cat, c.p95_latency_ms, footprint, local_is_target=spec.hardware_is_local
        )
        fig = None
        if est is not None:
            fig = self_hosted_figure(
                est,
                usd_h,
                price_src,
                c.monthly_volume,
                peak_to_average=c.peak_to_average,
                min_replicas=c.min_replicas,
                utilisation=c.utilisation,
                p95_slo_ms=c.p95_latency_ms,
            )
        if fig is None:
            why = (
                f"{spec.name}: no serving figure for {inst.key}: its accelerator is not in "
                "pricing/hardware.csv or the model's size is unknown, so it can be neither measured "
                "here nor projected; run the advisor on that hardware"
            )
            warnings.append(why)
            return CostFigure(None, why, None)
        if fig.estimate.point is None and c.p95_latency_ms is not None:
            warnings.append(
                f"{spec.name}: no batch size or concurrency meets the p95 SLO of {c.p95_latency_ms:g} ms "
                f"on {inst.key}; its cost uses the lowest-latency point"
            )
        return CostFigure(fig.usd_per_call, fig.source, fig.estimate.basis, fig)
    raise MissingPriceError(
        f"model '{spec.name}' has no price: no recorded cost_usd, no token usage with a price, "
        "and it is not a local model. Set price.catalog (e.g. openai/gpt-4o-mini) or price.usd_per_call."
    )


def _sweep_out(points: Sequence[ThroughputPoint]) -> list[SweepPointOut]:
    return [
        SweepPointOut(
            batch_size=p.batch_size,
            concurrency=p.concurrency,
            calls_per_s=p.calls_per_s,
            p50_ms=p.latency.p50,
            p95_ms=p.latency.p95,
            p99_ms=p.latency.p99,
        )
        for p in points
    ]


def _local_fields(m: _Measured, fig: CostFigure) -> dict[str, Any]:
    """ModelOut fields measured on this machine, and the serving point the cost uses."""
    out: dict[str, Any] = {"cost_basis": fig.basis}
    prof = m.profile
    if prof is not None:
        out |= {
            "throughput_sweep": _sweep_out(prof.sweep),
            "cold_start_ms": prof.cold_start_ms,
            "peak_rss_mb": prof.peak_rss_mb,
            "peak_gpu_mb": prof.peak_gpu_mb,
        }
    sv = fig.serving
    if sv is not None and sv.estimate.used is not None:
        p = sv.estimate.used
        out["serving"] = ServingOut(
            instance=sv.estimate.target,
            basis=sv.estimate.basis,
            method=sv.estimate.method,
            batch_size=p.batch_size,
            concurrency=p.concurrency,
            calls_per_s=p.calls_per_s,
            p95_ms=p.latency.p95,
            meets_slo=sv.estimate.point is not None,
            replicas=sv.fleet.replicas,
            monthly_usd=sv.fleet.monthly_usd,
            average_utilisation=sv.fleet.average_utilisation,
            assumptions=list(sv.estimate.assumptions),
            sweep=_sweep_out(sv.estimate.sweep) if sv.estimate.basis == "projected" else [],
        )
    return out


def _one_time(
    spec: ModelSpec,
    backend: Backend,
    training: Mapping[str, Any] | None,
    fig: CostFigure,
    teacher_usd: float,
    n_labels: int,
    n_eval: int,
) -> OneTimeCost:
    """A trained student's one-time cost: teacher labels, training hours, teacher evaluation calls.

    ``n_labels`` is the teacher labels to pay for: the training split, or the learning curve's
    predicted budget (see :func:`learning_curve_report`).
    """
    if not isinstance(backend, Trainable):
        return OneTimeCost(0.0, 0.0, 0.0)
    hours = spec.training_hours
    if hours is None:
        hours = float((training or {}).get("train_seconds", 0.0)) / 3600.0
    usd_h = fig.serving.hosting.usd_per_hour if fig.serving is not None else 0.0
    return distillation_cost(
        labelling_calls=n_labels,
        teacher_usd_per_call=teacher_usd,
        training_hours=hours,
        training_usd_per_hour=usd_h,
        evaluation_calls=n_eval,
    )


@dataclass(frozen=True)
class _CurveRun:
    """One learning-curve student: trained on the first ``n`` of seed ``seed``'s shuffle, its held-out answers."""

    n: int
    seed: int
    gens: dict[str, Generation]


def curve_sizes(lc: LearningCurveSpec, available: int, name: str) -> list[int]:
    """The sizes a learning curve trains at: ``lc.sizes``, or 1/8, 1/4, 1/2 and all of ``available``.

    Raises:
        SpecError: fewer than three distinct sizes, or a size above ``available``.

    """
    if lc.sizes is None:
        sizes = sorted({max(1, round(available * f)) for f in (0.125, 0.25, 0.5, 1.0)})
    else:
        sizes = sorted(set(lc.sizes))
    if len(sizes) < 3:
        raise SpecError(
            f"student '{name}': {available} teacher-labelled training examples give fewer than three "
            "learning-curve sizes; raise split.train_fraction or add samples"
        )
    if sizes[-1] > available:
        raise SpecError(
            f"student '{name}': learning_curve size {sizes[-1]} exceeds the {available} teacher-labelled "
            "training examples; lower learning_curve.sizes or raise split.train_fraction"
        )
    return sizes


def nested_subsets(n_items: int, sizes: Sequence[int], seed: int) -> dict[int, npt.NDArray[np.int64]]:
    """Indices of nested training subsets: the first ``n`` of one permutation drawn with ``seed``."""
    order = np.random.default_rng(seed).permutation(n_items)
    return {n: order[:n] for n in sizes}


async def _curve_runs(
    b_spec: ModelSpec,
    samples: SampleSet,
    kept: Sequence[Sample],
    labels_of: Mapping[str, str | None],
    soft: Sequence[Mapping[str, float] | None],
    eval_samples: Sequence[Sample],
    labels: Sequence[str],
    teacher_name: str,
    progress: ProgressFn | None,
    warnings: list[str],
) -> list[_CurveRun]:
    """Train one student per (size, seed) on nested subsets of the training split; answer the eval rows."""
    lc = b_spec.learning_curve
    assert lc is not None
    sizes = curve_sizes(lc, len(kept), b_spec.name)
    requests = _requests(eval_samples, labels)
    stage = f"{b_spec.name}: learning curve"
    total = len(sizes) * len(lc.seeds)
    runs: list[_CurveRun] = []
    for seed in lc.seeds:
        for n, idx in nested_subsets(len(kept), sizes, seed).items():
            if progress:
                progress(stage, len(runs), total)
            options = {k: v for k, v in b_spec.options.items() if k != "output_dir"} | {"seed": seed}
            student = build_backend(
                b_spec.model_copy(update={"path": None, "options": options, "learning_curve": None}), samples
            )
            sub_soft = [soft[i] for i in idx]
            try:
                assert isinstance(student, Trainable)
                await student.fit(
                    [kept[i].text for i in idx],
                    [labels_of[kept[i].id] or "" for i in idx],
                    probabilities=sub_soft if any(p is not None for p in sub_soft) else None,
                    teacher=teacher_name,
                )
                gens = await student.generate_batch(requests)
            except InsufficientDataError as e:
                warnings.append(f"{b_spec.name}: learning curve skips n={n}, seed={seed}: {e}")
                continue
            finally:
                await student.aclose()
            runs.append(_CurveRun(n, seed, {r.sample_id: g for r, g in zip(requests, gens, strict=True)}))
    if progress:
        progress(stage, total, total)
    return runs


def learning_curve_report(
    name: str,
    points: Sequence[CurvePoint],
    *,
    teacher_quality: float,
    max_gap: float,
    lc: LearningCurveSpec,
    labelled: int,
    metric: str,
    n_eval: int,
    rng: np.random.Generator,
    warnings: list[str],
) -> LearningCurveOut:
    """Fit the curve to ``points``, predict the labels that reach the target, and report both.

    The labels costed are the prediction rounded up when the target is reachable, else ``labelled``.
    """
    target = teacher_quality - max_gap
    budget = None
    try:
        budget = predict_label_budget(points, target, rng, n_boot=lc.n_boot, confidence=lc.confidence)
    except (InsufficientDataError, RuntimeError, ValueError) as e:
        warnings.append(
            f"{name}: no learning curve could be fitted ({e}); the one-time labelling keeps {labelled} labels"
        )
    costed = labelled
    predicted: float | None = None
    ci: tuple[float | None, float | None] | None = None
    if budget is not None:
        if budget.reachable:
            predicted = budget.predicted_labels
            costed = max(1, math.ceil(predicted))
            if budget.extrapolated:
                warnings.append(
                    f"{name}: the {predicted:,.0f} teacher labels predicted to reach quality {target:.3f} lie "
                    f"outside the sizes trained ({budget.smallest_measured}..{budget.largest_measured}): an "
                    "extrapolation of the fitted curve"
                )
        else:
            warnings.append(
                f"{name}: the fitted learning curve levels off at {budget.fit.asymptote:.3f}, below the target "
                f"{target:.3f} (teacher {teacher_quality:.3f} minus max_gap {max_gap:g}): no number of teacher "
                f"labels is predicted to reach it; the one-time labelling keeps this run's {labelled} labels"
            )
        if not any(math.isnan(x) for x in budget.ci):
            lo, hi = budget.ci
            ci = (lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None)
    fit = budget.fit if budget is not None else None
    backtest = None
    if len({p.n for p in points}) >= 4:
        try:
            backtest = backtest_largest(points)
        except (InsufficientDataError, RuntimeError, ValueError) as e:
            warnings.append(f"{name}: the learning curve's back-test could not be fitted ({e})")
    if backtest is not None and abs(backtest.error) > max_gap:
        direction = "too large (pessimistic)" if backtest.error < 0 else "too small (optimistic)"
        warnings.append(
            f"{name}: fitted without its largest size, the learning curve predicts {metric} "
            f"{backtest.predicted:.3f} at n={backtest.held_out_size:,} where {backtest.measured:.3f} was measured: "
            f"its label budgets are likely {direction}, by more than the CI shows"
        )
    return LearningCurveOut(
        metric=metric,
        n_eval=n_eval,
        points=[CurvePointOut(**dataclasses.asdict(s)) for s in summarize_points(points)],
        runs=[CurveRunOut(**dataclasses.asdict(p)) for p in points],
        fit=None if fit is None else PowerLawOut(**dataclasses.asdict(fit)),
        teacher_quality=teacher_quality,
        target=target,
        predicted_labels_for_target=predicted,
        predicted_labels_ci=ci,
        confidence=lc.confidence,
        extrapolated=bool(budget.extrapolated) if budget is not None and budget.reachable else False,
        labels_costed=costed,
        backtest=None if backtest is None else BacktestOut(**dataclasses.asdict(backtest)),
    )


def _dated_figures(spec: RunSpec, catalog: Catalog) -> tuple[list[DatedFigure], list[tuple[str, Any]]]:
    """Catalogue figures the costs use (with dates), and (model, API row) pairs for lifecycle notes."""
    figs: list[DatedFigure] = []
    rows: list[tuple[str, Any]] = []
    for m in [spec.teacher, *spec.students]:
        if m.price is not None and m.price.catalog:
            row = catalog.api_price(m.price.catalog)
            figs.append(DatedFigure(f"{m.name} API price ({row.key})", row.source, row.as_of))
            rows.append((m.name, row))
        if m.backend in ("distill", "hf"):
            inst = catalog.instance(m.hardware or DEFAULT_CPU_INSTANCE)
            figs.append(DatedFigure(f"{m.name} instance {inst.key}", inst.source, inst.as_of))
    return figs, rows


def _cost_model(
    spec: RunSpec,
    catalog: Catalog,
    figs: Mapping[str, CostFigure],
    teacher_name: str,
    one_time: Mapping[str, OneTimeCost],
    escalation: Mapping[str, float],
    now: dt.date,
) -> tuple[CostModelOut | None, list[str], list[str]]:
    """Options over the horizon, break-even, sensitivity; plus stale-price and lifecycle notes."""
    c = spec.constraints
    v, h = c.monthly_volume, c.horizon_months
    dated, rows = _dated_figures(spec, catalog)
    ages = price_ages(dated, now, spec.pricing.max_age_days)
    stale = staleness_warnings(ages, spec.pricing.max_age_days)
    lifecycle = lifecycle_notes(rows, now, h, catalog.lifecycle_extra)
    tc = figs[teacher_name].usd
    if tc is None:
        return None, stale, lifecycle
    options: dict[str, CostOptionOut] = {
        "teacher": CostOptionOut(
            kind="teacher",
            usd_per_call=tc,
            monthly_usd=tc * v,
            one_time_usd=0.0,
            horizon_total_usd=tc * v * h,
            saving_vs_teacher_usd=0.0,
            cumulative_usd=[tc * v * k for k in range(1, h + 1)],
            basis=figs[teacher_name].basis or "unknown",
        )
    }
    sens: list[SensitivityOut] = []
    for name, fig in figs.items():
        if name == teacher_name or fig.usd is None:
            continue
        ot = one_time[name]
        hosting = fig.serving.hosting if fig.serving is not None else None
        base = OptionCost(
            0.0 if hosting is not None else fig.usd,
            hosting,
            ot.total_usd,
            ot.total_usd,
            c.redistill_every_months,
        )
        variants: list[tuple[str, OptionCost, float | None]] = [("distill", base, None)]
        if name in escalation:
            esc = escalation[name]
            variants.append(("route", replace(base, api_usd_per_call=base.api_usd_per_call + esc * tc), esc))
        for kind, opt, esc_rate in variants:
            key = f"{kind}:{name}"
            sm = summarize_option(tc, opt, v, h)
            options[key] = CostOptionOut(
                kind=kind,  # type: ignore[arg-type]
                student=name,
                usd_per_call=sm.usd_per_call,
                monthly_usd=sm.monthly_usd,
                one_time_usd=ot.total_usd,
                one_time_parts={
                    "teacher_labelling": ot.labelling_usd,
                    "training": ot.training_usd,
                    "evaluation": ot.evaluation_usd,
                },
                redistillations=sm.redistillations,
                horizon_total_usd=sm.horizon_total_usd,
                saving_vs_teacher_usd=sm.saving_usd,
                break_even_volume_per_month=sm.break_even_volume,
                break_even_month=sm.break_even_month,
                cumulative_usd=list(sm.cumulative_usd),
                basis=f"student {fig.basis}, teacher {figs[teacher_name].basis}",
            )
            for r in sensitivity(tc, opt, v, h, escalation_rate=esc_rate):
                sens.append(
                    SensitivityOut(
                        option=key,
                        parameter=r.parameter,  # type: ignore[arg-type]
                        base=r.base,
                        points=list(r.points),
                        break_even=r.break_even,
                        flips=r.flips,
                    )
                )
    out = CostModelOut(
        monthly_volume=v,
        horizon_months=h,
        redistill_every_months=c.redistill_every_months,
        options=options,
        sensitivity=sens,
        prices=[
            PriceAgeOut(
                what=a.figure.what,
                source=a.figure.source,
                as_of=str(a.figure.as_of) if a.figure.as_of else None,
                age_days=a.age_days,
                stale=a.stale,
            )
            for a in ages
        ],
        max_price_age_days=spec.pricing.max_age_days,
        lifecycle=lifecycle,
    )
    return out, stale, lifecycle


def _prediction_rows(
    train: Sequence[Sample],
    evaluate: Sequence[Sample],
    teacher_name: str,
    teacher: _Measured,
    measured: Mapping[str, _Measured],
    labels: Sequence[str],
    mode: str,
    scores: Mapping[str, ModelScores],
    classify: bool,
) -> list[dict[str, Any]]:
    """One row per example: train rows carry the teacher's answer, eval rows every model's.

    Classification rows give each model's label; other task types its output and, on eval
    rows, its per-example score.
    """
    at = {s.id: i for i, s in enumerate(evaluate)}

    def pred(g: Generation, name: str | None = None, sid: str = "") -> dict[str, Any]:
        if classify:
            return {"label": _label_of(g, labels, mode), "confidence": g.confidence}
        row: dict[str, Any] = {"output": g.text, "confidence": g.confidence}
        if name is not None:
            row["score"] = float(scores[name].score[at[sid]])
        return row

    rows = [
        {
            "id": s.id,
            "split": "train",
            "task": s.task,
            "reference": s.reference,
            "predictions": {teacher_name: pred(teacher.gens[s.id])},
        }
        for s in train
    ]
    rows += [
        {
            "id": s.id,
            "split": "eval",
            "task": s.task,
            "reference": s.reference,
            "predictions": {name: pred(m.gens[s.id], name, s.id) for name, m in measured.items()},
        }
        for s in evaluate
    ]
    return rows


def _quality_metric(metric: str, has_ref: bool, recorded: bool) -> str:
    """What ``ModelOut.quality`` measures: the metric against gold, or against the teacher."""
    if recorded:
        return "recorded_correctness"
    if metric == "accuracy":
        return "accuracy" if has_ref else "agreement_with_teacher"
    return metric if has_ref else f"{metric}_vs_teacher"


def _gap_out(g: GapEstimate) -> GapOut:
    return GapOut(gap=g.gap, ci=g.ci, non_inferior=g.non_inferior, n=g.n)


def _route_out(plan: RoutePlan) -> RouteOut:
    r = plan.choice
    certified = bool(np.isfinite(r.threshold))
    return RouteOut(
        threshold=r.threshold if certified else 1.0,
        calibration_escalation_rate=r.calibration_escalation_rate,
        test_escalation_rate=r.test_escalation_rate,
        test_gap=_gap_out(r.test_gap),
        n_calibration=r.n_calibration,
        cost_per_call_usd=plan.cost_per_call_usd,
        certified=certified,
        signal=plan.signal,
        tiers=list(plan.tiers),
        guarantee=_guarantee_out(r),
        test_escalation_ci=r.test_escalation_ci,
        frontier=[
            FrontierPointOut(
                threshold=None if p.threshold == np.inf else max(p.threshold, 0.0),
                escalation_rate=p.escalation_rate,
                quality=p.quality,
                cost_per_call_usd=p.cost_per_call,
            )
            for p in plan.frontier
        ],
        apgr=None if np.isnan(plan.apgr) else plan.apgr,
        cpt50=None if np.isnan(plan.cpt50) else plan.cpt50,
        cpt80=None if np.isnan(plan.cpt80) else plan.cpt80,
        aiq=None if np.isnan(plan.aiq) else plan.aiq,
    )


def _guarantee_out(r: RouteChoice) -> GuaranteeOut:
    return GuaranteeOut(
        margin=r.margin,
        delta=r.delta,
        method=r.method,
        calibration_risk=r.calibration_risk,
        test_risk=r.test_risk,
        test_risk_upper=r.test_risk_upper,
        held_on_test=r.held_on_test,
        n_calibration=r.n_calibration,
        n_test=r.n_test,
    )


def _gap_test_out(g: GapTest) -> GapOut:
    return _gap_out(g.estimate).model_copy(
        update={
            "p_value_mcnemar": g.p_value_mcnemar,
            "p_value_noninferiority": g.p_value_noninferiority,
            "p_value_holm": g.p_value_holm,
            "verdict": g.verdict,
            "additional_samples_needed": g.additional_samples_needed,
            "discordant": g.discordant,
        }
    )


def _hard_cases_out(h: HardCases) -> HardCasesOut:
    def groups(gs: Sequence[Any]) -> list[GroupGapOut]:
        return [GroupGapOut(name=g.name, n=g.n, student=g.student, teacher=g.teacher, gap=g.gap, ci=g.ci) for g in gs]

    e = h.errors
    return HardCasesOut(
        by_input_length=groups(h.by_input_length),
        by_teacher_confidence=groups(h.by_teacher_confidence),
        by_class_frequency=groups(h.by_class_frequency),
        errors=None
        if e is None
        else ErrorTransferOut(
            teacher_errors=e.teacher_errors,
            copied=e.copied,
            copied_same_answer=e.copied_same_answer,
            corrected=e.corrected,
            new_errors=e.new_errors,
            copy_rate=e.copy_rate,
        ),
        examples=[
            HardCaseExampleOut(
                id=x.id,
                slice=x.slice,
                kind=x.kind,
                input=x.input,
                reference=x.reference,
                teacher=x.teacher,
                student=x.student,
            )
            for x in h.examples
        ],
    )


async def run_pipeline(
    spec: RunSpec,
    *,
    progress: ProgressFn | None = None,
    samples: SampleSet | None = None,
    on_predictions: Callable[[list[dict[str, Any]]], None] | None = None,
) -> Report:
    """Run the whole pipeline for ``spec`` and return the report.

    Args:
        spec: the run spec.
        progress: called as ``progress(stage, done, total)`` during long steps.
        samples: already-loaded samples (otherwise read from ``spec.samples``).
        on_predictions: receives one row per example (split, slice, reference and each
            model's label and confidence) so every figure can be recomputed.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(spec.seed)
    warnings: list[str] = []
    if samples is None:
        samples = load_samples(spec.samples.path, mapping=spec.samples.mapping, fmt=spec.samples.format)
    if spec.samples.limit is not None and spec.samples.limit < len(samples):
        samples = samples.subset(s.id for s in samples.samples[: spec.samples.limit])
    labels = infer_labels(spec, samples)
    mode = spec.task.label_parsing
    classify = spec.task.type == "classification"
    metric = spec.task.metric or "accuracy"
    catalog = load_catalog(overrides=spec.pricing.overrides)

    cache = ResponseCache(spec.cache_dir) if spec.cache_dir else None
    budget = CostBudget(spec.max_cost_usd) if spec.max_cost_usd is not None else None
    teacher = build_backend(spec.teacher, samples)
    students = [build_backend(m, samples) for m in spec.students]
    try:
        trainable = [b for b in students if isinstance(b, Trainable)]
        if trainable:
            train_ids, eval_ids = split_ids(samples, spec.split.train_fraction, spec.split.seed)
        else:
            train_ids, eval_ids = [], [s.id for s in samples]
        train_set = set(train_ids)
        eval_set = set(eval_ids)
        train_samples = [s for s in samples if s.id in train_set]
        eval_samples = [s for s in samples if s.id in eval_set]
        if len(eval_samples) < 10:
            raise InsufficientDataError(f"only {len(eval_samples)} evaluation examples; at least 10 are needed")

        measured: dict[str, _Measured] = {}
        teacher_all = await _run_model(
            teacher,
            [*train_samples, *eval_samples],
            labels,
            progress,
            model=Model.for_spec(
                teacher, spec.teacher, cache=cache, budget=budget, price=_price_of(spec.teacher, catalog)
            ),
        )
        # What a trained student learns from: the teacher's label, or its whole output.
        teacher_labels = {
            sid: _label_of(g, labels, mode) if classify else (g.text or None) for sid, g in teacher_all.gens.items()
        }
        measured[teacher.name] = _Measured(
            {sid: teacher_all.gens[sid] for sid in eval_ids},
            teacher_all.latency,
            teacher_all.latency_source,
            teacher_all.throughput_per_s,
        )
        curve_runs: dict[str, list[_CurveRun]] = {}
        for b in students:
            training = None
            b_spec = next(m for m in spec.students if m.name == b.name)
            if isinstance(b, Trainable):
                from .distill.finetune import teacher_distribution

                kept = [s for s in train_samples if teacher_labels[s.id] is not None]
                soft = [teacher_distribution(teacher_all.gens[s.id], teacher_labels[s.id]) for s in kept]
                if progress:
                    progress(f"{b.name}: train on {len(kept)} teacher labels", 0, 1)
                training = dict(
                    await b.fit(
                        [s.text for s in kept],
                        [teacher_labels[s.id] or "" for s in kept],
                        probabilities=soft if any(p is not None for p in soft) else None,
                        teacher=teacher.name,
                    )
                )
                training["teacher_labelled_examples"] = len(train_samples)
                if b_spec.learning_curve is not None:
                    curve_runs[b.name] = await _curve_runs(
                        b_spec,
                        samples,
                        kept,
                        teacher_labels,
                        soft,
                        eval_samples,
                        labels,
                        teacher.name,
                        progress,
                        warnings,
                    )
            b_model = Model.for_spec(b, b_spec, cache=cache, budget=budget, price=_price_of(b_spec, catalog))
            measured[b.name] = await _run_model(b, eval_samples, labels, progress, training, b_model)
        judged = None
        if metric == "judge":
            judged = await _judge_all(
                spec, samples, eval_samples, teacher.name, measured, cache, budget, catalog, warnings
            )
    finally:
        await asyncio.gather(teacher.aclose(), *(b.aclose() for b in students))
        if cache is not None:
            cache.close()

    # Quality
    has_ref = all(s.reference is not None for s in eval_samples)
    refs: list[Any] | None = None
    if classify:
        if has_ref:
            refs = [parse_label(str(s.reference), labels, mode) or str(s.reference) for s in eval_samples]
        scores = _classification_scores(eval_samples, measured, teacher.name, labels, mode, refs, warnings)
    else:
        if has_ref:
            refs = [s.reference for s in eval_samples]
            if metric != "judge":
                check_references(spec.task.type, metric, refs, [s.id for s in eval_samples])
        scores = _task_scores(spec, eval_samples, measured, teacher.name, refs, judged, warnings)
    if on_predictions is not None:
        on_predictions(
            _prediction_rows(
                train_samples, eval_samples, teacher.name, teacher_all, measured, labels, mode, scores, classify
            )
        )
    slice_names = sorted({s.task for s in eval_samples})
    slice_idx = {n: np.array([s.task == n for s in eval_samples]) for n in slice_names}
    c = spec.constraints
    teacher_scores = scores[teacher.name].score
    comparisons = compare_to_teacher(
        {b.name: scores[b.name].score for b in students},
        teacher_scores,
        [s.task for s in eval_samples],
        rng,
        margin=c.max_gap,
        n_boot=spec.n_bootstrap,
        confidence=c.confidence,
    )
    recorded_scores = any(sc.recorded for sc in scores.values())
    curves: dict[str, LearningCurveOut] = {}
    curve_rng = np.random.default_rng([spec.seed, 1])
    all_specs = {m.name: m for m in [spec.teacher, *spec.students]}
    for name, runs in curve_runs.items():
        points = []
        for run in runs:
            pair = {teacher.name: measured[teacher.name], name: _Measured(run.gens, None, "measured", None)}
            if classify:
                sc = _classification_scores(eval_samples, pair, teacher.name, labels, mode, refs, [])[name]
            else:
                sc = _task_scores(spec, eval_samples, pair, teacher.name, refs, None, [])[name]
            points.append(CurvePoint(run.n, run.seed, sc.quality, sc.agreement))
        lc = all_specs[name].learning_curve
        assert lc is not None
        curves[name] = learning_curve_report(
            name,
            points,
            teacher_quality=scores[teacher.name].quality,
            max_gap=c.max_gap,
            lc=lc,
            labelled=len(train_samples),
            metric=_quality_metric(metric, has_ref, recorded_scores),
            n_eval=len(eval_samples),
            rng=curve_rng,
            warnings=warnings,
        )
    t_conf = [teacher_all.gens[s.id].confidence for s in eval_samples]
    backends = {b.name: b for b in [teacher, *students]}
    models_out: dict[str, ModelOut] = {}
    costs: dict[str, float | None] = {}
    figs: dict[str, CostFigure] = {}
    eval_texts = [s.text for s in eval_samples]
    for name, m in measured.items():
        fig = figs[name] = per_call_cost(
            all_specs[name], backends[name], m, warnings, catalog=catalog, constraints=c, texts=eval_texts
        )
        cost, source = fig.usd, fig.source
        costs[name] = cost
        sc = scores[name]
        lat = m.latency
        models_out[name] = ModelOut(
            role="teacher" if name == teacher.name else "student",
            backend=all_specs[name].backend,
            quality=sc.quality,
            quality_ci=bootstrap_mean_ci(sc.score, rng, n_boot=spec.n_bootstrap, confidence=c.confidence),
            agreement_with_teacher=sc.agreement,
            cost_per_call_usd=cost,
            cost_source=source,
            latency_ms=LatencyOut(
                p50=lat.p50,
                p90=lat.p90,
                p95=lat.p95,
                p99=lat.p99,
                n=lat.n,
                source=m.latency_source,  # type: ignore[arg-type]
            )
            if lat
            else None,
            throughput_per_s=m.throughput_per_s,
            unparsed=sc.unparsed,
            slices={n: float(sc.score[idx].mean()) for n, idx in slice_idx.items()},
            training=dict(m.training) if m.training else None,
            learning_curve=curves.get(name),
            **_local_fields(m, fig),
        )
    one_time = {
        b.name: _one_time(
            all_specs[b.name],
            b,
            measured[b.name].training,
            figs[b.name],
            costs[teacher.name] or 0.0,
            curves[b.name].labels_costed if b.name in curves else len(train_samples),
            len(eval_samples),
        )
        for b in students
    }

    gaps_out: dict[str, StudentGapsOut] = {}
    analysis: dict[str, HardCasesOut] = {}
    routes_out: dict[str, RouteOut] = {}
    candidates: list[Candidate] = []
    for b in students:
        s_scores = scores[b.name].score
        comp = comparisons[b.name]
        overall = comp.overall.estimate
        by_slice = {n: g.estimate for n, g in comp.slices.items()}
        gaps_out[b.name] = StudentGapsOut(
            overall=_gap_test_out(comp.overall), slices={n: _gap_test_out(g) for n, g in comp.slices.items()}
        )
        analysis[b.name] = _hard_cases_out(
            analyse_hard_cases(
                s_scores,
                teacher_scores,
                rng,
                ids=[s.id for s in eval_samples],
                slices=[s.task for s in eval_samples],
                inputs=[s.text for s in eval_samples],
                references=refs,
                student_answers=None if scores[b.name].recorded else list(scores[b.name].answers),
                teacher_answers=None if scores[teacher.name].recorded else list(scores[teacher.name].answers),
                teacher_confidence=None if None in t_conf else [float(x or 0.0) for x in t_conf],
                gold_based=has_ref or recorded_scores,
                group_by_class=classify,
                n_boot=spec.n_bootstrap,
                confidence=c.confidence,
            )
        )
        conf = [measured[b.name].gens[s.id].confidence for s in eval_samples]
        # One route per student; Bonferroni over students keeps the chosen route's guarantee.
        plan = plan_route(
            b.name,
            teacher.name,
            scores={n: scores[n].score for n in measured},
            answers={n: list(scores[n].answers) for n in measured},
            costs=costs,
            texts=eval_texts,
            rng=rng,
            margin=c.max_gap,
            delta=c.delta / len(students),
            confidence=None if None in conf else np.asarray(conf, dtype=float),
            signal=spec.routing.signal,
            helpers=[h for h in spec.routing.with_ if h != b.name],
            confidence_level=c.confidence,
            n_boot=min(spec.n_bootstrap, 1000),
        )
        route = plan.choice if plan is not None else None
        route_cost = plan.cost_per_call_usd if plan is not None else None
        if plan is not None:
            routes_out[b.name] = _route_out(plan)
        errs = analysis[b.name].errors
        lat = measured[b.name].latency
        candidates.append(
            Candidate(
                b.name,
                overall,
                by_slice,
                costs[b.name],
                lat.p95 if lat else None,
                route,
                route_cost,
                route_signal=plan.signal if plan is not None else None,
                route_tiers=plan.tiers if plan is not None else (),
                route_first_tier_usd=plan.first_tier_usd if plan is not None else None,
                copied_teacher_errors=errs.copy_rate if errs is not None else None,
                one_time_usd=one_time[b.name].total_usd,
            )
        )

    cost_model, stale_prices, deprecations = _cost_model(
        spec,
        catalog,
        figs,
        teacher.name,
        one_time,
        {n: r.test_escalation_rate for n, r in routes_out.items()},
        dt.datetime.now(dt.UTC).date(),
    )
    warnings += stale_prices + deprecations
    verdict = recommend(
        candidates,
        teacher_cost_per_call_usd=costs[teacher.name],
        max_gap=c.max_gap,
        p95_latency_ms=c.p95_latency_ms,
        monthly_volume=c.monthly_volume,
        horizon_months=c.horizon_months,
        stale_prices=stale_prices,
        deprecations=deprecations,
        max_slice_gap=c.max_slice_gap,
        budget_usd_per_month=c.budget_usd_per_month,
        teacher_p95_latency_ms=getattr(measured[teacher.name].latency, "p95", None),
    )
    monthly: dict[str, object] = {name: monthly_cost(v, c.monthly_volume) for name, v in costs.items() if v is not None}
    for name, r in routes_out.items():
        if r.cost_per_call_usd is not None:
            monthly[f"route:{name}"] = monthly_cost(r.cost_per_call_usd, c.monthly_volume)
    if train_samples and costs[teacher.name] is not None:
        monthly["one_time_teacher_labelling_usd"] = len(train_samples) * (costs[teacher.name] or 0.0)

    report = Report(
        advisor_version=__version__,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        run_seconds=time.perf_counter() - started,
        task={"type": spec.task.type, "labels": labels, "label_parsing": mode, "metric": metric},
        constraints=c.model_dump(),
        dataset=DatasetOut(
            source=samples.source,
            fingerprint=samples.fingerprint,
            n_samples=len(samples),
            n_eval=len(eval_samples),
            n_train=len(train_samples),
            slices={n: int(idx.sum()) for n, idx in slice_idx.items()},
            quality_metric=_quality_metric(metric, has_ref, recorded_scores),  # type: ignore[arg-type]
        ),
        verdict=VerdictOut(
            decision=verdict.decision,  # type: ignore[arg-type]
            student=verdict.student,
            threshold=verdict.threshold,
            reason=verdict.reason,
            binding_constraint=verdict.binding_constraint,
            risks=verdict.risks,
            savings=SavingsOut(**dataclasses.asdict(verdict.savings)) if verdict.savings else None,
            signal=verdict.signal,
            tiers=list(verdict.tiers),
            guarantee=_guarantee_out(verdict.route) if verdict.route else None,
            monitor=verdict.monitor,
        ),
        models=models_out,
        gaps=gaps_out,
        routes=routes_out,
        costs=monthly,
        hardware=detect_hardware().as_dict(),
        cost_model=cost_model,
        warnings=warnings,
        analysis=analysis,
    )
    provenance = build_provenance(spec, report, now=dt.datetime.now(dt.UTC))
    return report.model_copy(update={"provenance": provenance})


def run_spec(
    spec: RunSpec, out_dir: str | Path, *, progress: ProgressFn | None = None
) -> tuple[Report, dict[str, Path]]:
    """Run ``spec`` and write every report format into ``out_dir``."""
    from .report import write_reports
    from .report.write import write_jsonl_atomic

    rows: list[dict[str, Any]] = []
    report = asyncio.run(run_pipeline(spec, progress=progress, on_predictions=rows.extend))
    paths = write_reports(report, out_dir)
    paths["predictions"] = Path(out_dir) / "predictions.jsonl"
    write_jsonl_atomic(paths["predictions"], rows)
    return report, paths
