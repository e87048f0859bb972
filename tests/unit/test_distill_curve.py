"""Learning-curve fit and label budget, checked against closed forms and an independent fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import least_squares

from advisor.distill.curve import (
    CurvePoint,
    PowerLawFit,
    backtest_largest,
    fit_power_law,
    measure_learning_curve,
    predict_label_budget,
    summarize_points,
)
from advisor.errors import InsufficientDataError, SpecError
from advisor.pipeline import curve_sizes, nested_subsets
from advisor.spec import LearningCurveSpec


def test_labels_needed_closed_form() -> None:
    fit = PowerLawFit(asymptote=0.9, scale=0.5, exponent=0.5, rmse=0.0)
    # 0.9 - 0.5 * n^-0.5 = 0.85  ->  n^0.5 = 0.5 / 0.05 = 10  ->  n = 100
    assert fit.labels_needed(0.85) == pytest.approx(100.0)
    assert fit.predict(100) == pytest.approx(0.85)
    assert math.isinf(fit.labels_needed(0.9))
    assert math.isinf(fit.labels_needed(0.95))


def test_fit_recovers_known_curve() -> None:
    sizes = np.repeat([50, 100, 200, 400, 800, 1600], 3)
    quality = 0.92 - 1.2 * sizes**-0.6
    fit = fit_power_law(sizes, quality)
    assert fit.asymptote == pytest.approx(0.92, abs=1e-4)
    assert fit.scale == pytest.approx(1.2, rel=1e-3)
    assert fit.exponent == pytest.approx(0.6, abs=1e-3)
    assert fit.rmse < 1e-6


def test_fit_matches_independent_least_squares_on_noisy_points() -> None:
    rng = np.random.default_rng(3)
    sizes = np.repeat([40, 80, 160, 320, 640], 4).astype(float)
    quality = 0.88 - 0.9 * sizes**-0.5 + rng.normal(0, 0.01, sizes.size)
    fit = fit_power_law(sizes, quality)
    ref = least_squares(
        lambda p: p[0] - p[1] * sizes ** -p[2] - quality,
        x0=[0.8, 1.0, 0.4],
        bounds=([0, 0, 1e-3], [1, np.inf, 2]),
    )
    sse = float(np.sum((fit.predict(sizes) - quality) ** 2))
    assert sse == pytest.approx(2 * ref.cost, rel=1e-3)  # least_squares' cost is SSE / 2


def test_budget_interval_brackets_point_and_flags_extrapolation() -> None:
    rng = np.random.default_rng(0)
    points = [
        CurvePoint(n, seed, 0.9 - 0.8 * n**-0.5 + rng.normal(0, 0.005))
        for n in (50, 100, 200, 400)
        for seed in range(3)
    ]
    budget = predict_label_budget(points, 0.86, np.random.default_rng(1), n_boot=100)
    # true curve: 0.8 / 0.04 = 20 -> n = 400
    assert 250 < budget.predicted_labels < 650
    assert budget.ci[0] <= budget.predicted_labels <= budget.ci[1]
    assert budget.reachable
    far = predict_label_budget(points, 0.895, np.random.default_rng(1), n_boot=50)
    assert far.extrapolated or not far.reachable


def test_unreachable_target_is_inf() -> None:
    points = [CurvePoint(n, 0, 0.7 - 0.5 * n**-0.5) for n in (50, 100, 200, 400)]
    budget = predict_label_budget(points, 0.99, np.random.default_rng(0), n_boot=20, max_quality=1.0)
    assert not budget.reachable


def test_fit_needs_three_sizes() -> None:
    with pytest.raises(InsufficientDataError, match="three distinct"):
        fit_power_law([10, 10, 20], [0.5, 0.5, 0.6])


def test_measure_learning_curve_calls_each_size_and_seed() -> None:
    calls: list[tuple[int, int]] = []

    def score(n: int, seed: int) -> tuple[float, float | None]:
        calls.append((n, seed))
        return 1 - 1 / n, None

    points = measure_learning_curve(score, [30, 10, 20], [0, 1])
    assert calls == [(10, 0), (10, 1), (20, 0), (20, 1), (30, 0), (30, 1)]
    assert [p.quality for p in points[:2]] == [0.9, 0.9]
    with pytest.raises(SpecError):
        measure_learning_curve(score, [10, 20], [0])


def test_a_budget_below_the_smallest_size_is_an_extrapolation_too() -> None:
    points = [CurvePoint(n, 0, 0.9 - 0.8 * n**-0.5) for n in (100, 200, 400, 800)]
    # 0.9 - 0.8 n^-0.5 = 0.7 -> n^0.5 = 4 -> n = 16, below the smallest size trained
    budget = predict_label_budget(points, 0.7, np.random.default_rng(0), n_boot=20)
    assert budget.predicted_labels == pytest.approx(16.0, rel=1e-4)
    assert budget.smallest_measured == 100 and budget.extrapolated
    inside = predict_label_budget(points, 0.86, np.random.default_rng(0), n_boot=20)  # n = 400
    assert inside.predicted_labels == pytest.approx(400.0, rel=1e-4) and not inside.extrapolated


def test_summarize_points_means_and_sample_sd_per_size() -> None:
    points = [CurvePoint(10, 0, 0.5, 0.4), CurvePoint(10, 1, 0.7, 0.6), CurvePoint(20, 0, 0.8)]
    ten, twenty = summarize_points(points)
    assert (ten.n, ten.seeds, ten.quality_mean, ten.agreement_mean) == (10, 2, pytest.approx(0.6), pytest.approx(0.5))
    assert ten.quality_sd == pytest.approx(math.sqrt(0.02))  # ((0.1^2 + 0.1^2) / (2 - 1)) ** 0.5
    assert (twenty.seeds, twenty.quality_sd, twenty.agreement_mean) == (1, None, None)


def test_curve_sizes_default_and_nested_subsets() -> None:
    assert curve_sizes(LearningCurveSpec(), 288, "s") == [36, 72, 144, 288]
    assert curve_sizes(LearningCurveSpec(sizes=[50, 10, 20, 20]), 50, "s") == [10, 20, 50]
    with pytest.raises(SpecError, match="exceeds the 40"):
        curve_sizes(LearningCurveSpec(sizes=[10, 20, 50]), 40, "s")
    with pytest.raises(SpecError, match="fewer than three"):
        curve_sizes(LearningCurveSpec(), 2, "s")
    subsets = nested_subsets(30, [5, 10, 30], seed=4)
    assert list(subsets[10][:5]) == list(subsets[5]) and sorted(subsets[30]) == list(range(30))
    assert list(subsets[30]) == list(np.random.default_rng(4).permutation(30))


def test_backtest_fits_without_the_largest_size_and_predicts_it() -> None:
    law = [CurvePoint(n, s, 0.9 - 0.8 * n**-0.5) for n in (100, 200, 400) for s in (0, 1)]
    # The largest size measured 0.05 above the law's 0.9 - 0.8 / 40 = 0.88 (mean of its two seeds).
    points = [*law, CurvePoint(1600, 0, 0.92), CurvePoint(1600, 1, 0.94)]
    bt = backtest_largest(points)
    assert bt.held_out_size == 1600 and bt.measured == pytest.approx(0.93)
    assert bt.predicted == pytest.approx(0.88, abs=1e-6)  # the exact law, recovered from the three smaller sizes
    assert bt.error == pytest.approx(-0.05, abs=1e-6)
    with pytest.raises(InsufficientDataError, match="four distinct sizes"):
        backtest_largest(law)
