"""report.md: the same facts as report.json, for reading and pasting into a review."""

from __future__ import annotations

from ..distill.curve import PowerLawFit
from .schema import GapOut, Report

_VERDICT_TITLE = {
    "keep_teacher": "Keep the teacher",
    "distill": "Distill: replace the teacher with {student}",
    "route": "Route: {student} first, escalate to the teacher below confidence {threshold:.3f}",
}


def _usd(v: float | None) -> str:
    return "n/a" if v is None else f"${v:.6f}"


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _gap(g: GapOut) -> str:
    return f"{g.gap * 100:+.1f} pts [{g.ci[0] * 100:+.1f}, {g.ci[1] * 100:+.1f}]"


def _p(v: float | None) -> str:
    return "n/a" if v is None else (f"{v:.3f}" if v >= 0.001 else f"{v:.1e}")


def _test_cells(g: GapOut) -> str:
    more = "" if g.additional_samples_needed is None else f"{g.additional_samples_needed:,}"
    verdict = (g.verdict or "n/a").replace("_", "-")
    return f"{verdict} | {_p(g.p_value_holm)} | {_p(g.p_value_mcnemar)} | {more}"


def _hard_cases(r: Report) -> list[str]:
    lines = ["## Hard cases (student minus teacher per group, with CI)", ""]
    for student, h in r.analysis.items():
        lines += [f"### {student}", ""]
        for title, groups in (
            ("input length (characters)", h.by_input_length),
            ("teacher confidence", h.by_teacher_confidence),
            ("reference class, rarest first", h.by_class_frequency),
        ):
            if groups:
                lines += [
                    f"By {title}:",
                    "",
                    "| group | n | student | teacher | gap [CI] |",
                    "|---|---|---|---|---|",
                ]
                lines += [
                    f"| {g.name} | {g.n} | {_pct(g.student)} | {_pct(g.teacher)} | {g.gap * 100:+.1f} pts "
                    f"[{g.ci[0] * 100:+.1f}, {g.ci[1] * 100:+.1f}] |"
                    for g in groups
                ]
                lines.append("")
        e = h.errors
        if e is not None:
            rate = "n/a" if e.copy_rate is None else _pct(e.copy_rate)
            same = "" if e.copied_same_answer is None else f" ({e.copied_same_answer} with the very same answer)"
            lines += [
                f"Teacher errors: {e.teacher_errors}; the student copies {e.copied}{same} ({rate}) and "
                f"corrects {e.corrected}; it adds {e.new_errors} errors where the teacher is right.",
                "",
            ]
        if h.examples:
            lines += [
                "| kind | id | slice | input | reference | teacher | student |",
                "|---|---|---|---|---|---|---|",
            ]
            for x in h.examples:
                text = " ".join(x.input.split()).replace("|", "\\|")[:120]
                ref, tch, stu = ("" if v is None else str(v) for v in (x.reference, x.teacher, x.student))
                lines.append(f"| {x.kind} | {x.id} | {x.slice} | {text} | {ref} | {tch} | {stu} |")
            lines.append("")
    return lines


def _labels(v: float | None) -> str:
    return "unreachable" if v is None else f"{v:,.0f}"


def _learning_curves(r: Report) -> list[str]:
    """Per distilled student: held-out quality per number of teacher labels, the fit, the label budget."""
    curves = {n: m.learning_curve for n, m in r.models.items() if m.learning_curve is not None}
    if not curves:
        return []
    lines = ["## Learning curves (held-out quality versus teacher labels)", ""]
    for name, lc in curves.items():
        f = lc.fit
        law = None if f is None else PowerLawFit(**f.model_dump())
        lines += [
            f"### {name}",
            "",
            f"{lc.metric} on {lc.n_eval} held-out examples no curve student trained on; teacher "
            f"{_pct(lc.teacher_quality)}, target {_pct(lc.target)} (teacher minus max_gap).",
            "",
            "| teacher labels | runs | quality (mean ± sd) | agreement with teacher | fitted |",
            "|---|---|---|---|---|",
        ]
        for pt in lc.points:
            sd = "" if pt.quality_sd is None else f" ± {pt.quality_sd * 100:.1f} pts"
            agree = "n/a" if pt.agreement_mean is None else _pct(pt.agreement_mean)
            fitted = "n/a" if law is None else _pct(float(law.predict(pt.n)))
            lines.append(f"| {pt.n:,} | {pt.seeds} | {pt.quality_mean * 100:.1f}%{sd} | {agree} | {fitted} |")
        lines.append("")
        if f is not None:
            ci = ""
            if lc.predicted_labels_ci is not None:
                lo, hi = lc.predicted_labels_ci
                ci = f" [{lc.confidence:.0%} CI {_labels(lo)} .. {_labels(hi)}]"
            lines += [
                f"Fit: quality(n) = {f.asymptote:.3f} - {f.scale:.3g} n^-{f.exponent:.3f} (RMSE {f.rmse:.3f}). "
                f"Teacher labels predicted to reach the target: {_labels(lc.predicted_labels_for_target)}{ci}"
                f"{' (extrapolated)' if lc.extrapolated else ''}; the one-time labelling is costed at "
                f"{lc.labels_costed:,} labels.",
                "",
            ]
        else:
            lines += [f"No curve could be fitted; the one-time labelling is costed at {lc.labels_costed:,} labels.", ""]
        if (bt := lc.backtest) is not None:
            lines += [
                f"Back-test: fitted without n={bt.held_out_size:,}, the curve predicts {_pct(bt.predicted)} there; "
                f"measured {_pct(bt.measured)} ({(bt.predicted - bt.measured) * 100:+.1f} pts). The interval above "
                "covers seed noise only; this is how far the curve's shape missed one size ahead.",
                "",
            ]
    return lines


def _num(v: float | None, fmt: str = ",.0f") -> str:
    return "never" if v is None else format(v, fmt)


def _cost_sections(r: Report) -> list[str]:
    """Per-call cost with its basis, serving on the target hardware, the horizon, sensitivity, price ages."""
    lines = [
        "## Per-call cost and how each figure was obtained",
        "",
        "Basis: *measured* (timed on the target hardware), *projected* (target not present: derived, "
        "assumptions listed), *recorded* (costs in the logs), *catalog* (tokens x dated list price), "
        "*override* (negotiated price).",
        "",
        "| model | cost/call | basis | serving instance | batch x concurrency | calls/s per replica "
        "| p95 ms there | replicas | cold start ms | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in r.models.items():
        sv = m.serving
        where = f"{sv.instance} ({sv.basis}: {sv.method})" if sv else "n/a"
        shape = f"{sv.batch_size} x {sv.concurrency}" if sv else "n/a"
        rate = f"{sv.calls_per_s:,.1f}" if sv else "n/a"
        p95 = (f"{sv.p95_ms:.1f}" + ("" if sv.meets_slo else " (misses SLO)")) if sv else "n/a"
        cold = f"{m.cold_start_ms:.0f}" if m.cold_start_ms is not None else "n/a"
        rss = f"{m.peak_rss_mb:.0f}" if m.peak_rss_mb is not None else "n/a"
        lines.append(
            f"| {name} | {_usd(m.cost_per_call_usd)} | {m.cost_basis or 'n/a'} | {where} | {shape} | {rate} "
            f"| {p95} | {sv.replicas if sv else 'n/a'} | {cold} | {rss} |"
        )
    lines.append("")
    for name, m in r.models.items():
        if m.serving and m.serving.assumptions:
            lines += [f"Assumptions for {name} on {m.serving.instance}:", ""]
            lines += [f"- {a}" for a in m.serving.assumptions]
            lines.append("")
    swept = {n: m for n, m in r.models.items() if m.throughput_sweep}
    if swept:
        lines += [
            "### Throughput versus batch size and concurrency (measured on this machine)",
            "",
            "| model | batch | concurrency | calls/s | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, m in swept.items():
            for p in m.throughput_sweep:
                lines.append(
                    f"| {name} | {p.batch_size} | {p.concurrency} | {p.calls_per_s:,.1f} | {p.p50_ms:.1f} "
                    f"| {p.p95_ms:.1f} | {p.p99_ms:.1f} |"
                )
        lines.append("")
    cm = r.cost_model
    if cm is None:
        return lines
    redo = f", re-distilling every {cm.redistill_every_months} months" if cm.redistill_every_months else ""
    lines += [
        f"## Costs over {cm.horizon_months} months at {cm.monthly_volume:,} calls/month{redo}",
        "",
        "| option | cost/call | monthly | one-time | total over horizon | saving vs teacher "
        "| break-even volume/month | break-even month | basis |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, o in cm.options.items():
        lines.append(
            f"| {key} | {_usd(o.usd_per_call)} | ${o.monthly_usd:,.2f} | ${o.one_time_usd:,.2f} "
            f"| ${o.horizon_total_usd:,.2f} | ${o.saving_vs_teacher_usd:,.2f} "
            f"| {_num(o.break_even_volume_per_month) if o.kind != 'teacher' else '-'} "
            f"| {_num(o.break_even_month, 'd') if o.kind != 'teacher' else '-'} | {o.basis} |"
        )
    lines.append("")
    if cm.sensitivity:
        lines += [
            "### Sensitivity of the saving over the horizon",
            "",
            "| option | input | value in run | value where the saving is zero | a tried value flips it |",
            "|---|---|---|---|---|",
        ]
        for sr in cm.sensitivity:
            be = "none in range" if sr.break_even is None else f"{sr.break_even:,.6g}"
            lines.append(f"| {sr.option} | {sr.parameter} | {sr.base:,.6g} | {be} | {'yes' if sr.flips else 'no'} |")
        lines.append("")
    if cm.prices:
        lines += [
            f"### Price dates (stale after {cm.max_price_age_days} days)",
            "",
            "| figure | as of | age (days) | stale | source |",
            "|---|---|---|---|---|",
        ]
        for pa in cm.prices:
            age = pa.age_days if pa.age_days is not None else "n/a"
            lines.append(
                f"| {pa.what} | {pa.as_of or 'undated'} | {age} | {'yes' if pa.stale else 'no'} | {pa.source} |"
            )
        lines.append("")
    if cm.lifecycle:
        lines += ["### Vendor lifecycle", "", *[f"- {n}" for n in cm.lifecycle], ""]
    return lines


def render_markdown(r: Report) -> str:
    """Render the report as Markdown."""
    v = r.verdict
    title = _VERDICT_TITLE[v.decision].format(student=v.student, threshold=v.threshold or 0.0)
    c = r.constraints
    d = r.dataset
    lines = [
        "# Distillation Advisor report",
        "",
        f"## Verdict: {title}",
        "",
        v.reason,
        "",
        f"Binding constraint: **{v.binding_constraint}**. Margin: max gap {c.get('max_gap')} "
        f"at confidence {c.get('confidence')}.",
        "",
    ]
    if v.savings is not None:
        sv = v.savings
        be = f"; one-time cost paid back in {sv.break_even_months:.1f} months" if sv.break_even_months else ""
        lines += [
            f"Expected saving: ${sv.monthly_usd:,.0f}/month "
            f"[{sv.monthly_ci[0]:,.0f}, {sv.monthly_ci[1]:,.0f}], "
            f"${sv.horizon_usd:,.0f} over the horizon net of one-time costs{be}.",
            "",
        ]
    if v.guarantee is not None:
        vg = v.guarantee
        lines += [
            f"Guarantee: loss versus the teacher <= {vg.margin} with probability >= {1 - vg.delta:.0%} "
            f"({vg.method}, {vg.n_calibration} calibration examples, tiers {' -> '.join(v.tiers)}, "
            f"signal {v.signal}); held-out check on {vg.n_test} examples: loss {vg.test_risk:.3f} "
            f"({'held' if vg.held_on_test else 'NOT held'}).",
            "",
        ]
    if v.risks:
        lines += ["Risks:", "", *[f"- {risk}" for risk in v.risks], ""]
    if v.monitor:
        lines += ["Monitor:", "", *[f"- {m}" for m in v.monitor], ""]
    lines += [
        "## Models",
        "",
        f"Quality metric: {d.quality_metric}, on {d.n_eval} evaluation examples "
        f"({d.n_train} further examples were used only to train distilled students).",
        "",
        "| model | role | quality [CI] | agreement with teacher | cost/call | cost source | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in r.models.items():
        lat = m.latency_ms
        p50 = f"{lat.p50:.1f}" if lat else "n/a"
        p95 = f"{lat.p95:.1f} ({lat.source})" if lat else "n/a"
        lines.append(
            f"| {name} | {m.role} | {_pct(m.quality)} [{_pct(m.quality_ci[0])}, {_pct(m.quality_ci[1])}] "
            f"| {_pct(m.agreement_with_teacher)} | {_usd(m.cost_per_call_usd)} | {m.cost_source} "
            f"| {p50} | {p95} |"
        )
    lines.append("")
    lines += _learning_curves(r)
    lines += ["## Quality gaps (student minus teacher, with CI)", ""]
    for student, g in r.gaps.items():
        verdict = "non-inferior" if g.overall.non_inferior else "not shown non-inferior"
        if g.overall.verdict is not None:
            verdict += f"; test verdict: {_test_cells(g.overall).split(' | ')[0]}"
        lines += [
            f"### {student}: {_gap(g.overall)}, {verdict}",
            "",
            "Verdict per slice: one-sided test against the margin, Holm-adjusted across slices; "
            "'more samples': further examples that would settle an inconclusive slice (80% power).",
            "",
            "| slice | n | gap [CI] | CI non-inferior | verdict | Holm p (non-inf.) | McNemar p | more samples |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, sg in g.slices.items():
            lines.append(f"| {name} | {sg.n} | {_gap(sg)} | {'yes' if sg.non_inferior else 'no'} | {_test_cells(sg)} |")
        lines.append("")
    if r.analysis:
        lines += _hard_cases(r)
    if r.routes:
        lines += [
            "## Routes (threshold certified on a calibration split, checked on a test split)",
            "",
            "| student | signal | threshold | escalation (test) | gap on test [CI] | loss on test "
            "| guarantee | cost/call | APGR | CPT(50%) | CPT(80%) | AIQ |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, rt in r.routes.items():
            rg = rt.guarantee
            thr = f"{rt.threshold:.3f}" if rt.certified else "none certified (teacher only)"
            guar = (
                f"<= {rg.margin} w.p. >= {1 - rg.delta:.0%}, {'held' if rg.held_on_test else 'NOT held'}"
                if rg
                else "n/a"
            )
            loss = f"{rg.test_risk:.3f}" if rg else "n/a"

            def num(x: float | None) -> str:
                return "n/a" if x is None else f"{x:.2f}"

            lines.append(
                f"| {name} | {rt.signal or 'confidence'} | {thr} | {_pct(rt.test_escalation_rate)} "
                f"| {_gap(rt.test_gap)} | {loss} | {guar} | {_usd(rt.cost_per_call_usd)} | {num(rt.apgr)} "
                f"| {num(rt.cpt50)} | {num(rt.cpt80)} | {num(rt.aiq)} |"
            )
        lines.append("")
    if r.costs:
        lines += [f"## Monthly cost at {c.get('monthly_volume'):,} calls", ""]
        lines += [f"- {name}: {_usd(float(str(v)))}" for name, v in r.costs.items()]
        lines.append("")
    lines += _cost_sections(r)
    if r.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in r.warnings], ""]
    hw = ", ".join(f"{k}: {v}" for k, v in r.hardware.items())
    lines += [
        "## Provenance",
        "",
        f"- Samples: {d.source} ({d.n_samples} rows, sha256 {d.fingerprint[:16]}…)",
        f"- Local models measured on: {hw or 'n/a'}",
        f"- Advisor {r.advisor_version}, schema {r.schema_version}, generated {r.generated_at} "
        f"in {r.run_seconds:.1f} s",
        "",
    ]
    p = r.provenance
    if p is not None:
        lines += [
            f"- {m.name} ({m.role}, {m.backend}): {m.model_id or 'n/a'}"
            f"{', ' + m.version if m.version else ''}; timed: {m.measured_on}"
            f"{'; projected: ' + m.projected if m.projected else ''}"
            for m in p.models
        ]
        lines += [
            f"- Price of {x.model}: {x.kind} {x.key or ''} as of {x.as_of or 'n/a'}"
            f"{f' ({x.age_days} days old, STALE)' if x.stale else ''}; {x.source}"
            for x in p.prices
        ]
        lines += [f"- Vendor lifecycle: {note}" for note in p.lifecycle_notes]
        lines.append("")
    return "\n".join(lines)
