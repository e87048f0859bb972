"""The one-page executive summary: verdict, savings with CI, binding constraint, top risks (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from .plots import break_even_month, cost_lines
from .schema import GapOut, Report

MAX_RISKS = 5
"""Risks listed on the summary page; the rest are counted and listed in the full report."""
MAX_REASON_CHARS = 360
MAX_RISK_CHARS = 160
"""Longer texts are clipped on the summary page (the full text follows in the report) so it fits one page."""

_TITLES = {
    "keep_teacher": "Keep the teacher",
    "distill": "Distill: replace the teacher with {student}",
    "route": "Route: {student} first, escalate to the teacher below confidence {threshold:.3f}",
}
_CONSTRAINTS = {
    "quality_gap": "the quality gap versus the teacher (CI against the margin)",
    "max_slice_gap": "the quality gap on the worst slice",
    "p95_latency_ms": "the p95 latency SLO",
    "cost": "cost per call",
    "horizon_months": "paying back the one-time cost within the horizon",
    "budget_usd_per_month": "the monthly budget",
}


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + " … (full text in the report)"


@dataclass(frozen=True)
class Savings:
    """Monthly saving of the recommended option versus the teacher alone."""

    teacher_monthly_usd: float
    option_monthly_usd: float
    monthly_usd: float
    monthly_ci: tuple[float, float] | None
    """From the escalation-rate interval (routes); None where the per-call costs are point figures."""
    one_time_usd: float
    break_even_months: float | None
    horizon_months: int
    horizon_usd: float
    """Saving over the horizon, net of the one-time cost."""

    @property
    def fraction(self) -> float:
        """Saving as a share of the teacher's monthly cost."""
        return self.monthly_usd / self.teacher_monthly_usd if self.teacher_monthly_usd > 0 else 0.0


@dataclass(frozen=True)
class ExecutiveSummary:
    """What a reviewer needs on one page."""

    title: str
    decision: str
    reason: str
    gap: GapOut | None
    """Quality gap of the recommended option (student overall, or the route on held-out data)."""
    gap_label: str
    max_gap: float | None
    confidence: float | None
    savings: Savings | None
    binding_constraint: str
    binding_explained: str
    risks: tuple[str, ...]
    more_risks: int
    monitor: tuple[str, ...]
    footer: str


def wilson_interval(successes: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n <= 0:
        return (0.0, 1.0)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _savings(report: Report) -> Savings | None:
    v = report.verdict
    if v.decision == "keep_teacher" or v.student is None:
        return None
    vs = v.savings
    lines = cost_lines(report)
    teacher_name = next((n for n, m in report.models.items() if m.role == "teacher"), None)
    teacher = next((c for c in lines if c.label == teacher_name), None)
    label = v.student if v.decision == "distill" else f"route: {v.student}"
    option = next((c for c in lines if c.label == label), None)
    if teacher is None or option is None:
        return None
    monthly = teacher.monthly_usd - option.monthly_usd
    ci: tuple[float, float] | None = None
    route = report.routes.get(v.student) if v.decision == "route" else None
    volume = report.constraints.get("monthly_volume")
    confidence = report.constraints.get("confidence")
    tc = report.models[teacher.label].cost_per_call_usd if teacher.label in report.models else None
    if route is not None and isinstance(volume, int | float) and isinstance(confidence, float) and tc:
        # Saving is linear in the escalation rate e: teacher - (first tier + e * teacher), per call.
        n = route.test_gap.n
        lo, hi = wilson_interval(round(route.test_escalation_rate * n), n, confidence)
        first_tier = option.monthly_usd / float(volume) - route.test_escalation_rate * tc
        ci = (
            (tc - first_tier - hi * tc) * float(volume),
            (tc - first_tier - lo * tc) * float(volume),
        )
    horizon = report.constraints.get("horizon_months")
    months = int(horizon) if isinstance(horizon, int | float) else 12
    break_even = break_even_month(teacher.monthly_usd, option) if option.one_time_usd > 0 else None
    horizon_usd = monthly * months - option.one_time_usd
    cm = report.cost_model
    cm_option = cm.options.get(f"{v.decision}:{v.student}") if cm is not None else None
    if cm is not None and cm_option is not None:  # the cost model's horizon figures (re-distillation included)
        months = cm.horizon_months
        horizon_usd = cm_option.saving_vs_teacher_usd
        if option.one_time_usd > 0 and cm_option.break_even_month is not None:
            break_even = float(cm_option.break_even_month)
    if vs is not None:  # the decision's own figures win over the ones derived here
        monthly, horizon_usd, break_even = vs.monthly_usd, vs.horizon_usd, vs.break_even_months
        if vs.monthly_ci[0] != vs.monthly_ci[1]:
            ci = vs.monthly_ci
    return Savings(
        teacher_monthly_usd=teacher.monthly_usd,
        option_monthly_usd=option.monthly_usd,
        monthly_usd=monthly,
        monthly_ci=ci,
        one_time_usd=option.one_time_usd,
        break_even_months=break_even,
        horizon_months=months,
        horizon_usd=horizon_usd,
    )


def _risks(report: Report) -> list[str]:
    risks = list(report.verdict.risks)
    seen = " ".join(risks).lower()
    p = report.provenance
    if p is not None:
        for price in p.prices:
            if price.stale and price.model.lower() not in seen:
                risks.append(
                    f"stale price: {price.model} priced from {price.key or price.kind} as of "
                    f"{price.as_of} ({price.age_days} days old; limit {p.stale_after_days})"
                )
        for m in p.models:
            if m.lifecycle and "deprecat" not in seen:
                risks.append(f"vendor lifecycle: {m.lifecycle}")
    cm = report.cost_model
    if cm is not None:
        for age in cm.prices:
            if age.stale and age.what.lower() not in " ".join(risks).lower():
                risks.append(f"stale price: {age.what} as of {age.as_of} ({age.age_days} days old)")
        risks += [f"vendor lifecycle: {note}" for note in cm.lifecycle if note not in " ".join(risks)]
    for name, model in report.models.items():
        if model.cost_source.startswith("projected") and report.verdict.student == name:
            risks.append(f"{name}: cost is projected from throughput on this machine, not measured on the target")
    return risks


def summarize(report: Report) -> ExecutiveSummary:
    """The executive summary of ``report``."""
    v = report.verdict
    title = _TITLES[v.decision].format(student=v.student, threshold=v.threshold or 0.0)
    gap: GapOut | None = None
    gap_label = ""
    if v.decision == "distill" and v.student in report.gaps:
        gap = report.gaps[v.student].overall
        gap_label = f"{v.student} minus teacher, all evaluation examples"
    elif v.decision == "route" and v.student in report.routes:
        gap = report.routes[v.student].test_gap
        gap_label = f"route minus teacher, {gap.n} held-out examples"
    elif report.gaps:
        best = max(report.gaps, key=lambda s: report.gaps[s].overall.ci[0])
        gap = report.gaps[best].overall
        gap_label = f"closest student ({best}) minus teacher"
    max_gap = report.constraints.get("max_gap")
    confidence = report.constraints.get("confidence")
    risks = _risks(report)
    monitor = tuple(getattr(v, "monitor", None) or ())
    d = report.dataset
    footer = (
        f"{d.n_samples} samples ({d.n_eval} evaluated), sha256 {d.fingerprint[:12]}; "
        f"advisor {report.advisor_version}, schema {report.schema_version}; generated {report.generated_at}."
    )
    return ExecutiveSummary(
        title=title,
        decision=v.decision,
        reason=_clip(v.reason, MAX_REASON_CHARS),
        gap=gap,
        gap_label=gap_label,
        max_gap=float(max_gap) if isinstance(max_gap, int | float) else None,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        savings=_savings(report),
        binding_constraint=v.binding_constraint,
        binding_explained=_CONSTRAINTS.get(v.binding_constraint, v.binding_constraint),
        risks=tuple(_clip(r, MAX_RISK_CHARS) for r in risks[:MAX_RISKS]),
        more_risks=max(0, len(risks) - MAX_RISKS),
        monitor=monitor[:3],
        footer=footer,
    )
