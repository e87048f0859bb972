"""report.html: one self-contained page (inline CSS and SVG, no scripts, no external assets).

The first printed page is the executive summary; the rest follows the pipeline (frontier, gaps,
routes, costs, latency, further analysis, warnings, provenance). Optional sections a report lacks
are left out; report fields this module does not know are rendered generically, so a newer
report still shows everything it holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from pydantic import BaseModel

from .plots import all_plots, frontier_svg, learning_curve_svg
from .schema import GapOut, Report
from .summary import ExecutiveSummary, summarize

_KNOWN_FIELDS = {
    "schema_version",
    "advisor_version",
    "generated_at",
    "run_seconds",
    "task",
    "constraints",
    "dataset",
    "verdict",
    "models",
    "gaps",
    "routes",
    "costs",
    "hardware",
    "warnings",
    "provenance",
    "cost_model",
}
_MAX_TEXT = 240
_KNOWN_VERDICT = {"decision", "student", "threshold", "reason", "binding_constraint", "risks"}

_CSS = """
@page { size: A4; margin: 14mm 13mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1d2330; margin: 0;
  font-size: 10.5pt; line-height: 1.4; background: #fff; }
main { max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 19pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 7mm 0 2mm; border-bottom: 1.5px solid #d8dde6; padding-bottom: 1mm;
  break-after: avoid; }
h3 { font-size: 11.5pt; margin: 4mm 0 1.5mm; break-after: avoid; }
p { margin: 1.5mm 0; }
.muted { color: #5d6675; }
.small { font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; font-size: 9pt; }
th, td { border-bottom: 1px solid #e3e7ee; padding: 1.2mm 1.8mm; text-align: left; vertical-align: top; }
th { background: #f3f5f9; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
figure svg.plot { width: 100%; height: auto; display: block; }
.summary-figure svg.plot { max-height: 64mm; }
.summary ul { font-size: 9.5pt; }
@media print { main { padding: 0; max-width: none; } }
figcaption { font-size: 8.5pt; color: #5d6675; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; word-break: break-all; }
.summary { break-after: page; }
.verdict { border-left: 6px solid #E4572E; background: #fdf1ec; padding: 3mm 4mm; margin: 3mm 0; }
.verdict.keep_teacher { border-color: #1F2A44; background: #eef1f6; }
.verdict.distill { border-color: #2E8B57; background: #edf7f1; }
.verdict h2 { border: 0; margin: 0 0 1mm; padding: 0; font-size: 15pt; }
.kpis { display: grid; grid-template-columns: 1fr 1fr; gap: 3mm; margin: 3mm 0; }
.kpi { border: 1px solid #dfe3ea; border-radius: 2mm; padding: 2.5mm 3mm; }
.kpi .label { font-size: 8.5pt; color: #5d6675; text-transform: uppercase; letter-spacing: .03em; }
.kpi .value { font-size: 14pt; font-weight: 600; }
.kpi .detail { font-size: 8.5pt; color: #5d6675; }
ul { margin: 1mm 0 2mm; padding-left: 5mm; }
li { margin: 0.6mm 0; }
.ok { color: #2E8B57; font-weight: 600; }
.bad { color: #C0392B; font-weight: 600; }
.warn { color: #9a6b00; }
footer { margin-top: 4mm; font-size: 8pt; color: #5d6675; border-top: 1px solid #e3e7ee; padding-top: 2mm; }
"""


def _e(v: object) -> str:
    return escape(str(v))


def _usd(v: float | None, digits: int = 6) -> str:
    if v is None:
        return "n/a"
    return f"${v:,.{digits}f}" if abs(v) < 100 else f"${v:,.0f}"


def _money(v: float) -> str:
    return f"${v:,.2f}"


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _gap(g: GapOut) -> str:
    return f"{g.gap * 100:+.1f} pts [{g.ci[0] * 100:+.1f}, {g.ci[1] * 100:+.1f}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    def cell(tag: str, i: int, v: object) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{v}</{tag}>"

    head = "".join(cell("th", i, _e(h)) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(svg: str | None, caption: str) -> str:
    if svg is None:
        return ""
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _generic(value: Any, depth: int = 0) -> str:
    """Any JSON-like value as nested tables and lists (for sections this renderer does not know)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, Mapping):
        if not value:
            return '<p class="muted">(empty)</p>'
        if all(not isinstance(v, Mapping | list | tuple) for v in value.values()):
            return _table(["field", "value"], [[_e(k), _e(_scalar(v))] for k, v in value.items()])
        parts = []
        for k, v in value.items():
            tag = "h3" if depth == 0 else "h4"
            parts.append(f"<{tag}>{_e(k)}</{tag}>{_generic(v, depth + 1)}")
        return "".join(parts)
    if isinstance(value, list | tuple):
        if not value:
            return '<p class="muted">(none)</p>'
        if all(isinstance(v, Mapping) for v in value):
            keys: list[str] = []
            for v in value:
                keys += [k for k in v if k not in keys]
            return _table(keys, [[_e(_scalar(v.get(k))) for k in keys] for v in value])
        return "<ul>" + "".join(f"<li>{_e(_scalar(v))}</li>" for v in value) + "</ul>"
    return f"<p>{_e(_scalar(value))}</p>"


def _scalar(v: object) -> str:
    if isinstance(v, str) and len(v) > _MAX_TEXT:
        return v[: _MAX_TEXT - 1] + "…"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | tuple) and all(isinstance(x, float) for x in v):
        return "[" + ", ".join(f"{x:.4g}" for x in v) + "]"
    if v is None:
        return "—"
    return str(v)


def render_summary(s: ExecutiveSummary, figure: str | None = None) -> str:
    """The executive summary as an HTML ``<section>`` (one printed page), with an optional figure."""
    kpis = []
    if s.savings is not None:
        sv = s.savings
        ci = (
            f"CI [{_money(sv.monthly_ci[0])}, {_money(sv.monthly_ci[1])}] from the escalation-rate interval"
            if sv.monthly_ci
            else "point estimate: per-call costs carry no sampling interval"
        )
        kpis.append(
            ("Saving per month", f"{_money(sv.monthly_usd)} ({sv.fraction:.0%})", ci),
        )
        one_time = (
            f"one-time {_money(sv.one_time_usd)}, break-even in {sv.break_even_months:.1f} months"
            if sv.break_even_months is not None
            else "no one-time cost"
        )
        kpis.append((f"Net saving over {sv.horizon_months} months", _money(sv.horizon_usd), one_time))
    else:
        kpis.append(("Saving per month", "none", "the teacher stays; no option met every constraint"))
    if s.gap is not None:
        ok = s.gap.non_inferior
        kpis.append(
            (
                "Quality gap",
                _gap(s.gap),
                f"{s.gap_label}; margin {s.max_gap}, confidence {s.confidence}: "
                + ("within the margin" if ok else "not shown within the margin"),
            )
        )
    kpis.append(("Binding constraint", s.binding_constraint, s.binding_explained))
    kpi_html = "".join(
        f'<div class="kpi"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>'
        f'<div class="detail">{_e(detail)}</div></div>'
        for label, value, detail in kpis
    )
    risks = "".join(f"<li>{_e(r)}</li>" for r in s.risks) or "<li>None identified.</li>"
    if s.more_risks:
        risks += f'<li class="muted">…and {s.more_risks} more in the full report.</li>'
    monitor = ""
    if s.monitor:
        monitor = "<h3>Monitor</h3><ul>" + "".join(f"<li>{_e(m)}</li>" for m in s.monitor) + "</ul>"
    return (
        '<section class="summary" id="executive-summary">'
        '<h1>Distillation Advisor report</h1><p class="muted">Executive summary</p>'
        f'<div class="verdict {_e(s.decision)}"><h2>{_e(s.title)}</h2><p>{_e(s.reason)}</p></div>'
        f'<div class="kpis">{kpi_html}</div>'
        + (f'<figure class="summary-figure">{figure}</figure>' if figure else "")
        + f"<h3>Top risks</h3><ul>{risks}</ul>{monitor}"
        f"<footer>{_e(s.footer)}</footer></section>"
    )


def _models(r: Report) -> str:
    rows = []
    for name, m in r.models.items():
        lat = m.latency_ms
        rows.append(
            [
                _e(name),
                _e(m.role),
                f"{_pct(m.quality)} [{_pct(m.quality_ci[0])}, {_pct(m.quality_ci[1])}]",
                _pct(m.agreement_with_teacher),
                _usd(m.cost_per_call_usd),
                f"{lat.p50:.1f} / {lat.p95:.1f} ({_e(lat.source)})" if lat else "n/a",
                f'<span class="small">{_e(m.cost_source)}</span>',
            ]
        )
    return _table(
        ["model", "role", "quality [CI]", "agrees w/ teacher", "cost/call", "p50 / p95 ms", "cost source"],
        rows,
        numeric=(2, 3, 4, 5),
    )


def _learning_curves(r: Report) -> str:
    curves = {n: m.learning_curve for n, m in r.models.items() if m.learning_curve is not None}
    if not curves:
        return ""
    parts = ["<h2>Learning curves</h2>"]
    for name, lc in curves.items():
        budget = (
            "never (the fitted curve levels off below the target)"
            if lc.predicted_labels_for_target is None
            else f"{lc.predicted_labels_for_target:,.0f}" + (" (extrapolated)" if lc.extrapolated else "")
        )
        parts.append(
            f"<p>{_e(name)}: {_e(lc.metric)} on {lc.n_eval} held-out examples; teacher {_pct(lc.teacher_quality)}, "
            f"target {_pct(lc.target)}. Teacher labels predicted to reach it: {_e(budget)}; the one-time "
            f"labelling is costed at {lc.labels_costed:,}.</p>"
        )
        if (bt := lc.backtest) is not None:
            parts.append(
                f"<p>Back-test: fitted without n={bt.held_out_size:,}, the curve predicts {_pct(bt.predicted)} "
                f"there; measured {_pct(bt.measured)} ({(bt.predicted - bt.measured) * 100:+.1f} pts). The "
                "budget's interval covers seed noise only; this is how far the curve's shape missed one size "
                "ahead.</p>"
            )
        parts.append(
            _figure(
                learning_curve_svg(name, lc),
                "Each dot is a student trained on that many teacher labels (one per seed); the line is the "
                "fitted saturating power law; dashed: the target; dotted: the predicted label budget.",
            )
        )
        parts.append(
            _table(
                ["teacher labels", "runs", "quality mean", "sd", "agreement"],
                [
                    [
                        f"{x.n:,}",
                        x.seeds,
                        _pct(x.quality_mean),
                        "—" if x.quality_sd is None else f"{x.quality_sd * 100:.1f} pts",
                        "—" if x.agreement_mean is None else _pct(x.agreement_mean),
                    ]
                    for x in lc.points
                ],
                numeric=(0, 1, 2, 3, 4),
            )
        )
    return "".join(parts)


def _gaps(r: Report) -> str:
    parts = []
    for student, g in r.gaps.items():
        verdict = (
            '<span class="ok">non-inferior</span>'
            if g.overall.non_inferior
            else ('<span class="bad">not shown non-inferior</span>')
        )
        rows = []
        for name, sg in g.slices.items():
            extra = getattr(sg, "verdict", None)
            more = getattr(sg, "additional_samples_needed", None)
            note = _e(extra or ("non-inferior" if sg.non_inferior else "not shown"))
            if more:
                note += f" (≈{more} more samples)"
            rows.append([_e(name), sg.n, _gap(sg), note])
        parts.append(
            f"<h3>{_e(student)}: {_gap(g.overall)}, {verdict}</h3>"
            + _table(["slice", "n", "gap [CI]", "verdict"], rows, numeric=(1, 2))
        )
    return "".join(parts)


def _routes(r: Report) -> str:
    if not r.routes:
        return ""
    rows = [
        [
            _e(name),
            f"{rt.threshold:.3f}",
            _pct(rt.calibration_escalation_rate),
            _pct(rt.test_escalation_rate),
            _gap(rt.test_gap),
            _usd(rt.cost_per_call_usd),
        ]
        for name, rt in r.routes.items()
    ]
    return (
        "<h2>Routes</h2><p>Student first; calls below the confidence threshold go to the teacher. "
        "The threshold is chosen on a calibration half and checked on the other half.</p>"
        + _table(
            ["student", "threshold", "escalation (calib.)", "escalation (test)", "gap on test [CI]", "cost/call"],
            rows,
            numeric=(1, 2, 3, 4, 5),
        )
    )


def _cost_model(r: Report) -> str:
    cm = r.cost_model
    if cm is None:
        return ""
    rows = [
        [
            _e(key),
            _money(o.monthly_usd),
            _money(o.one_time_usd),
            str(o.redistillations),
            _money(o.horizon_total_usd),
            _money(o.saving_vs_teacher_usd),
            "—" if o.break_even_month is None else str(o.break_even_month),
            "—" if o.break_even_volume_per_month is None else f"{o.break_even_volume_per_month:,.0f}",
            f'<span class="small">{_e(o.basis)}</span>',
        ]
        for key, o in cm.options.items()
    ]
    parts = [
        f"<h3>Over {cm.horizon_months} months at {cm.monthly_volume:,} calls per month</h3>",
        _table(
            [
                "option",
                "monthly",
                "one-time",
                "re-distil.",
                "horizon total",
                "saving",
                "break-even month",
                "break-even calls/month",
                "basis",
            ],
            rows,
            numeric=(1, 2, 3, 4, 5, 6, 7),
        ),
    ]
    if cm.sensitivity:
        parts.append("<h3>Sensitivity of the horizon saving</h3>")
        parts.append(
            _table(
                ["option", "input", "base", "saving at the tried values", "break-even input", "sign flips"],
                [
                    [
                        _e(x.option),
                        _e(x.parameter),
                        f"{x.base:.4g}",
                        _e(", ".join(f"{a:.3g}: {_money(b)}" for a, b in x.points)),
                        "—" if x.break_even is None else f"{x.break_even:.4g}",
                        '<span class="bad">yes</span>' if x.flips else "no",
                    ]
                    for x in cm.sensitivity
                ],
            )
        )
    if cm.prices:
        parts.append(f"<h3>Prices the costs rely on (stale after {cm.max_price_age_days} days)</h3>")
        parts.append(
            _table(
                ["what", "as of", "age", "source"],
                [
                    [
                        _e(x.what),
                        _e(x.as_of or "—"),
                        "—" if x.age_days is None else f"{x.age_days} d" + (" (stale)" if x.stale else ""),
                        f'<span class="small">{_e(x.source)}</span>',
                    ]
                    for x in cm.prices
                ],
            )
        )
    if cm.lifecycle:
        parts.append("<h3>Vendor lifecycle within the horizon</h3><ul>")
        parts += [f"<li>{_e(x)}</li>" for x in cm.lifecycle]
        parts.append("</ul>")
    return "".join(parts)


def _costs(r: Report, svg: str | None) -> str:
    if not r.costs and r.cost_model is None:
        return ""
    volume = r.constraints.get("monthly_volume")
    rows = [[_e(k), _usd(float(v), 2) if isinstance(v, int | float) else _e(v)] for k, v in r.costs.items()]
    vol = f"{volume:,}" if isinstance(volume, int) else _e(volume)
    return (
        f"<h2>Costs at {vol} calls per month</h2>"
        + _figure(
            svg,
            "Left: monthly cost per option. Right: cumulative cost including one-time costs "
            "(teacher labelling for distilled students); break-even where a line crosses the teacher's.",
        )
        + _cost_model(r)
        + (_table(["item", "USD per month"], rows, numeric=(1,)) if rows else "")
    )


def _latency(r: Report, svg: str | None) -> str:
    rows = [
        [_e(n), _e(m.latency_ms.source), m.latency_ms.n]
        + [f"{getattr(m.latency_ms, p):.1f}" for p in ("p50", "p90", "p95", "p99")]
        + [f"{m.throughput_per_s:.1f}" if m.throughput_per_s else "n/a"]
        for n, m in r.models.items()
        if m.latency_ms is not None
    ]
    if not rows:
        return ""
    return (
        "<h2>Latency</h2>"
        + _figure(svg, "Per-call latency percentiles; 'recorded' latencies come from the uploaded logs.")
        + _table(
            ["model", "source", "n", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "throughput/s"],
            rows,
            numeric=(2, 3, 4, 5, 6, 7),
        )
    )


def _provenance(r: Report) -> str:
    d = r.dataset
    parts = [
        "<h2>Provenance</h2>",
        _table(
            ["item", "value"],
            [
                ["samples", f"<code>{_e(d.source)}</code>"],
                ["size", f"{d.n_samples} rows ({d.n_eval} evaluated, {d.n_train} used to train students)"],
                ["fingerprint (sha256)", f"<code>{_e(d.fingerprint)}</code>"],
                ["advisor / schema", f"{_e(r.advisor_version)} / {_e(r.schema_version)}"],
                ["generated", f"{_e(r.generated_at)} in {r.run_seconds:.1f} s"],
                ["measured on", _e(", ".join(f"{k}: {v}" for k, v in r.hardware.items()) or "n/a")],
            ],
        ),
    ]
    p = r.provenance
    if p is None:
        return "".join(parts)
    parts.append("<h3>Models and versions</h3>")
    parts.append(
        _table(
            ["model", "role", "backend", "model id", "version", "measured on", "projected"],
            [
                [
                    _e(m.name),
                    _e(m.role),
                    _e(m.backend),
                    _e(m.model_id or "—"),
                    _e(m.version or "—"),
                    _e(m.measured_on),
                    _e(m.projected or "—"),
                ]
                for m in p.models
            ],
        )
    )
    if p.projected:
        parts.append("<h3>Projected, not measured</h3><ul>")
        parts += [f"<li>{_e(x)}</li>" for x in p.projected]
        parts.append("</ul>")
    parts.append(f"<h3>Price sources (stale after {p.stale_after_days} days)</h3>")
    parts.append(
        _table(
            ["model", "kind", "key", "as of", "age", "source"],
            [
                [
                    _e(x.model),
                    _e(x.kind),
                    _e(x.key or "—"),
                    _e(x.as_of or "—"),
                    "—"
                    if x.age_days is None
                    else f'<span class="{"bad" if x.stale else ""}">{x.age_days} d'
                    + (" (stale)" if x.stale else "")
                    + "</span>",
                    f'<span class="small">{_e(x.source)}</span>',
                ]
                for x in p.prices
            ],
        )
    )
    parts.append("<h3>Vendor lifecycle</h3><ul>")
    parts += [f"<li>{_e(x)}</li>" for x in p.lifecycle_notes]
    parts.append("</ul>")
    parts.append(
        f'<p class="small muted">Python {_e(p.python_version)}; advisor {_e(p.advisor_version)}; '
        f"run time {p.run_seconds:.1f} s.</p>"
    )
    return "".join(parts)


def _verdict_extras(r: Report) -> str:
    dumped = r.verdict.model_dump(mode="json")
    extra = {k: v for k, v in dumped.items() if k not in _KNOWN_VERDICT}
    extra = {k: v for k, v in extra.items() if v not in (None, [], {}, ())}
    if not extra:
        return ""
    return "<h3>Decision details</h3>" + _generic(extra, 1)


def render_html(report: Report) -> str:
    """Render ``report`` as one self-contained HTML page."""
    plots = all_plots(report)
    summary = summarize(report)
    r = report
    c = r.constraints
    dumped = r.model_dump(mode="json")
    d = r.dataset
    sections = [
        render_summary(summary, frontier_svg(report, prefix="summary-frontier", size=(7.2, 3.1))),
        "<h2>Verdict and constraints</h2>",
        f"<p>{_e(r.verdict.reason)}</p>",
        _table(["constraint", "value"], [[_e(k), _e(_scalar(v))] for k, v in c.items()]),
        _verdict_extras(r),
    ]
    if r.verdict.risks:
        sections.append("<h3>All risks</h3><ul>" + "".join(f"<li>{_e(x)}</li>" for x in r.verdict.risks) + "</ul>")
    sections += [
        "<h2>Models: cost against quality</h2>",
        f"<p>Quality metric: {_e(d.quality_metric)} on {d.n_eval} evaluation examples.</p>",
        _figure(
            plots.get("frontier"),
            "Each point is an option with its quality CI; the line joins the options no other beats on "
            "both cost and quality; the recommended option is highlighted.",
        ),
        _models(r),
        _learning_curves(r),
    ]
    if r.gaps:
        sections += [
            "<h2>Quality gaps (student minus teacher)</h2>",
            _figure(
                plots.get("forest"),
                "Gap and CI per student, overall and per slice; left of the dashed line is worse than "
                "the margin allows.",
            ),
            _gaps(r),
        ]
    sections += [_routes(r), _costs(r, plots.get("cost")), _latency(r, plots.get("latency"))]
    for name in type(r).model_fields:
        if name in _KNOWN_FIELDS:
            continue
        value = dumped.get(name)
        if value in (None, [], {}, ()):
            continue
        sections.append(f'<h2 data-section="{_e(name)}">{_e(name.replace("_", " ").capitalize())}</h2>')
        sections.append(_generic(value))
    if r.warnings:
        sections.append(
            '<h2>Warnings</h2><ul class="warn">' + "".join(f"<li>{_e(w)}</li>" for w in r.warnings) + "</ul>"
        )
    sections.append(_provenance(r))
    body = "\n".join(s for s in sections if s)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Distillation Advisor report: {_e(summary.title)}</title>"
        f'<meta name="generator" content="distillation-advisor {_e(r.advisor_version)}">'
        f"<style>{_CSS}</style></head>\n<body><main>\n{body}\n</main></body></html>\n"
    )
