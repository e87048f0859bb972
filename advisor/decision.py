"""The three-way decision (pure): keep the teacher, distill, or route.

Every option (a student alone, or a route: student first with escalation to the teacher) is
checked against the user's constraints: quality gap overall and per slice, p95 latency,
break-even within the horizon, and the monthly budget. Among the options that pass, the one
with the lowest total cost over the horizon wins; with none, the teacher stays and the
verdict names the constraint that ruled the best option out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .quality.stats import GapEstimate
from .routing import RouteChoice


@dataclass(frozen=True)
class Candidate:
    """What the decision needs to know about one student (and its route, if any)."""

    name: str
    gap: GapEstimate
    slice_gaps: dict[str, GapEstimate]
    cost_per_call_usd: float | None
    p95_latency_ms: float | None = None
    route: RouteChoice | None = None
    route_cost_per_call_usd: float | None = None
    """Mean USD per call of the route: the student (and any models its signal needs) on every
    call plus the teacher on the escalated share."""
    route_signal: str | None = None
    """Confidence signal the route uses (``confidence``, ``agreement:<models>``, ``learned``)."""
    route_tiers: tuple[str, ...] = ()
    """Models the route calls, in order (the teacher last)."""
    route_first_tier_usd: float | None = None
    """USD per call paid on every call of the route before escalation (student plus signal models)."""
    one_time_usd: float = 0.0
    """One-time cost of adopting this student (teacher labelling, training, evaluation)."""
    copied_teacher_errors: float | None = None
    """Share of the teacher's wrong answers the student repeats exactly (needs gold answers)."""


@dataclass(frozen=True)
class Savings:
    """Expected saving versus the teacher alone."""

    monthly_usd: float
    monthly_ci: tuple[float, float]
    """Interval from the escalation-rate interval on held-out examples (routes); a point for students."""
    horizon_usd: float
    """Saving over the horizon net of one-time costs."""
    horizon_ci: tuple[float, float]
    break_even_months: float | None
    """Months until the one-time cost is recovered; None when there is none."""


@dataclass(frozen=True)
class Verdict:
    """The recommendation and why."""

    decision: str
    """``keep_teacher``, ``distill`` or ``route``."""
    student: str | None
    threshold: float | None
    reason: str
    binding_constraint: str
    risks: list[str] = field(default_factory=list)
    savings: Savings | None = None
    route: RouteChoice | None = None
    signal: str | None = None
    tiers: tuple[str, ...] = ()
    monitor: list[str] = field(default_factory=list)
    """What to watch in production for the verdict to stay right."""


def _fmt_gap(g: GapEstimate) -> str:
    return f"{g.gap:+.3f} [{g.ci[0]:+.3f}, {g.ci[1]:+.3f}]"


@dataclass(frozen=True)
class _Option:
    kind: str  # "distill" | "route"
    cand: Candidate
    cost: float
    p95: float | None
    failed: tuple[str, ...]
    savings: Savings | None
    slack: dict[str, float]


def _route_p95(c: Candidate, teacher_p95: float | None) -> float | None:
    """p95 of a route: the student's, plus the teacher's when more than 5% of calls escalate."""
    if c.route is None or c.p95_latency_ms is None:
        return None
    if c.route.test_escalation_rate <= 0.05:
        return c.p95_latency_ms
    return None if teacher_p95 is None else c.p95_latency_ms + teacher_p95


def recommend(
    candidates: Sequence[Candidate],
    *,
    teacher_cost_per_call_usd: float | None,
    max_gap: float,
    p95_latency_ms: float | None = None,
    max_slice_gap: float | None = None,
    monthly_volume: int = 1_000_000,
    horizon_months: int = 12,
    budget_usd_per_month: float | None = None,
    teacher_p95_latency_ms: float | None = None,
    stale_prices: Sequence[str] = (),
    deprecations: Sequence[str] = (),
) -> Verdict:
    """Choose among keep_teacher / distill / route under the constraints.

    A student may replace the teacher when its overall gap is non-inferior (CI lower end
    above ``-max_gap``), every slice's CI lower end is above ``-max_slice_gap`` (when set),
    it meets the p95 SLO, it is cheaper, it pays back its one-time cost within the horizon,
    and it fits the budget. A route qualifies when its threshold (chosen with the
    Learn-then-Test guarantee) escalates less than every call, its loss measured on held-out
    examples stays within the margin, and it meets the same latency, cost and budget checks.
    Among qualifying options the lowest total cost over the horizon wins.

    Args:
        candidates: one per student, with its route when one was simulated.
        teacher_cost_per_call_usd: the teacher's mean USD per call (None: unknown).
        max_gap: largest acceptable overall quality loss.
        p95_latency_ms: latency SLO (None: none).
        max_slice_gap: largest acceptable loss on any slice (None: slices are reported as risks only).
        monthly_volume: calls per month.
        horizon_months: months over which one-time costs are paid back.
        budget_usd_per_month: monthly spend limit (None: none).
        teacher_p95_latency_ms: the teacher's p95, to judge a route's latency.
        stale_prices: descriptions of prices older than the staleness limit.
        deprecations: announced vendor deprecations of the models involved.
    """
    tc = teacher_cost_per_call_usd
    options: list[_Option] = []
    for c in candidates:
        options.append(
            _distill_option(
                c,
                tc,
                max_gap,
                max_slice_gap,
                p95_latency_ms,
                monthly_volume,
                horizon_months,
                budget_usd_per_month,
            )
        )
        if c.route is not None:
            options.append(
                _route_option(
                    c,
                    tc,
                    max_gap,
                    p95_latency_ms,
                    teacher_p95_latency_ms,
                    monthly_volume,
                    horizon_months,
                    budget_usd_per_month,
                )
            )
    ok = [o for o in options if not o.failed]
    risks = _risks(candidates, stale_prices, deprecations)
    teacher_monthly = None if tc is None else tc * monthly_volume
    if ok:
        best = min(
            ok,
            key=lambda o: (
                o.cost * monthly_volume * horizon_months + o.cand.one_time_usd,
                o.kind != "distill",
            ),
        )
        return _chosen(best, tc, max_gap, monthly_volume, risks)
    # Keep the teacher: say which constraint ruled out the most promising option.
    order = [
        "quality_gap",
        "max_slice_gap",
        "p95_latency_ms",
        "cost",
        "horizon_months",
        "budget_usd_per_month",
    ]

    def rank(o: _Option) -> tuple[int, float]:
        return (max(order.index(f) for f in o.failed), -o.slack.get("quality_gap", -math.inf))

    if not options:
        return Verdict(
            "keep_teacher", None, None, "Keep the teacher: no students were evaluated.", "quality_gap", risks
        )
    closest = max(options, key=rank)
    binding = min(closest.failed, key=order.index)
    why = _why_not(closest, binding, max_gap, max_slice_gap, p95_latency_ms, horizon_months, budget_usd_per_month)
    if budget_usd_per_month is not None and teacher_monthly is not None and teacher_monthly > budget_usd_per_month:
        risks.append(
            f"the teacher alone costs ${teacher_monthly:,.0f}/month, over the ${budget_usd_per_month:,.0f} budget"
        )
    return Verdict(
        "keep_teacher",
        None,
        None,
        f"Keep the teacher: {why}.",
        binding,
        risks,
        monitor=["re-run the advisor when prices, volumes or candidate students change"],
    )


def _savings(monthly: float, monthly_ci: tuple[float, float], one_time: float, horizon: int) -> Savings:
    be = None if one_time <= 0 else (one_time / monthly if monthly > 0 else math.inf)
    return Savings(
        monthly,
        monthly_ci,
        monthly * horizon - one_time,
        (monthly_ci[0] * horizon - one_time, monthly_ci[1] * horizon - one_time),
        be,
    )


def _common_checks(
    cost: float | None,
    p95: float | None,
    tc: float | None,
    one_time: float,
    slo: float | None,
    volume: int,
    horizon: int,
    budget: float | None,
    savings: Savings | None,
) -> tuple[list[str], dict[str, float]]:
    failed: list[str] = []
    slack: dict[str, float] = {}
    if slo is not None and p95 is not None:
        slack["p95_latency_ms"] = (slo - p95) / slo
        if p95 > slo:
            failed.append("p95_latency_ms")
    if cost is None or (tc is not None and cost >= tc):
        failed.append("cost")
    elif savings is not None and one_time > 0:
        slack["horizon_months"] = savings.horizon_usd / max(one_time, 1e-12)
        if savings.horizon_usd <= 0:
            failed.append("horizon_months")
    if budget is not None and cost is not None:
        monthly = cost * volume
        slack["budget_usd_per_month"] = (budget - monthly) / budget if budget > 0 else -math.inf
        if monthly > budget:
            failed.append("budget_usd_per_month")
    return failed, slack


def _distill_option(
    c: Candidate,
    tc: float | None,
    max_gap: float,
    max_slice_gap: float | None,
    slo: float | None,
    volume: int,
    horizon: int,
    budget: float | None,
) -> _Option:
    failed: list[str] = []
    slack = {"quality_gap": (c.gap.ci[0] + max_gap) / max(max_gap, 1e-12)}
    if not c.gap.non_inferior:
        failed.append("quality_gap")
    if max_slice_gap is not None and c.slice_gaps:
        worst = min(g.ci[0] for g in c.slice_gaps.values())
        slack["max_slice_gap"] = (worst + max_slice_gap) / max(max_slice_gap, 1e-12)
        if worst <= -max_slice_gap:
            failed.append("max_slice_gap")
    sav = None
    if c.cost_per_call_usd is not None and tc is not None:
        m = (tc - c.cost_per_call_usd) * volume
        sav = _savings(m, (m, m), c.one_time_usd, horizon)
    more, sl = _common_checks(
        c.cost_per_call_usd, c.p95_latency_ms, tc, c.one_time_usd, slo, volume, horizon, budget, sav
    )
    slack.update(sl)
    return _Option(
        "distill",
        c,
        c.cost_per_call_usd if c.cost_per_call_usd is not None else math.inf,
        c.p95_latency_ms,
        tuple(failed + more),
        sav,
        slack,
    )


def _route_option(
    c: Candidate,
    tc: float | None,
    max_gap: float,
    slo: float | None,
    teacher_p95: float | None,
    volume: int,
    horizon: int,
    budget: float | None,
) -> _Option:
    r = c.route
    assert r is not None
    failed: list[str] = []
    slack = {"quality_gap": (max_gap - r.test_risk) / max(max_gap, 1e-12)}
    if not math.isfinite(r.threshold) or not r.held_on_test:
        failed.append("quality_gap")
    sav = None
    cost = c.route_cost_per_call_usd
    if cost is not None and tc is not None:
        first = c.route_first_tier_usd if c.route_first_tier_usd is not None else cost - r.test_escalation_rate * tc
        lo_rate, hi_rate = r.test_escalation_ci
        m = (tc - cost) * volume
        ci = ((tc - first - hi_rate * tc) * volume, (tc - first - lo_rate * tc) * volume)
        sav = _savings(m, ci, c.one_time_usd, horizon)
    p95 = _route_p95(c, teacher_p95)
    more, sl = _common_checks(cost, p95, tc, c.one_time_usd, slo, volume, horizon, budget, sav)
    slack.update(sl)
    return _Option("route", c, cost if cost is not None else math.inf, p95, tuple(failed + more), sav, slack)


def _risks(candidates: Sequence[Candidate], stale: Sequence[str], deprecations: Sequence[str]) -> list[str]:
    risks: list[str] = []
    for c in candidates:
        failing = sorted(s for s, g in c.slice_gaps.items() if not g.non_inferior)
        if failing and c.gap.non_inferior:
            risks.append(f"{c.name}: non-inferior overall but not shown non-inferior on slices {', '.join(failing)}")
    risks += [f"stale price: {s}" for s in stale]
    risks += [f"vendor deprecation: {d}" for d in deprecations]
    return risks


def _chosen(o: _Option, tc: float | None, max_gap: float, volume: int, risks: list[str]) -> Verdict:
    c = o.cand
    sav = o.savings
    save_txt = ""
    if sav is not None:
        save_txt = (
            f" Expected saving ${sav.monthly_usd:,.0f}/month at {volume:,} calls "
            f"[{sav.monthly_ci[0]:,.0f}, {sav.monthly_ci[1]:,.0f}]"
        )
        if sav.break_even_months is not None:
            save_txt += f", one-time cost paid back in {sav.break_even_months:.1f} months"
        save_txt += "."
    risks = list(risks)
    if c.copied_teacher_errors is not None and c.copied_teacher_errors >= 0.5:
        risks.append(
            f"{c.name} repeats {c.copied_teacher_errors:.0%} of the teacher's wrong answers: "
            "agreement with the teacher overstates how often it is right"
        )
    if o.kind == "distill":
        binding = min(o.slack, key=lambda k: o.slack[k]) if o.slack else "cost"
        reason = (
            f"{c.name} is within the {max_gap:.3f} quality margin (gap {_fmt_gap(c.gap)}) at "
            f"${c.cost_per_call_usd:.6f}/call versus the teacher's ${(tc or 0):.6f}.{save_txt}"
        )
        return Verdict(
            "distill",
            c.name,
            None,
            reason,
            binding,
            risks,
            sav,
            monitor=[
                f"agreement of {c.name} with the teacher on a sample of live traffic",
                "input drift against the evaluation samples",
            ],
        )
    r = c.route
    assert r is not None
    binding = "quality_gap" if r.threshold > 0 else "cost"
    signal = c.route_signal or "confidence"
    reason = (
        f"Routing {c.name} first and escalating {r.test_escalation_rate:.0%} of calls (signal {signal} < "
        f"{r.threshold:.3f}) keeps the loss versus the teacher within {r.margin:.3f} with probability "
        f">= {1 - r.delta:.0%} ({r.method}, {r.n_calibration} calibration examples); on {r.n_test} held-out "
        f"examples the loss was {r.test_risk:.3f} and the gap {_fmt_gap(r.test_gap)}, at "
        f"${c.route_cost_per_call_usd:.6f}/call versus the teacher's ${(tc or 0):.6f}.{save_txt}"
    )
    return Verdict(
        "route",
        c.name,
        r.threshold,
        reason,
        binding,
        risks,
        sav,
        r,
        signal,
        c.route_tiers,
        monitor=[
            f"escalation rate (expected {r.test_escalation_ci[0]:.0%}-{r.test_escalation_ci[1]:.0%})",
            "loss versus the teacher on a random audit sample of kept answers",
            "input drift: the guarantee assumes traffic like the samples",
        ],
    )


def _why_not(
    o: _Option,
    binding: str,
    max_gap: float,
    max_slice_gap: float | None,
    slo: float | None,
    horizon: int,
    budget: float | None,
) -> str:
    c = o.cand
    what = f"{c.name}" + (" routed" if o.kind == "route" else "")
    if binding == "quality_gap":
        if o.kind == "route" and c.route is not None:
            return (
                f"no student is shown within the {max_gap:.3f} quality margin and no route keeps the loss "
                f"within it with the required guarantee (best: {what}, held-out loss {c.route.test_risk:.3f})"
            )
        return (
            f"no student is shown within the {max_gap:.3f} quality margin (best: {c.name}, gap "
            f"{_fmt_gap(c.gap)}) and no route keeps the loss within it"
        )
    if binding == "max_slice_gap":
        return f"{what} is within the overall margin but a slice loses more than {max_slice_gap}"
    if binding == "p95_latency_ms":
        return f"{what} is within the margin but its p95 latency {o.p95:.0f} ms misses the SLO of {slo} ms"
    if binding == "cost":
        return f"{what} is within the margin but not cheaper than the teacher"
    if binding == "horizon_months":
        return f"{what} does not pay back its one-time cost within {horizon} months"
    return f"{what} is within the margin but costs more than the budget of ${budget:,.0f}/month"
