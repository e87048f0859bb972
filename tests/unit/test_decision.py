"""The three-way decision under constraints, with savings worked by hand."""

import math

import pytest

from advisor.decision import Candidate, recommend
from advisor.quality.stats import GapEstimate
from advisor.routing import RouteChoice


def gap(g: float, lo: float, hi: float, margin: float = 0.02) -> GapEstimate:
    return GapEstimate(g, (lo, hi), lo > -margin, 500)


GOOD = gap(-0.005, -0.015, 0.005)
BAD = gap(-0.05, -0.07, -0.03)


def route(thr: float = 0.6, esc: float = 0.3, held: bool = True, ci: tuple[float, float] = (0.25, 0.35)) -> RouteChoice:
    return RouteChoice(
        threshold=thr,
        calibration_escalation_rate=esc,
        test_escalation_rate=esc,
        test_gap=gap(-0.01, -0.02, 0.0),
        n_calibration=500,
        margin=0.02,
        delta=0.1,
        calibration_risk=0.015,
        test_risk=0.012 if held else 0.03,
        held_on_test=held,
        n_test=500,
        test_escalation_ci=ci,
    )


def test_distill_when_a_student_is_within_margin_and_cheaper() -> None:
    v = recommend(
        [Candidate("s", GOOD, {"a": GOOD}, 0.001, p95_latency_ms=50.0, one_time_usd=1200.0)],
        teacher_cost_per_call_usd=0.01,
        max_gap=0.02,
        p95_latency_ms=100.0,
        monthly_volume=100_000,
        horizon_months=12,
    )
    assert v.decision == "distill" and v.student == "s"
    # saving (0.01 - 0.001) * 100k = 900/month; 12 months - 1200 one-time = 9600; break-even 1.33 months
    assert v.savings is not None
    assert v.savings.monthly_usd == pytest.approx(900.0) and v.savings.horizon_usd == pytest.approx(9600.0)
    assert v.savings.break_even_months == pytest.approx(1200 / 900)
    # slack: gap (-0.015 + 0.02)/0.02 = 0.25; latency (100-50)/100 = 0.5; horizon 9600/1200 = 8
    assert v.binding_constraint == "quality_gap"


def test_route_when_no_student_alone_fits_and_savings_ci_from_escalation_ci() -> None:
    c = Candidate(
        "s",
        BAD,
        {},
        0.001,
        route=route(),
        route_cost_per_call_usd=0.001 + 0.3 * 0.01,
        route_signal="agreement:h",
        route_tiers=("s", "h", "t"),
        route_first_tier_usd=0.001,
    )
    v = recommend([c], teacher_cost_per_call_usd=0.01, max_gap=0.02, monthly_volume=1000)
    assert v.decision == "route" and v.threshold == 0.6 and v.signal == "agreement:h"
    assert v.binding_constraint == "quality_gap" and v.tiers == ("s", "h", "t")
    assert v.savings is not None
    # (0.01 - 0.004) * 1000 = 6; CI: escalation 35% -> (0.01 - 0.001 - 0.0035)*1000 = 5.5; 25% -> 6.5
    assert v.savings.monthly_usd == pytest.approx(6.0)
    assert v.savings.monthly_ci == pytest.approx((5.5, 6.5))
    assert "probability >= 90%" in v.reason and "0.012" in v.reason
    assert any("escalation rate" in m for m in v.monitor)


def test_route_not_held_on_test_or_teacher_only_keeps_the_teacher() -> None:
    for r in (route(held=False), route(thr=math.inf, esc=1.0)):
        c = Candidate("s", BAD, {}, 0.001, route=r, route_cost_per_call_usd=0.001 + r.test_escalation_rate * 0.01)
        v = recommend([c], teacher_cost_per_call_usd=0.01, max_gap=0.02)
        assert v.decision == "keep_teacher" and v.binding_constraint == "quality_gap"


def test_latency_budget_horizon_and_slice_constraints_bind() -> None:
    slow = Candidate("s", GOOD, {}, 0.001, p95_latency_ms=500.0)
    v = recommend([slow], teacher_cost_per_call_usd=0.01, max_gap=0.02, p95_latency_ms=300.0)
    assert (v.decision, v.binding_constraint) == ("keep_teacher", "p95_latency_ms") and "500 ms" in v.reason
    v = recommend(
        [slow],
        teacher_cost_per_call_usd=0.01,
        max_gap=0.02,
        monthly_volume=1_000_000,
        budget_usd_per_month=500,
    )
    assert (v.decision, v.binding_constraint) == ("keep_teacher", "budget_usd_per_month")
    assert any("over the $500 budget" in r for r in v.risks)  # the teacher ($10,000) is over it too
    costly = Candidate("s", GOOD, {}, 0.009, one_time_usd=50_000.0)
    v = recommend([costly], teacher_cost_per_call_usd=0.01, max_gap=0.02, monthly_volume=100_000, horizon_months=12)
    # saves 100/month: 1200 over 12 months < 50,000 one-time
    assert (v.decision, v.binding_constraint) == ("keep_teacher", "horizon_months")
    sliced = Candidate("s", GOOD, {"a": GOOD, "b": gap(-0.02, -0.08, 0.04)}, 0.001)
    v = recommend([sliced], teacher_cost_per_call_usd=0.01, max_gap=0.02, max_slice_gap=0.05)
    assert (v.decision, v.binding_constraint) == ("keep_teacher", "max_slice_gap")
    v = recommend([sliced], teacher_cost_per_call_usd=0.01, max_gap=0.02)
    assert v.decision == "distill" and any("slices b" in r for r in v.risks)
    dear = Candidate("s", GOOD, {}, 0.02)
    assert recommend([dear], teacher_cost_per_call_usd=0.01, max_gap=0.02).binding_constraint == "cost"


def test_cheapest_qualifying_option_wins_and_risks_are_listed() -> None:
    a = Candidate("a", GOOD, {}, 0.004, copied_teacher_errors=0.8)
    b = Candidate("b", BAD, {}, 0.0005, route=route(esc=0.2), route_cost_per_call_usd=0.0005 + 0.2 * 0.01)
    v = recommend(
        [a, b],
        teacher_cost_per_call_usd=0.01,
        max_gap=0.02,
        stale_prices=["gpt-4 (2023-03-01)"],
        deprecations=["gpt-4-0613 retires 2025-06"],
    )
    assert v.decision == "route" and v.student == "b"  # 0.0025/call beats 0.004/call
    assert "stale price: gpt-4 (2023-03-01)" in v.risks and "vendor deprecation: gpt-4-0613 retires 2025-06" in v.risks
    v = recommend([a], teacher_cost_per_call_usd=0.01, max_gap=0.02)
    assert v.decision == "distill" and any("repeats 80%" in r for r in v.risks)
    assert recommend([], teacher_cost_per_call_usd=0.01, max_gap=0.02).decision == "keep_teacher"
