"""Report figures as self-contained inline SVG (matplotlib, no pyplot state, no external assets).

Each function takes a :class:`Report` and returns an ``<svg>`` element as text, or ``None`` when
the report holds nothing to draw (so the caller leaves the figure out).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

from ..distill.curve import PowerLawFit  # noqa: E402
from .schema import LearningCurveOut, Report  # noqa: E402

CHOSEN = "#E4572E"
"""Colour of the recommended option in every figure."""
TEACHER = "#1F2A44"
OK = "#2E8B57"
NOT_OK = "#8A8F98"
MARGIN = "#C0392B"
_PALETTE = ("#2F6FB3", "#7A4FB5", "#1A9E9E", "#B58B00", "#6B8E23", "#A0522D", "#4682B4", "#8B3A62")
_MAX_FOREST_ROWS = 60


@dataclass(frozen=True)
class _Point:
    """One option on the cost-quality plane."""

    label: str
    kind: str  # "teacher" | "student" | "route"
    cost: float
    quality: float
    ci: tuple[float, float] | None
    chosen: bool


def _figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    return fig


def _svg(fig: Figure, prefix: str) -> str:
    """Serialise ``fig`` to an inline ``<svg>`` whose element ids are unique to ``prefix``."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": prefix}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    for i in sorted(ids, key=len, reverse=True):
        text = text.replace(f'id="{i}"', f'id="{prefix}-{i}"')
        text = text.replace(f"#{i})", f"#{prefix}-{i})").replace(f'"#{i}"', f'"#{prefix}-{i}"')
    text = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", text, count=1)
    return text.replace("<svg", f'<svg class="plot" data-plot="{prefix}" role="img"', 1)


def _chosen_route(report: Report) -> str | None:
    v = report.verdict
    return v.student if v.decision == "route" else None


def _frontier_points(report: Report) -> list[_Point]:
    v = report.verdict
    teacher = next((m for m in report.models.values() if m.role == "teacher"), None)
    points: list[_Point] = []
    for name, m in report.models.items():
        if m.cost_per_call_usd is None or m.cost_per_call_usd <= 0:
            continue
        chosen = (v.decision == "distill" and v.student == name) or (
            v.decision == "keep_teacher" and m.role == "teacher"
        )
        points.append(
            _Point(name, m.role, m.cost_per_call_usd, m.quality, tuple(m.quality_ci), chosen)  # type: ignore[arg-type]
        )
    if teacher is not None:
        for name, rt in report.routes.items():
            if rt.cost_per_call_usd is None or rt.cost_per_call_usd <= 0:
                continue
            q = teacher.quality + rt.test_gap.gap
            ci = (teacher.quality + rt.test_gap.ci[0], teacher.quality + rt.test_gap.ci[1])
            label = f"route: {name} → teacher"
            points.append(_Point(label, "route", rt.cost_per_call_usd, q, ci, _chosen_route(report) == name))
    return points


def _pareto(points: Sequence[_Point]) -> list[_Point]:
    """Points no other point beats on both cost (lower) and quality (higher), by cost."""
    front: list[_Point] = []
    for p in sorted(points, key=lambda p: (p.cost, -p.quality)):
        if not front or p.quality > front[-1].quality:
            front.append(p)
    return front


def frontier_svg(report: Report, *, prefix: str = "frontier", size: tuple[float, float] = (7.2, 4.0)) -> str | None:
    """Cost per call (log scale) against quality, with CIs, the Pareto frontier and the chosen option.

    Args:
        report: the report.
        prefix: unique id prefix for the SVG elements (one per figure on a page).
        size: width and height in inches.
    """
    points = _frontier_points(report)
    if len(points) < 2:
        return None
    fig = _figure(*size)
    ax = fig.add_subplot()
    front = _pareto(points)
    ax.plot([p.cost for p in front], [p.quality for p in front], color="#B8C2D6", lw=1.5, zorder=1)
    for name, rt in report.routes.items():  # each route's thresholds, from all-student to all-teacher
        curve = [(f.cost_per_call_usd, f.quality) for f in rt.frontier if f.cost_per_call_usd > 0]
        if len(curve) > 1:
            curve.sort()
            ax.plot(
                [c for c, _ in curve],
                [q for _, q in curve],
                color=CHOSEN if _chosen_route(report) == name else "#9AA5B8",
                lw=1,
                ls=":",
                zorder=1,
                label=f"route thresholds: {name}",
            )
    colours = iter(_PALETTE)
    for p in points:
        colour = CHOSEN if p.chosen else TEACHER if p.kind == "teacher" else next(colours, "#555555")
        marker = {"teacher": "s", "student": "o", "route": "D"}[p.kind]
        if p.ci is not None:
            ax.errorbar(
                p.cost,
                p.quality,
                yerr=[[p.quality - p.ci[0]], [p.ci[1] - p.quality]],
                fmt="none",
                ecolor=colour,
                elinewidth=1.2,
                capsize=3,
                zorder=2,
            )
        ax.scatter(
            [p.cost],
            [p.quality],
            s=90 if p.chosen else 55,
            marker=marker,
            color=colour,
            edgecolors="black" if p.chosen else "white",
            linewidths=1.2,
            zorder=3,
            label=p.label + (" (recommended)" if p.chosen else ""),
        )
    teacher = next((p for p in points if p.kind == "teacher"), None)
    max_gap = report.constraints.get("max_gap")
    if teacher is not None and isinstance(max_gap, int | float):
        ax.axhline(teacher.quality - float(max_gap), color=MARGIN, ls="--", lw=1, zorder=0)
        ax.annotate(
            f"teacher − margin ({float(max_gap):.3f})",
            (0.01, teacher.quality - float(max_gap)),
            xycoords=("axes fraction", "data"),
            xytext=(0, -11),
            textcoords="offset points",
            color=MARGIN,
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.set_xlabel("cost per call (USD, log scale)")
    ax.set_ylabel(report.dataset.quality_metric.replace("_", " "))
    ax.set_title("Cost–quality frontier", loc="left", fontsize=11)
    ax.grid(True, which="major", color="#E5E8EE", lw=0.6)
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    return _svg(fig, prefix)


def forest_svg(report: Report) -> str | None:
    """Per-slice gap (student minus teacher) with CIs; the margin and zero drawn as vertical lines."""
    rows: list[tuple[str, float, tuple[float, float], bool, bool]] = []
    for student, g in report.gaps.items():
        chosen = report.verdict.student == student and report.verdict.decision != "keep_teacher"
        rows.append((f"{student} — overall", g.overall.gap, tuple(g.overall.ci), g.overall.non_inferior, chosen))  # type: ignore[arg-type]
        if len(g.slices) > 1:
            for name, sg in g.slices.items():
                rows.append((f"    {name} (n={sg.n})", sg.gap, tuple(sg.ci), sg.non_inferior, chosen))  # type: ignore[arg-type]
    if not rows:
        return None
    omitted = max(0, len(rows) - _MAX_FOREST_ROWS)
    rows = rows[:_MAX_FOREST_ROWS]
    fig = _figure(7.2, 1.0 + 0.26 * len(rows))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    for y, (_, gap, ci, ok, chosen) in zip(ys, rows, strict=True):
        colour = CHOSEN if chosen and ok else OK if ok else NOT_OK
        ax.hlines(y, ci[0] * 100, ci[1] * 100, color=colour, lw=2)
        ax.scatter([gap * 100], [y], color=colour, s=28, zorder=3, marker="D" if chosen else "o")
    ax.set_yticks(ys, [r[0] for r in rows], fontsize=8)
    ax.axvline(0, color="#333333", lw=0.8)
    max_gap = report.constraints.get("max_gap")
    if isinstance(max_gap, int | float):
        ax.axvline(-float(max_gap) * 100, color=MARGIN, ls="--", lw=1)
        ax.text(-float(max_gap) * 100, len(rows) - 0.4, " −margin", color=MARGIN, fontsize=8, va="bottom")
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlabel("gap in points (student − teacher), CI at confidence " + str(report.constraints.get("confidence")))
    title = "Quality gap per slice"
    if omitted:
        title += f" (first {_MAX_FOREST_ROWS} rows; {omitted} more in the table)"
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, axis="x", color="#E5E8EE", lw=0.6)
    return _svg(fig, "forest")


@dataclass(frozen=True)
class CostLine:
    """One option's monthly cost and one-time cost over the horizon."""

    label: str
    monthly_usd: float
    one_time_usd: float
    chosen: bool
    cumulative_usd: tuple[float, ...] = ()
    """Cumulative cost at the end of months 1..horizon when the cost model gives it (re-distillation
    included); empty: one-time cost plus months x monthly cost."""
    break_even_month: int | None = None
    """First month at or below the teacher's cumulative cost, from the cost model."""


def _option_label(key: str, teacher_name: str | None) -> str:
    kind, _, student = key.partition(":")
    if kind == "teacher" or not student:
        return teacher_name or key
    return student if kind == "distill" else f"route: {student}"


def cost_lines(report: Report) -> list[CostLine]:
    """Teacher, each student and each route: monthly and one-time cost.

    From ``report.cost_model`` when the run has one (one-time costs of labelling, training and
    re-distillation included), else from ``report.costs`` (teacher labelling as the one-time cost
    of distilled students).
    """
    v = report.verdict
    teacher_name = next((n for n, m in report.models.items() if m.role == "teacher"), None)
    if report.cost_model is not None and report.cost_model.options:
        lines: list[CostLine] = []
        for key, o in report.cost_model.options.items():
            chosen = (o.kind == v.decision and o.student == v.student) or (
                o.kind == "teacher" and v.decision == "keep_teacher"
            )
            lines.append(
                CostLine(
                    _option_label(key, teacher_name),
                    o.monthly_usd,
                    o.one_time_usd,
                    chosen,
                    tuple(o.cumulative_usd),
                    o.break_even_month,
                )
            )
        return lines
    costs = report.costs
    labelling = costs.get("one_time_teacher_labelling_usd")
    one_time_distilled = float(labelling) if isinstance(labelling, int | float) else 0.0
    lines = []
    for name, m in report.models.items():
        value = costs.get(name)
        if not isinstance(value, int | float):
            continue
        one_time = one_time_distilled if m.training is not None else 0.0
        chosen = (v.decision == "distill" and v.student == name) or (
            v.decision == "keep_teacher" and m.role == "teacher"
        )
        lines.append(CostLine(name, float(value), one_time, chosen))
    for name in report.routes:
        value = costs.get(f"route:{name}")
        if not isinstance(value, int | float):
            continue
        one_time = one_time_distilled if report.models.get(name) and report.models[name].training else 0.0
        lines.append(CostLine(f"route: {name}", float(value), one_time, _chosen_route(report) == name))
    return lines


def break_even_month(teacher_monthly: float, option: CostLine) -> float | None:
    """Months until ``option``'s one-time cost is repaid by its monthly saving (None: never)."""
    saving = teacher_monthly - option.monthly_usd
    if saving <= 0:
        return None
    return option.one_time_usd / saving


def _cumulative(c: CostLine, months: int) -> tuple[list[float], list[float]]:
    """Month 0..horizon and the option's cumulative cost (the one-time cost is paid in month 1)."""
    if c.cumulative_usd:
        return list(range(len(c.cumulative_usd) + 1)), [0.0, *c.cumulative_usd]
    xs = list(range(months + 1))
    return [float(x) for x in xs], [0.0] + [c.one_time_usd + c.monthly_usd * x for x in xs[1:]]


def cost_svg(report: Report) -> str | None:
    """Monthly cost per option (bars) and cumulative cost over the horizon with break-even points."""
    lines = cost_lines(report)
    teacher_name = next((n for n, m in report.models.items() if m.role == "teacher"), None)
    teacher = next((c for c in lines if c.label == teacher_name), None)
    if teacher is None or len(lines) < 2:
        return None
    horizon = report.constraints.get("horizon_months")
    months = int(horizon) if isinstance(horizon, int | float) and horizon > 0 else 12
    fig = _figure(7.2, 4.0)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.4])
    colours = iter(_PALETTE)
    colour_of = {c.label: CHOSEN if c.chosen else TEACHER if c is teacher else next(colours, "#555555") for c in lines}
    left.barh(
        [c.label for c in lines][::-1],
        [c.monthly_usd for c in lines][::-1],
        color=[colour_of[c.label] for c in lines][::-1],
    )
    left.set_xlabel("USD per month")
    left.tick_params(axis="y", labelsize=8)
    left.set_title("Monthly cost", loc="left", fontsize=11)
    for c in lines:
        xs, ys = _cumulative(c, months)
        right.plot(xs, ys, color=colour_of[c.label], lw=2.4 if c.chosen else 1.4, label=c.label)
        if c is teacher or c.one_time_usd <= 0:
            continue
        be = float(c.break_even_month) if c.break_even_month is not None else break_even_month(teacher.monthly_usd, c)
        if be is not None and be <= months:
            y = float(np.interp(be, xs, ys))
            right.scatter([be], [y], color=colour_of[c.label], zorder=3)
            right.annotate(f"break-even {be:.1f} mo", (be, y), xytext=(4, -12), textcoords="offset points", fontsize=8)
    right.set_xlabel("months")
    right.set_ylabel("cumulative USD")
    right.set_xlim(0, months)
    right.set_title(f"Cumulative cost over {months} months", loc="left", fontsize=11)
    right.grid(True, color="#E5E8EE", lw=0.6)
    fig.legend(*right.get_legend_handles_labels(), fontsize=8, frameon=False, loc="outside lower center", ncols=3)
    return _svg(fig, "cost")


def latency_svg(report: Report) -> str | None:
    """Latency distribution per model: the p50/p90/p95/p99 quantiles, with the p95 SLO if set."""
    models = [(n, m.latency_ms) for n, m in report.models.items() if m.latency_ms is not None]
    if not models:
        return None
    fig = _figure(7.2, 3.8)
    ax = fig.add_subplot()
    colours = iter(_PALETTE)
    chosen = report.verdict.student if report.verdict.decision != "keep_teacher" else None
    qs = [50, 90, 95, 99]
    tail = [-math.log10(1 - q / 100) for q in qs]  # spreads the tail: p50 0.3, p90 1, p99 2
    positive = []
    for name, lat in models:
        assert lat is not None
        values = [lat.p50, lat.p90, lat.p95, lat.p99]
        positive += [v for v in values if v > 0]
        role = report.models[name].role
        colour = CHOSEN if name == chosen else TEACHER if role == "teacher" else next(colours, "#555555")
        ax.plot(
            [max(v, 1e-3) for v in values],
            tail,
            marker="o",
            color=colour,
            lw=2.2 if name == chosen else 1.4,
            label=f"{name} ({lat.source}, n={lat.n})",
        )
    slo = report.constraints.get("p95_latency_ms")
    if isinstance(slo, int | float):
        ax.axvline(float(slo), color=MARGIN, ls="--", lw=1)
        ax.text(float(slo), tail[0], " p95 SLO", color=MARGIN, fontsize=8)
    if positive and max(positive) / max(min(positive), 1e-3) > 20:
        ax.set_xscale("log")
    ax.set_yticks(tail, [f"p{q}" for q in qs])
    ax.set_ylim(tail[0] - 0.1, tail[-1] + 0.1)
    ax.set_xlabel("latency per call (ms)" + (", log scale" if ax.get_xscale() == "log" else ""))
    ax.set_title("Latency distribution (percentiles)", loc="left", fontsize=11)
    ax.grid(True, color="#E5E8EE", lw=0.6)
    fig.legend(fontsize=8, frameon=False, loc="outside lower center", ncols=min(3, len(models)))
    return _svg(fig, "latency")


def learning_curve_svg(name: str, lc: LearningCurveOut) -> str:
    """Held-out quality per run against teacher labels (log axis), the fitted curve, the target and budget."""
    fig = _figure(7.2, 3.4)
    ax = fig.add_subplot()
    ax.scatter([x.n for x in lc.runs], [x.quality for x in lc.runs], color=TEACHER, s=14, alpha=0.6, label="runs")
    ax.plot([x.n for x in lc.points], [x.quality_mean for x in lc.points], "o", color=TEACHER, label="mean")
    hi = float(max(x.n for x in lc.points))
    if lc.predicted_labels_for_target is not None:
        hi = max(hi, lc.predicted_labels_for_target)
    lo = min(x.n for x in lc.points)
    f = lc.fit
    if f is not None:
        grid = np.geomspace(lo, hi * 1.2, 100)
        ax.plot(grid, PowerLawFit(**f.model_dump()).predict(grid), color=CHOSEN, lw=1.6, label="fitted power law")
    ax.axhline(lc.target, color=MARGIN, ls="--", lw=1, label=f"target {lc.target:.3f}")
    if lc.predicted_labels_for_target is not None:
        ax.axvline(lc.predicted_labels_for_target, color=MARGIN, ls=":", lw=1)
    ax.set_xscale("log")
    ticks = [x.n for x in lc.points]
    ax.set_xticks(ticks, [f"{n:,}" for n in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("teacher labels (log scale; ticks at the sizes trained)")
    ax.set_ylabel(lc.metric)
    ax.set_title(f"{name}: learning curve", loc="left", fontsize=11)
    ax.grid(True, color="#E5E8EE", lw=0.6)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return _svg(fig, f"curve-{''.join(ch if ch.isalnum() else '-' for ch in name)}")


def all_plots(report: Report) -> dict[str, str]:
    """Every figure the report supports, by name (``frontier``, ``forest``, ``cost``, ``latency``)."""
    out: dict[str, str] = {}
    for name, fn in (
        ("frontier", frontier_svg),
        ("forest", forest_svg),
        ("cost", cost_svg),
        ("latency", latency_svg),
    ):
        svg = fn(report)
        if svg is not None:
            out[name] = svg
    return out
