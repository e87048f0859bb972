"""Executive summary: savings with CI, gap, binding constraint, risks; checked by hand and statsmodels."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from advisor.report.summary import MAX_RISKS, summarize, wilson_interval
from tests.report.conftest import make_report


@pytest.mark.parametrize(("k", "n", "conf"), [(33, 150, 0.95), (0, 40, 0.95), (40, 40, 0.9), (7, 300, 0.99)])
def test_wilson_interval_matches_statsmodels(k: int, n: int, conf: float) -> None:
    lo, hi = proportion_confint(k, n, alpha=1 - conf, method="wilson")
    got = wilson_interval(k, n, conf)
    assert got[0] == pytest.approx(lo, abs=1e-12) and got[1] == pytest.approx(hi, abs=1e-12)


def test_route_savings_and_interval_by_hand() -> None:
    s = summarize(make_report("route"))
    sv = s.savings
    assert sv is not None
    # teacher 0.00201/call, route 0.0000021 + 0.22 * 0.00201 per call, 1e6 calls/month.
    teacher, student, rate = 0.00201, 0.0000021, 0.22
    assert sv.teacher_monthly_usd == pytest.approx(2010.0)
    assert sv.monthly_usd == pytest.approx((teacher - student - rate * teacher) * 1e6)
    lo, hi = proportion_confint(33, 150, alpha=0.05, method="wilson")  # 0.22 * 150 = 33 escalations
    assert sv.monthly_ci is not None
    assert sv.monthly_ci[0] == pytest.approx((teacher - student - hi * teacher) * 1e6)
    assert sv.monthly_ci[1] == pytest.approx((teacher - student - lo * teacher) * 1e6)
    assert sv.monthly_ci[0] < sv.monthly_usd < sv.monthly_ci[1]
    # One-time labelling 2500 USD paid back at the monthly saving; 12-month net saving.
    assert sv.break_even_months == pytest.approx(2500 / sv.monthly_usd)
    assert sv.horizon_usd == pytest.approx(12 * sv.monthly_usd - 2500)
    assert s.gap is not None and s.gap.n == 150 and "held-out" in s.gap_label
    assert s.title.startswith("Route: minilm-distilled first") and s.binding_constraint == "quality_gap"


def test_distill_savings_are_a_point_figure() -> None:
    s = summarize(make_report("distill"))
    assert s.savings is not None and s.savings.monthly_ci is None
    assert s.savings.monthly_usd == pytest.approx((0.00201 - 0.0000021) * 1e6)
    assert s.savings.fraction == pytest.approx(1 - 0.0000021 / 0.00201)
    assert s.gap is not None and s.gap.gap == pytest.approx(-0.02)


def test_keep_teacher_has_no_savings_and_names_the_closest_student() -> None:
    s = summarize(make_report("keep_teacher"))
    assert s.savings is None and s.title == "Keep the teacher"
    assert "minilm-distilled" in s.gap_label


def test_risks_include_stale_prices_and_lifecycle_and_are_capped() -> None:
    s = summarize(make_report("route"))
    text = " ".join(s.risks)
    assert "stale price: demo-teacher" in text and "175 days" in text
    assert "deprecation date 2026-06-01" in text
    many = summarize(make_report("route", risks=[f"risk {i}" for i in range(9)]))
    assert len(many.risks) == MAX_RISKS and many.more_risks >= 9 - MAX_RISKS
