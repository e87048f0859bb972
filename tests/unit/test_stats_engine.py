"""The statistics engine against independent computations (scipy, statsmodels, by hand)."""

import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from advisor.quality.stats import (
    _bootstrap_column_means,
    _bootstrap_means,
    _tango_restricted_p21,
    bootstrap_gap_table,
    bootstrap_mean_ci,
    compare_to_teacher,
    discordant_counts,
    holm,
    margin_tests,
    mcnemar_exact,
    paired_gap,
    samples_needed,
    tango_z,
)


def paired(b: int, c: int, both: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """Student and teacher 0/1 outcomes with the given cell counts."""
    s = np.array([1] * b + [0] * c + [1] * both + [0] * neither, dtype=float)
    t = np.array([0] * b + [1] * c + [1] * both + [0] * neither, dtype=float)
    return s, t


def scipy_ci(*data: np.ndarray, stat, n: int = 20000, seed: int = 5, level: float = 0.95) -> tuple[float, float]:
    res = stats.bootstrap(
        data,
        stat,
        paired=len(data) > 1,
        vectorized=True,
        method="percentile",
        n_resamples=n,
        confidence_level=level,
        random_state=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def test_multinomial_level_draw_has_the_index_bootstrap_distribution() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random(400) < 0.3).astype(float)
    means = _bootstrap_means(x, np.random.default_rng(1), 40000)
    # By hand: a bootstrap mean has expectation x.mean() and variance mean((x - x.mean())^2) / n.
    assert means.mean() == pytest.approx(x.mean(), abs=5e-4)
    assert means.var() == pytest.approx(x.var() / x.size, rel=0.03)
    # Against scipy.stats.bootstrap (index resampling), percentile endpoints.
    lo, hi = bootstrap_mean_ci(x, np.random.default_rng(2), n_boot=20000)
    s_lo, s_hi = scipy_ci(x, stat=lambda a, axis: a.mean(axis=axis))
    assert lo == pytest.approx(s_lo, abs=0.0051) and hi == pytest.approx(s_hi, abs=0.0051)
    # Two-sample KS between the level draw and a plain index resample of the same data.
    idx = np.random.default_rng(3).integers(0, x.size, size=(20000, x.size))
    assert stats.ks_2samp(means[:20000], x[idx].mean(axis=1)).pvalue > 1e-3


def test_gap_table_matches_scipy_paired_bootstrap_per_group_binary_and_continuous() -> None:
    rng = np.random.default_rng(4)
    n = 600
    groups = rng.integers(0, 3, n)
    teacher = (rng.random(n) < 0.8).astype(float)
    students = np.stack([(rng.random(n) < p).astype(float) for p in (0.7, 0.78)])
    cont_t = rng.normal(0.6, 0.2, n)
    cont_s = cont_t + rng.normal(-0.05, 0.1, n)
    for s_all, t_all in ((students, teacher), (cont_s[None, :], cont_t)):
        table = bootstrap_gap_table(s_all, t_all, groups, np.random.default_rng(6), n_boot=20000)
        for k in range(s_all.shape[0]):
            for g in range(3):
                mk = groups == g
                a, b = s_all[k][mk], t_all[mk]
                assert table.gap[k, g] == pytest.approx((a - b).mean(), abs=1e-12)
                lo, hi = scipy_ci(a, b, stat=lambda x, y, axis: np.mean(x - y, axis=axis))
                assert table.low[k, g] == pytest.approx(lo, abs=0.006)
                assert table.high[k, g] == pytest.approx(hi, abs=0.006)
        assert list(table.n) == [int((groups == g).sum()) for g in range(3)]


def test_count_resampling_of_continuous_columns_has_the_index_bootstrap_distribution() -> None:
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.normal(size=300), rng.exponential(size=300), rng.random(300)])
    x[:, 1] += x[:, 0]  # correlated columns: shared resamples keep their covariance
    means = _bootstrap_column_means(x, np.random.default_rng(8), 40000)
    # By hand: a bootstrap mean vector has expectation x.mean(0) and covariance cov(x, ddof=0) / n.
    assert means.mean(axis=0) == pytest.approx(x.mean(axis=0), abs=3e-3)
    assert np.cov(means.T) == pytest.approx(np.cov(x.T, ddof=0) / 300, rel=0.04, abs=1e-5)
    # Two-sample KS against a plain index resample of the same column.
    idx = np.random.default_rng(9).integers(0, 300, size=(20000, 300))
    assert stats.ks_2samp(means[:20000, 1], x[idx, 1].mean(axis=1)).pvalue > 1e-3


def test_count_resampling_above_65536_examples() -> None:
    x = np.random.default_rng(1).normal(0.3, 1.0, (70_000, 1))
    means = _bootstrap_column_means(x, np.random.default_rng(2), 600)
    se = x.std() / math.sqrt(x.shape[0])
    assert abs(means.mean() - x.mean()) < 0.2 * se
    assert 0.85 < means.std() / se < 1.15  # sd of a 600-draw SD estimate is ~3%


def test_paired_gap_keeps_its_contract() -> None:
    s, t = paired(b=5, c=25, both=150, neither=20)
    g = paired_gap(s, t, np.random.default_rng(0), margin=0.05)
    assert g.gap == pytest.approx(-0.1) and g.n == 200 and g.ci[0] < -0.1 < g.ci[1]
    # non_inferior is the unadjusted one-sided margin test at (1 - confidence) / 2.
    assert g.non_inferior is False
    s, t = paired(b=10, c=12, both=700, neither=78)
    g = paired_gap(s, t, np.random.default_rng(0), margin=0.05)
    assert g.non_inferior is True
    assert margin_tests(s, t, 0.05).p_non_inferior == pytest.approx(stats.norm.sf(tango_z(10, 12, 800, -0.05)))
    with pytest.raises(ValueError):
        bootstrap_gap_table(s, t, np.array([0] * 199 + [2]), np.random.default_rng(0))  # group 1 empty


@pytest.mark.parametrize(("b", "c"), [(1, 5), (0, 0), (12, 3), (40, 61)])
def test_mcnemar_exact_matches_statsmodels(b: int, c: int) -> None:
    table = [[30, b], [c, 20]]
    assert mcnemar_exact(b, c) == pytest.approx(mcnemar(table, exact=True).pvalue, abs=1e-12)


def test_mcnemar_by_hand() -> None:
    # b=1, c=5: 2 * P(X <= 1 | Bin(6, 1/2)) = 2 * (1 + 6) / 64
    assert mcnemar_exact(1, 5) == pytest.approx(14 / 64)
    s, t = paired(b=1, c=5, both=3, neither=2)
    assert discordant_counts(s, t) == (1, 5)


def test_tango_at_zero_is_the_mcnemar_z() -> None:
    for b, c in ((7, 19), (30, 12)):
        z = tango_z(b, c, 200, 0.0)
        assert z == pytest.approx((b - c) / math.sqrt(b + c))
        chi2 = mcnemar([[100, b], [c, 200 - 100 - b - c]], exact=False, correction=False).statistic
        assert z**2 == pytest.approx(chi2)


@pytest.mark.parametrize(("b", "c", "n", "delta0"), [(8, 20, 150, -0.05), (0, 0, 70, -0.05), (3, 9, 60, -0.2)])
def test_tango_restricted_mle_maximises_the_constrained_likelihood(b: int, c: int, n: int, delta0: float) -> None:
    rest = n - b - c

    def negll(p21: float) -> float:
        p12 = p21 + delta0
        other = 1 - p12 - p21
        return -(b * math.log(max(p12, 1e-300)) + c * math.log(max(p21, 1e-300)) + rest * math.log(other))

    lo, hi = -delta0 + 1e-12, (1 - delta0) / 2 - 1e-12  # p12 >= 0 and p12 + p21 <= 1
    numeric = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).x
    q21 = _tango_restricted_p21(b / n, c / n, delta0)
    assert q21 == pytest.approx(numeric, abs=1e-6)
    # The score statistic from its definition with that MLE.
    expected = (b - c - n * delta0) / math.sqrt(n * (2 * numeric + delta0 * (1 - delta0)))
    assert tango_z(b, c, n, delta0) == pytest.approx(expected, rel=1e-5)


def test_tango_with_no_discordance_by_hand() -> None:
    # b = c = 0: the restricted p21 is the margin, Z = sqrt(n * m / (1 - m)).
    assert tango_z(0, 0, 70, -0.05) == pytest.approx(math.sqrt(70 * 0.05 / 0.95))
    s, t = paired(b=0, c=0, both=60, neither=10)
    r = margin_tests(s, t, 0.05)
    assert r.method == "tango_score"
    assert r.p_non_inferior == pytest.approx(stats.norm.sf(math.sqrt(70 * 0.05 / 0.95)))
    assert r.p_inferior == pytest.approx(1 - r.p_non_inferior)


def test_margin_tests_on_continuous_scores_is_the_shifted_paired_t_test() -> None:
    rng = np.random.default_rng(9)
    t = rng.random(80)
    s = t + rng.normal(-0.02, 0.1, 80)
    r = margin_tests(s, t, 0.05)
    ref = stats.ttest_1samp(s - t, -0.05, alternative="greater").pvalue
    assert r.method == "paired_t" and r.p_non_inferior == pytest.approx(ref, rel=1e-9)
    assert r.p_inferior == pytest.approx(stats.ttest_1samp(s - t, -0.05, alternative="less").pvalue, rel=1e-9)


def test_holm_matches_statsmodels_and_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    # By hand: sorted 0.005*5, 0.01*4, 0.03*3, 0.04*2, 0.5*1 -> 0.025, 0.04, 0.09, 0.09 (monotone), 0.5
    assert holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.025, 0.5])
    assert holm([]).size == 0


def test_samples_needed_continuous_matches_statsmodels_normal_power() -> None:
    rng = np.random.default_rng(2)
    t = rng.random(100)
    s = t + rng.normal(-0.02, 0.15, 100)
    d = s - t
    n = samples_needed(s, t, 0.05, alpha=0.025, power=0.8)
    effect = (d.mean() + 0.05) / d.std(ddof=1)
    ref = NormalIndPower().solve_power(
        effect_size=effect, nobs1=None, alpha=0.025, power=0.8, ratio=0, alternative="larger"
    )
    assert n == math.ceil(ref)


@pytest.mark.parametrize(("b", "c", "n"), [(6, 9, 120), (0, 1, 60), (10, 4, 100)])
def test_samples_needed_binary_gives_the_promised_power_by_simulation(b: int, c: int, n: int) -> None:
    s, t = paired(b=b, c=c, both=(n - b - c) // 2, neither=n - b - c - (n - b - c) // 2)
    alpha, margin = 0.025, 0.05
    need = samples_needed(s, t, margin, alpha=alpha, power=0.8)
    assert need is not None and need > 0
    # Simulate the Tango test at `need` pairs with the observed cell rates taken as the truth.
    rng = np.random.default_rng(17)
    cells = rng.multinomial(need, [b / n, c / n, 1 - (b + c) / n], size=4000)
    zs = np.array([tango_z(int(x), int(y), need, -margin) for x, y, _ in cells])
    delta = (b - c) / n
    power = np.mean(zs > stats.norm.isf(alpha)) if delta > -margin else np.mean(zs < -stats.norm.isf(alpha))
    # Nam's formula is asymptotic: with few discordant pairs it errs on the safe side.
    assert 0.76 <= power <= 0.9


def test_samples_needed_is_none_on_the_margin() -> None:
    s, t = paired(b=0, c=5, both=50, neither=45)
    assert samples_needed(s, t, 0.05, alpha=0.025) is None


def test_compare_to_teacher_verdicts_holm_and_advice() -> None:
    parts = {
        "same": paired(b=2, c=2, both=400, neither=96),  # gap 0 on 500: non-inferior
        "worse": paired(b=2, c=120, both=300, neither=78),  # gap -0.236: inferior
        "small": paired(b=1, c=3, both=20, neither=6),  # 30 examples: inconclusive
    }
    s = np.concatenate([p[0] for p in parts.values()])
    t = np.concatenate([p[1] for p in parts.values()])
    slices = sum(([name] * p[0].size for name, p in parts.items()), [])
    out = compare_to_teacher({"st": s}, t, slices, np.random.default_rng(0), margin=0.05, n_boot=4000)
    res = out["st"]
    assert {k: v.verdict for k, v in res.slices.items()} == {
        "same": "non_inferior",
        "worse": "inferior",
        "small": "inconclusive",
    }
    names = sorted(parts)
    raw = [margin_tests(*parts[k], 0.05).p_non_inferior for k in names]
    adjusted = multipletests(raw, method="holm")[1]
    for k, p_adj, p_raw in zip(names, adjusted, raw, strict=True):
        g = res.slices[k]
        assert g.p_value_noninferiority == pytest.approx(p_raw) and g.p_value_holm == pytest.approx(p_adj)
        b, c = discordant_counts(*parts[k])
        assert g.discordant == (b, c)
        assert g.p_value_mcnemar == pytest.approx(mcnemar([[0, b], [c, 0]], exact=True).pvalue)
        assert g.estimate.gap == pytest.approx((parts[k][0] - parts[k][1]).mean())
        assert (g.additional_samples_needed is not None) == (g.verdict == "inconclusive")
        assert g.estimate.non_inferior == (p_adj < 0.025) == (g.verdict == "non_inferior")
    # The advice for the small slice is planned at the Bonferroni level alpha / (2 * 3 slices).
    need = samples_needed(*parts["small"], 0.05, alpha=0.025 / 3)
    assert res.slices["small"].additional_samples_needed == need - 30
    assert res.overall.estimate.n == s.size and res.overall.p_value_holm == res.overall.p_value_noninferiority
    assert res.overall.estimate.non_inferior == (margin_tests(s, t, 0.05).p_non_inferior < 0.025)
