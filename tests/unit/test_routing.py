"""Routing: simulation, p-values, LTT, cascades, frontier, APGR/CPT, AIQ, oracle (worked by hand)."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from advisor.routing import (
    aiq,
    apgr,
    binomial_pvalue,
    calls_for_gap,
    check_route,
    choose_cascade_threshold,
    choose_threshold,
    clopper_pearson,
    hoeffding_bentkus_pvalue,
    ltt_select,
    oracle_route,
    pareto_front,
    risk_upper_bound,
    route_frontier,
    route_loss,
    simulate_cascade,
    simulate_route,
)

A = np.asarray


def test_simulate_route_and_loss_by_hand() -> None:
    conf = A([0.9, 0.1, 0.5, 0.7])
    s = A([1.0, 0.0, 0.0, 1.0])
    t = A([1.0, 1.0, 1.0, 0.0])
    out = simulate_route(conf, s, t, 0.5)  # escalate only conf < 0.5: example 1
    assert out.escalation_rate == 0.25
    assert out.scores.tolist() == [1.0, 1.0, 0.0, 1.0]
    # kept: 0, 2, 3; loss where teacher right and kept student wrong: example 2 only
    assert route_loss(conf, s, t, 0.5).tolist() == [0.0, 0.0, 1.0, 0.0]
    # the student beating the teacher (example 3) does not offset a loss
    assert route_loss(conf, s, t, 0.0).sum() == 2.0


@pytest.mark.parametrize(("k", "n", "m"), [(0, 50, 0.05), (3, 200, 0.02), (30, 300, 0.1), (12, 100, 0.1)])
def test_binomial_pvalue_matches_scipy_binomtest(k: int, n: int, m: float) -> None:
    expected = stats.binomtest(k, n, m, alternative="less").pvalue
    assert binomial_pvalue(k, n, m) == pytest.approx(expected, rel=1e-9)


def test_hoeffding_bentkus_by_hand_and_no_smaller_than_exact() -> None:
    n, m, rhat = 400, 0.1, 0.05
    kl = rhat * np.log(rhat / m) + (1 - rhat) * np.log((1 - rhat) / (1 - m))
    hb = min(np.exp(-n * kl), np.e * stats.binom.cdf(np.ceil(n * rhat), n, m))
    assert hoeffding_bentkus_pvalue(rhat, n, m) == pytest.approx(hb)
    # for 0/1 data HB is conservative relative to the exact tail
    assert hoeffding_bentkus_pvalue(rhat, n, m) >= binomial_pvalue(int(n * rhat), n, m)
    assert hoeffding_bentkus_pvalue(0.2, n, m) == 1.0


def test_clopper_pearson_and_upper_bound_match_statsmodels() -> None:
    lo, hi = proportion_confint(7, 60, alpha=0.05, method="beta")
    assert clopper_pearson(7, 60, 0.95) == pytest.approx((lo, hi))
    losses = A([1.0] * 7 + [0.0] * 53)
    _, up = proportion_confint(7, 60, alpha=0.2, method="beta")  # one-sided 90% = two-sided 80%
    assert risk_upper_bound(losses, 0.1) == pytest.approx(up)
    cont = A([0.5] * 10 + [0.0] * 50)
    assert risk_upper_bound(cont, 0.1) == pytest.approx(5 / 60 + np.sqrt(np.log(10) / 120))


def test_ltt_stops_at_first_non_rejection() -> None:
    # losses per threshold: 0 losses, 0, 40 (fails), then 0 again (never reached)
    table = {0.9: 0, 0.8: 0, 0.7: 40, 0.6: 0}

    def losses(lam: float) -> np.ndarray:
        x = np.zeros(100)
        x[: table[lam]] = 1.0
        return x

    res = ltt_select(losses, [0.9, 0.8, 0.7, 0.6], margin=0.1, delta=0.1)
    assert res.threshold == 0.8 and res.n_rejected == 2 and len(res.p_values) == 3
    assert res.p_values[0] == pytest.approx(0.9**100)
    assert res.method == "ltt-binomial"
    # nothing certified: the teacher alone
    table[0.9] = 50
    assert ltt_select(losses, [0.9, 0.8], margin=0.1, delta=0.1).threshold == float("inf")
    with pytest.raises(ValueError, match="delta"):
        ltt_select(losses, [0.9], margin=0.1, delta=1.5)


def test_choose_threshold_certifies_and_checks_on_disjoint_split() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    conf = rng.uniform(size=n)
    s = (rng.uniform(size=n) < 0.5 + 0.5 * conf).astype(float)
    t = (rng.uniform(size=n) < 0.9).astype(float)
    ch = choose_threshold(conf, s, t, rng, margin=0.05, delta=0.1, n_boot=200)
    assert ch is not None
    assert ch.n_calibration == 1000 and ch.n_test == 1000
    # population risk 0.225 (1 - lam)^2 <= 0.05 needs lam >= 0.529; LTT errs on the safe side
    assert 0.529 <= ch.threshold < 0.8
    assert ch.method == "ltt-binomial" and ch.calibration_risk <= 0.05
    assert ch.held_on_test == (ch.test_risk <= 0.05)
    assert ch.test_escalation_ci[0] <= ch.test_escalation_rate <= ch.test_escalation_ci[1]
    assert choose_threshold(conf[:10], s[:10], t[:10], rng, margin=0.05) is None


def test_check_route_by_hand() -> None:
    rng = np.random.default_rng(1)
    conf = A([0.9, 0.2, 0.8, 0.1] * 5)
    s = A([1.0, 0.0, 0.0, 1.0] * 5)
    t = A([1.0, 1.0, 1.0, 1.0] * 5)
    esc, risk, upper, ci, gap = check_route(conf, s, t, 0.5, rng, margin=0.1, delta=0.1, n_boot=200)
    assert esc == 0.5 and risk == 0.25 and gap.gap == -0.25
    assert upper > risk and ci == pytest.approx(clopper_pearson(10, 20))


def test_three_tier_cascade_by_hand() -> None:
    s1, s2, t = A([1.0, 0.0, 0.0, 1.0]), A([0.0, 1.0, 0.0, 1.0]), A([1.0, 1.0, 1.0, 0.0])
    c1, c2 = A([0.9, 0.2, 0.3, 0.1]), A([0.5, 0.8, 0.1, 0.4])
    out = simulate_cascade([s1, s2, t], [c1, c2], [1.0, 2.0, A([10.0, 10.0, 20.0, 20.0])], [0.5, 0.35])
    # ex0: tier1 (0.9); ex1: tier2 (0.8); ex2: teacher; ex3: tier2 (0.4)
    assert out.scores.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert out.answered_share == (0.25, 0.5, 0.25) and out.reached_share == (1.0, 0.75, 0.25)
    assert out.cost_per_call == pytest.approx((1 + 3 + 23 + 3) / 4)
    with pytest.raises(ValueError):
        simulate_cascade([s1], [], [1.0], [])


def test_frontier_pareto_apgr_cpt_by_hand() -> None:
    conf = A([0.9, 0.1, 0.2, 0.8])
    s = A([1.0, 0.0, 0.0, 1.0])
    t = A([1.0, 1.0, 1.0, 1.0])
    pts = route_frontier(conf, s, t, 1.0, 10.0)
    assert [p.escalation_rate for p in pts] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [p.quality for p in pts] == [0.5, 0.75, 1.0, 1.0, 1.0]
    assert [p.cost_per_call for p in pts] == [1.0, 3.5, 6.0, 8.5, 11.0]
    assert [p.escalation_rate for p in pareto_front(pts)] == [0.0, 0.25, 0.5]
    # PGR = 0, .5, 1, 1, 1 at x = 0, .25, .5, .75, 1: trapezoid area 0.0625 + 0.1875 + 0.25 + 0.25
    assert apgr(conf, s, t) == pytest.approx(0.75)
    assert calls_for_gap(conf, s, t, 0.5) == pytest.approx(0.25)
    assert calls_for_gap(conf, s, t, 0.8) == pytest.approx(0.25 + 0.3 * 0.25 / 0.5)
    assert np.isnan(apgr(conf, t, t))


def test_apgr_of_a_random_router_is_about_half() -> None:
    rng = np.random.default_rng(5)
    n = 20000
    s = (rng.uniform(size=n) < 0.6).astype(float)
    t = (rng.uniform(size=n) < 0.9).astype(float)
    assert apgr(rng.uniform(size=n), s, t) == pytest.approx(0.5, abs=0.02)


def test_aiq_by_hand() -> None:
    # upper hull (1,.5) (3,.9) (4,.8); (2,.6) lies under the chord; non-decreasing: (4,.9)
    # area over [1,4]: 2 * (.5+.9)/2 + 1 * .9 = 2.3
    assert aiq([1, 2, 3, 4], [0.5, 0.6, 0.9, 0.8]) == pytest.approx(2.3 / 3)
    # wider bounds to the right stay flat at the best quality
    assert aiq([1, 3], [0.5, 0.9], bounds=(1, 5)) == pytest.approx((2 * 0.7 + 2 * 0.9) / 4)
    with pytest.raises(ValueError):
        aiq([1, 3], [0.5, 0.9], bounds=(0, 3))


def test_oracle_route_by_hand() -> None:
    scores = A([[1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 0], [1, 0, 0]], dtype=float)
    costs = A([1.0, 2.0, 10.0])
    o = oracle_route(scores, costs, reference=2)
    # ex: model0, model1, teacher, model0 (teacher wrong too), model0 (teacher wrong, cheap right)
    assert o.cost_per_call == pytest.approx((1 + 2 + 10 + 1 + 1) / 5)
    assert o.quality == pytest.approx(4 / 5) and o.choice_share == (0.6, 0.2, 0.2)
    best = oracle_route(scores, costs)
    assert best.quality == pytest.approx(4 / 5)


def test_cascade_threshold_uses_last_tier_as_reference() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    c1, c2 = rng.uniform(size=n), rng.uniform(size=n)
    s1 = (rng.uniform(size=n) < 0.4 + 0.6 * c1).astype(float)
    s2 = (rng.uniform(size=n) < 0.6 + 0.4 * c2).astype(float)
    t = np.ones(n)
    res = choose_cascade_threshold([s1, s2, t], [c1, c2], margin=0.05, delta=0.1)
    out = simulate_cascade([s1, s2, t], [c1, c2], [0.0, 0.0, 0.0], [res.threshold] * 2)
    assert np.isfinite(res.threshold) and np.mean(1 - out.scores) <= 0.05
