"""Learning curves: student quality versus the number of teacher-labelled examples.

A saturating power law ``q(n) = a - b * n ** -c`` (asymptote ``a``, as in Hestness et al. 2017's
learning-curve fits) is fitted to measured points; inverting it gives the number of teacher labels
predicted to reach a target quality, which prices the one-time labelling of a distillation.
Fitting and prediction are pure; :func:`measure_learning_curve` runs a caller's training function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import InsufficientDataError, SpecError


@dataclass(frozen=True)
class CurvePoint:
    """One trained student: ``n`` teacher labels, one seed, its held-out quality."""

    n: int
    seed: int
    quality: float
    agreement: float | None = None
    """Agreement with the teacher on the held-out examples, when measured separately."""


@dataclass(frozen=True)
class PowerLawFit:
    """``quality(n) = asymptote - scale * n ** -exponent``."""

    asymptote: float
    scale: float
    exponent: float
    rmse: float
    """Root-mean-square residual of the fit on the points it was fitted to."""

    def predict(self, n: float | npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Predicted quality at ``n`` labels."""
        x = np.asarray(n, dtype=float)
        return self.asymptote - self.scale * x ** (-self.exponent)  # type: ignore[no-any-return,unused-ignore]

    def labels_needed(self, target_quality: float) -> float:
        """Labels at which the curve reaches ``target_quality`` (``inf`` when it never does)."""
        if target_quality >= self.asymptote:
            return math.inf
        if self.scale <= 0:
            return 0.0
        return float((self.scale / (self.asymptote - target_quality)) ** (1.0 / self.exponent))


def _law(n: npt.NDArray[np.float64], a: float, b: float, c: float) -> npt.NDArray[np.float64]:
    return a - b * n ** (-c)  # type: ignore[no-any-return,unused-ignore]


def fit_power_law(
    sizes: Sequence[float] | npt.ArrayLike,
    qualities: Sequence[float] | npt.ArrayLike,
    *,
    max_quality: float = 1.0,
) -> PowerLawFit:
    """Least-squares fit of ``q(n) = a - b n^-c`` with ``0 <= a <= max_quality``, ``b >= 0``, ``0 < c <= 2``.

    Args:
        sizes: number of teacher labels of each point (repeated sizes for repeated seeds).
        qualities: the quality measured at each point.
        max_quality: the largest possible quality (1 for accuracy).

    Raises:
        InsufficientDataError: with fewer than three distinct sizes.

    """
    from scipy.optimize import curve_fit

    n = np.asarray(sizes, dtype=float)
    q = np.asarray(qualities, dtype=float)
    if n.shape != q.shape:
        raise SpecError(f"{n.size} sizes but {q.size} qualities; give one quality per size")
    if len(np.unique(n)) < 3 or (n <= 0).any():
        raise InsufficientDataError(
            f"a learning curve needs at least three distinct positive sizes, got {sorted(set(n.tolist()))}"
        )
    c0 = 0.5
    a0 = min(float(q.max()) + 0.02, max_quality)
    b0 = max(a0 - float(q.min()), 1e-3) * float(n.min()) ** c0
    params, _ = curve_fit(
        _law,
        n,
        q,
        p0=[a0, b0, c0],
        bounds=([0.0, 0.0, 1e-3], [max_quality, np.inf, 2.0]),
        maxfev=20000,
    )
    a, b, c = (float(x) for x in params)
    rmse = float(np.sqrt(np.mean((_law(n, a, b, c) - q) ** 2)))
    return PowerLawFit(a, b, c, rmse)


@dataclass(frozen=True)
class LabelBudget:
    """How many teacher labels the student is predicted to need to reach a target quality."""

    target_quality: float
    predicted_labels: float
    """Point prediction from the fit on every point; ``inf`` when the fitted asymptote is below target."""
    ci: tuple[float, float]
    """Bootstrap interval (resampling seeds within each size); bounds may be ``inf``."""
    confidence: float
    fit: PowerLawFit
    largest_measured: int
    """The largest size trained: predictions beyond it are extrapolations."""
    smallest_measured: int = 0
    """The smallest size trained: predictions below it are extrapolations too."""

    @property
    def reachable(self) -> bool:
        """Whether the fitted curve reaches the target at all."""
        return math.isfinite(self.predicted_labels)

    @property
    def extrapolated(self) -> bool:
        """Whether the prediction lies outside the sizes measured (above the largest or below the smallest)."""
        return not self.smallest_measured <= self.predicted_labels <= self.largest_measured


def predict_label_budget(
    points: Sequence[CurvePoint],
    target_quality: float,
    rng: np.random.Generator,
    *,
    n_boot: int = 200,
    confidence: float = 0.9,
    max_quality: float = 1.0,
) -> LabelBudget:
    """Fit the curve to ``points`` and invert it at ``target_quality``, with a bootstrap interval.

    Each bootstrap replicate resamples, within every size, that size's seeds with replacement and
    refits; replicates whose fit fails are dropped. Interval bounds are order statistics (no
    interpolation), so an unreachable target in the upper tail shows as ``inf``.
    """
    if not points:
        raise InsufficientDataError("no learning-curve points to fit")
    n = np.array([p.n for p in points], dtype=float)
    q = np.array([p.quality for p in points], dtype=float)
    fit = fit_power_law(n, q, max_quality=max_quality)
    groups = [np.flatnonzero(n == size) for size in np.unique(n)]
    draws: list[float] = []
    for _ in range(n_boot):
        idx = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        try:
            draws.append(fit_power_law(n[idx], q[idx], max_quality=max_quality).labels_needed(target_quality))
        except (RuntimeError, ValueError):
            continue
    alpha = (1 - confidence) / 2
    if draws:
        arr = np.sort(np.asarray(draws))
        ci = (
            float(np.quantile(arr, alpha, method="lower")),
            float(np.quantile(arr, 1 - alpha, method="higher")),
        )
    else:
        ci = (math.nan, math.nan)
    return LabelBudget(
        target_quality=target_quality,
        predicted_labels=fit.labels_needed(target_quality),
        ci=ci,
        confidence=confidence,
        fit=fit,
        largest_measured=int(n.max()),
        smallest_measured=int(n.min()),
    )


@dataclass(frozen=True)
class Backtest:
    """The curve fitted without its largest size, checked against that size's measured quality."""

    held_out_size: int
    predicted: float
    measured: float

    @property
    def error(self) -> float:
        """Predicted minus measured quality (negative: the curve is pessimistic, budgets too large)."""
        return self.predicted - self.measured


def backtest_largest(points: Sequence[CurvePoint], *, max_quality: float = 1.0) -> Backtest:
    """Fit :func:`fit_power_law` to all sizes but the largest and predict the largest's mean quality.

    The label budget's bootstrap interval covers noise between seeds only; this shows how far the
    curve's shape itself misses one doubling ahead.

    Raises:
        InsufficientDataError: with fewer than four distinct sizes.

    """
    sizes = sorted({p.n for p in points})
    if len(sizes) < 4:
        raise InsufficientDataError(f"a back-test needs at least four distinct sizes, got {sizes}")
    top = sizes[-1]
    early = [p for p in points if p.n < top]
    fit = fit_power_law([p.n for p in early], [p.quality for p in early], max_quality=max_quality)
    measured = float(np.mean([p.quality for p in points if p.n == top]))
    return Backtest(top, float(fit.predict(top)), measured)


@dataclass(frozen=True)
class SizeSummary:
    """The points of one size: mean and spread of quality over its seeds."""

    n: int
    seeds: int
    quality_mean: float
    quality_sd: float | None
    """Sample standard deviation over seeds (ddof 1); None with a single seed."""
    agreement_mean: float | None


def summarize_points(points: Sequence[CurvePoint]) -> list[SizeSummary]:
    """One :class:`SizeSummary` per size, smallest first."""
    out = []
    for size in sorted({p.n for p in points}):
        q = np.array([p.quality for p in points if p.n == size], dtype=float)
        agree = [p.agreement for p in points if p.n == size and p.agreement is not None]
        out.append(
            SizeSummary(
                n=size,
                seeds=len(q),
                quality_mean=float(q.mean()),
                quality_sd=float(q.std(ddof=1)) if len(q) > 1 else None,
                agreement_mean=float(np.mean(agree)) if agree else None,
            )
        )
    return out


def measure_learning_curve(
    train_and_score: Callable[[int, int], tuple[float, float | None]],
    sizes: Sequence[int],
    seeds: Sequence[int],
) -> list[CurvePoint]:
    """Train one student per (size, seed) and collect its held-out quality.

    Args:
        train_and_score: ``(n, seed) -> (quality, agreement)``: trains on ``n`` teacher-labelled
            examples drawn with ``seed`` and scores on examples it never trained on.
        sizes: numbers of teacher labels, at least three distinct.
        seeds: repetitions per size.

    """
    if len(set(sizes)) < 3 or not seeds:
        raise SpecError("a learning curve needs at least three distinct sizes and one seed")
    points = []
    for size in sorted(set(sizes)):
        for seed in seeds:
            quality, agreement = train_and_score(size, seed)
            points.append(CurvePoint(size, seed, quality, agreement))
    return points
