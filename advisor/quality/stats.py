"""Statistics of student-minus-teacher gaps: bootstrap CIs, paired tests, non-inferiority.

Everything here is pure: arrays in, values out, randomness from an explicit
``np.random.Generator``.

Conventions. A *gap* is the mean per-example ``student - teacher`` score on the same
examples (negative: the student is worse). The user's margin ``Δ >= 0`` is the largest
acceptable loss. With ``confidence`` ``1 - α``:

- the CI is the two-sided ``1 - α`` percentile paired bootstrap interval;
- non-inferiority is the one-sided test of ``H0: gap <= -Δ`` at level ``α / 2`` (the level
  at which, like the FDA's convention, it approximately agrees with "the CI's lower end is
  above ``-Δ``"); for 0/1 outcomes it is Tango's score test for paired proportions,
  otherwise a paired t-test;
- across slices the one-sided p-values are Holm-adjusted; a slice's verdict is
  ``non_inferior`` (H0 rejected), ``inferior`` (the mirror test ``H0: gap >= -Δ`` rejected)
  or ``inconclusive``, and an inconclusive slice gets the number of further examples at
  which the test would settle it with 80% power, planning from the observed discordance;
- ``GapEstimate.non_inferior`` is that test's decision: unadjusted for a single gap
  (overall, a route's test gap) and Holm-adjusted for a slice, so a slice's
  ``non_inferior`` is exactly ``verdict == "non_inferior"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

FloatArray = npt.NDArray[np.float64]
Verdict = Literal["non_inferior", "inferior", "inconclusive"]
_COUNT_CELLS = 1 << 16  # resample-count cells per block: small enough to stay in cache
_MIN_LEVEL_RATIO = 8  # use the level (multinomial) draw when levels * ratio <= examples
DEFAULT_POWER = 0.8


def _use_levels(n_levels: int, n: int) -> bool:
    return n_levels <= 16 or n_levels * _MIN_LEVEL_RATIO <= n


def _bootstrap_means(values: FloatArray, rng: np.random.Generator, n_boot: int) -> FloatArray:
    """Means of ``n_boot`` resamples (with replacement, same size) of ``values``."""
    return _bootstrap_column_means(values.reshape(-1, 1), rng, n_boot)[:, 0]


def _resample_counts_means(x: FloatArray, rng: np.random.Generator, n_boot: int) -> FloatArray:
    """Column means of ``n_boot`` index resamples of ``x`` (``(n, w)``), all columns sharing each resample.

    A resample is ``n`` uniform indices; its per-example counts (a bincount) times the
    columns is the resample's column sums, so the columns cost one product rather than one
    gather each. Counts come in cache-sized blocks. The product is a float32 ``einsum`` (one
    thread, no BLAS thread start-up per small block) on centred columns, so its rounding
    (about 1e-7 of the spread of ``x``) stays far below the bootstrap's own noise.
    """
    n, w = x.shape
    center = x.mean(axis=0)
    centered = np.ascontiguousarray((x - center).T, dtype=np.float32)
    rows = max(1, _COUNT_CELLS // n)
    offsets = (np.arange(rows, dtype=np.int64) * n)[:, None]
    out = np.empty((n_boot, w))
    for start in range(0, n_boot, rows):
        r = min(rows, n_boot - start)
        idx = rng.integers(0, n, size=(r, n), dtype=np.int64)
        if r > 1:
            idx += offsets[:r]  # row k counts into cells [k n, (k + 1) n)
        counts = np.bincount(idx.ravel(), minlength=r * n).astype(np.float32).reshape(r, n)
        out[start : start + r] = np.einsum("rn,wn->rw", counts, centered)
    out /= n
    out += center
    return out


def _bootstrap_column_means(x: FloatArray, rng: np.random.Generator, n_boot: int) -> FloatArray:
    """Column means of ``n_boot`` resamples (with replacement, same size) of ``x``: ``(n_boot, k)``.

    A column taking few distinct values (0/1 outcomes, paired differences in {-1, 0, 1}) is
    drawn as multinomial counts over its values, a draw with exactly the distribution of the
    mean of an index resample at O(levels) cost. Other columns share index resamples, each
    turned into per-example counts and multiplied with the columns (same distribution).
    """
    n, k = x.shape
    means = np.empty((n_boot, k))
    wide = []
    for j in range(k):
        levels, counts = np.unique(x[:, j], return_counts=True)
        if _use_levels(levels.size, n):
            means[:, j] = rng.multinomial(n, counts / n, size=n_boot) @ levels / n
        else:
            wide.append(j)
    if wide:
        means[:, wide] = _resample_counts_means(x[:, wide], rng, n_boot)
    return means


def bootstrap_mean_ci(
    values: npt.ArrayLike, rng: np.random.Generator, *, n_boot: int = 2000, confidence: float = 0.95
) -> tuple[float, float]:
    """Two-sided percentile bootstrap CI of the mean of ``values``."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("cannot bootstrap an empty sample")
    alpha = 1.0 - confidence
    means = _bootstrap_means(x, rng, n_boot)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


@dataclass(frozen=True)
class GapEstimate:
    """Student minus teacher on the same examples."""

    gap: float
    """Mean of per-example (student - teacher) scores; negative means the student is worse."""
    ci: tuple[float, float]
    """Two-sided paired-bootstrap CI of ``gap`` at the run's confidence level."""
    non_inferior: bool
    """The one-sided test rejects ``H0: gap <= -margin`` at level ``α / 2``: the loss is within
    the margin. Unadjusted for a single gap; Holm-adjusted across slices for a slice gap."""
    n: int


def paired_gap(
    student: npt.ArrayLike,
    teacher: npt.ArrayLike,
    rng: np.random.Generator,
    *,
    margin: float,
    n_boot: int = 2000,
    confidence: float = 0.95,
) -> GapEstimate:
    """Paired bootstrap CI of the per-example difference ``student - teacher``.

    ``non_inferior`` is the unadjusted one-sided margin test (see :func:`margin_tests`) at
    level ``(1 - confidence) / 2``.
    """
    s = np.asarray(student, dtype=np.float64)
    t = np.asarray(teacher, dtype=np.float64)
    if s.shape != t.shape:
        raise ValueError("student and teacher scores must be aligned")
    diff = s - t
    lo, hi = bootstrap_mean_ci(diff, rng, n_boot=n_boot, confidence=confidence)
    within = margin_tests(s, t, margin).p_non_inferior < (1.0 - confidence) / 2.0
    return GapEstimate(float(diff.mean()), (lo, hi), bool(within), int(diff.size))


@dataclass(frozen=True)
class GapCITable:
    """Paired-bootstrap gaps of several students on several groups of examples."""

    gap: FloatArray
    """``(students, groups)`` observed mean gaps."""
    low: FloatArray
    """``(students, groups)`` lower CI ends."""
    high: FloatArray
    """``(students, groups)`` upper CI ends."""
    n: npt.NDArray[np.int64]
    """``(groups,)`` examples per group."""


def bootstrap_gap_table(
    students: npt.ArrayLike,
    teacher: npt.ArrayLike,
    groups: npt.ArrayLike,
    rng: np.random.Generator,
    *,
    n_groups: int | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
) -> GapCITable:
    """Percentile paired-bootstrap CIs of every student's gap on every group at once.

    Each group is resampled on its own. Each student's per-example differences from the
    teacher take at most three values for 0/1 scores and are then drawn as multinomial
    counts; continuous differences share index resamples across students.

    Args:
        students: ``(k, n)`` per-example student scores (or ``(n,)`` for one student).
        teacher: ``(n,)`` per-example teacher scores.
        groups: ``(n,)`` integer group codes in ``[0, n_groups)``.
        rng: the random generator.
        n_groups: number of groups (default ``max(groups) + 1``).
        n_boot: bootstrap resamples.
        confidence: two-sided CI level.

    Raises:
        ValueError: misaligned inputs or an empty group.
    """
    s = np.atleast_2d(np.asarray(students, dtype=np.float64))
    t = np.asarray(teacher, dtype=np.float64)
    g = np.asarray(groups, dtype=np.int64)
    if t.ndim != 1 or s.shape[1] != t.size or g.shape != t.shape:
        raise ValueError("students (k, n), teacher (n,) and groups (n,) must be aligned")
    m = int(g.max()) + 1 if n_groups is None else n_groups
    k = s.shape[0]
    alpha = 1.0 - confidence
    gap = np.empty((k, m))
    low = np.empty((k, m))
    high = np.empty((k, m))
    sizes = np.bincount(g, minlength=m)
    if np.any(sizes == 0):
        raise ValueError(f"group {int(np.argmin(sizes))} has no examples")
    order = np.argsort(g, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    diffs = (s - t).T[order]
    for j in range(m):
        d = diffs[bounds[j] : bounds[j + 1]]
        means = _bootstrap_column_means(d, rng, n_boot)
        gap[:, j] = d.mean(axis=0)
        low[:, j], high[:, j] = np.quantile(means, [alpha / 2, 1 - alpha / 2], axis=0)
    return GapCITable(gap, low, high, sizes.astype(np.int64))


def is_binary(*arrays: npt.ArrayLike) -> bool:
    """True when every value is 0 or 1."""
    return all(np.isin(np.asarray(a, dtype=np.float64), (0.0, 1.0)).all() for a in arrays)


def discordant_counts(student: npt.ArrayLike, teacher: npt.ArrayLike) -> tuple[int, int]:
    """``(b, c)``: examples only the student gets right, and only the teacher gets right."""
    s = np.asarray(student, dtype=np.float64) > 0.5
    t = np.asarray(teacher, dtype=np.float64) > 0.5
    return int(np.sum(s & ~t)), int(np.sum(~s & t))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts ``b`` and ``c``."""
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2.0 * sps.binom.cdf(min(b, c), b + c, 0.5)))


def _tango_restricted_p21(p12: float, p21: float, delta0: float) -> float:
    """Restricted MLE of P(student wrong, teacher right) under ``gap == delta0`` (per example)."""
    a = 2.0
    bb = -p12 - p21 + (2.0 - p12 + p21) * delta0
    cc = -p21 * delta0 * (1.0 - delta0)
    return float((-bb + math.sqrt(max(bb * bb - 4.0 * a * cc, 0.0))) / (2.0 * a))


def tango_z(b: int, c: int, n: int, delta0: float) -> float:
    """Tango's (1998) score statistic for ``H0: p(student) - p(teacher) == delta0``, paired 0/1.

    ``b``: student right and teacher wrong; ``c``: the reverse; ``n``: all pairs. Large
    positive values favour ``gap > delta0``.
    """
    q21 = _tango_restricted_p21(b / n, c / n, delta0)
    var = n * (2.0 * q21 + delta0 * (1.0 - delta0))
    num = b - c - n * delta0
    if var <= 0.0:
        return 0.0 if num == 0 else math.copysign(math.inf, num)
    return float(num / math.sqrt(var))


@dataclass(frozen=True)
class OneSidedTests:
    """The two one-sided tests against the margin."""

    p_non_inferior: float
    """p-value of ``H0: gap <= -margin`` (small: the loss is within the margin)."""
    p_inferior: float
    """p-value of ``H0: gap >= -margin`` (small: the loss exceeds the margin)."""
    method: Literal["tango_score", "paired_t"]


def margin_tests(student: npt.ArrayLike, teacher: npt.ArrayLike, margin: float) -> OneSidedTests:
    """One-sided tests of the paired gap against ``-margin``.

    0/1 outcomes use Tango's score test (valid with few or no discordant pairs); other
    scores use a paired t-test on the per-example differences.
    """
    s = np.asarray(student, dtype=np.float64)
    t = np.asarray(teacher, dtype=np.float64)
    n = s.size
    if n == 0 or s.shape != t.shape:
        raise ValueError("student and teacher scores must be aligned and non-empty")
    if is_binary(s, t):
        b, c = discordant_counts(s, t)
        z = tango_z(b, c, n, -margin)
        return OneSidedTests(float(sps.norm.sf(z)), float(sps.norm.cdf(z)), "tango_score")
    d = s - t
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    shift = float(d.mean()) + margin
    if sd == 0.0:
        p = 0.5 if shift == 0 else (0.0 if shift > 0 else 1.0)
        return OneSidedTests(p, 1.0 - p if shift != 0 else 0.5, "paired_t")
    tstat = shift / (sd / math.sqrt(n))
    return OneSidedTests(float(sps.t.sf(tstat, n - 1)), float(sps.t.cdf(tstat, n - 1)), "paired_t")


def holm(p_values: Sequence[float] | npt.ArrayLike) -> FloatArray:
    """Holm's step-down adjusted p-values (family-wise error control), in input order."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def samples_needed(
    student: npt.ArrayLike,
    teacher: npt.ArrayLike,
    margin: float,
    *,
    alpha: float,
    power: float = DEFAULT_POWER,
) -> int | None:
    """Total examples at which the one-sided margin test has ``power`` at the observed gap.

    Plans with the observed rates taken as the truth: for 0/1 outcomes Nam's (1997) formula
    for Tango's score test, ``n = (z_a s0 + z_b s1)^2 / (gap + margin)^2`` with ``s0`` the
    per-pair SD under ``gap = -margin`` (restricted MLE of the discordance) and ``s1`` the
    observed one; otherwise the normal approximation with the observed SD of differences.
    The test is toward non-inferiority when the observed gap is above ``-margin`` and toward
    inferiority when below. None when the observed gap sits exactly on ``-margin``.
    """
    s = np.asarray(student, dtype=np.float64)
    t = np.asarray(teacher, dtype=np.float64)
    n = s.size
    delta = float((s - t).mean())
    effect = abs(delta + margin)
    if effect < 1e-12:
        return None
    z_a = float(sps.norm.isf(alpha))
    z_b = float(sps.norm.ppf(power))
    if is_binary(s, t):
        b, c = discordant_counts(s, t)
        p12, p21 = b / n, c / n
        delta0 = -margin
        q21 = _tango_restricted_p21(p12, p21, delta0)
        sd0 = math.sqrt(max(2.0 * q21 + delta0 * (1.0 - delta0), 0.0))
        sd1 = math.sqrt(max(p12 + p21 - delta * delta, 0.0))
    else:
        sd0 = sd1 = float((s - t).std(ddof=1)) if n > 1 else 0.0
    return int(math.ceil(((z_a * sd0 + z_b * sd1) / effect) ** 2))


@dataclass(frozen=True)
class GapTest:
    """A gap with its CI, paired tests, multiplicity-adjusted verdict and sample-size advice."""

    estimate: GapEstimate
    p_value_mcnemar: float | None
    """Two-sided exact McNemar p-value (0/1 outcomes only): any difference at all."""
    p_value_noninferiority: float
    """One-sided p-value of ``H0: gap <= -margin``."""
    p_value_holm: float
    """``p_value_noninferiority`` Holm-adjusted across the slices of one student."""
    verdict: Verdict
    additional_samples_needed: int | None
    """Inconclusive only: further examples for 80% power at the observed gap, else None."""
    discordant: tuple[int, int] | None
    """0/1 outcomes: (only the student right, only the teacher right)."""
    method: str


@dataclass(frozen=True)
class GapComparison:
    """One student's gap overall and per slice."""

    overall: GapTest
    slices: dict[str, GapTest]


def compare_to_teacher(
    students: Mapping[str, npt.ArrayLike],
    teacher: npt.ArrayLike,
    slices: Sequence[str],
    rng: np.random.Generator,
    *,
    margin: float,
    n_boot: int = 2000,
    confidence: float = 0.95,
    power: float = DEFAULT_POWER,
) -> dict[str, GapComparison]:
    """Every student's gap to the teacher, overall and per slice, with tests and verdicts.

    Overall is one test at level ``α / 2``; the slices form one family per student whose
    one-sided p-values are Holm-adjusted. Each estimate's ``non_inferior`` is its verdict
    being ``non_inferior``: the unadjusted test overall, the Holm-adjusted one per slice.
    Sample sizes for inconclusive slices are planned at the Bonferroni level ``α / (2 m)``,
    which guarantees a Holm rejection at that size.

    Args:
        students: name -> ``(n,)`` per-example scores.
        teacher: ``(n,)`` per-example teacher scores.
        slices: ``(n,)`` slice name of each example.
        rng: the random generator.
        margin: the largest acceptable loss (``max_gap``).
        n_boot: bootstrap resamples.
        confidence: two-sided CI level ``1 - α``.
        power: target power for the sample-size advice.
    """
    t = np.asarray(teacher, dtype=np.float64)
    names = list(students)
    s = np.stack([np.asarray(students[k], dtype=np.float64) for k in names]) if names else np.empty((0, t.size))
    if s.shape[1:] != t.shape or len(slices) != t.size:
        raise ValueError("student scores, teacher scores and slices must be aligned")
    slice_names, codes = np.unique(np.asarray(slices, dtype=object).astype(str), return_inverse=True)
    alpha_one = (1.0 - confidence) / 2.0
    overall = bootstrap_gap_table(
        s, t, np.zeros(t.size, dtype=np.int64), rng, n_groups=1, n_boot=n_boot, confidence=confidence
    )
    per = bootstrap_gap_table(s, t, codes, rng, n_groups=len(slice_names), n_boot=n_boot, confidence=confidence)
    m = len(slice_names)
    masks = [codes == j for j in range(m)]
    out: dict[str, GapComparison] = {}
    for i, name in enumerate(names):
        whole = margin_tests(s[i], t, margin)
        o = _gap_test(
            s[i],
            t,
            overall,
            (i, 0),
            whole,
            (whole.p_non_inferior, whole.p_inferior),
            alpha_one,
            alpha_one,
            margin,
            power,
        )
        tests = [margin_tests(s[i][mk], t[mk], margin) for mk in masks]
        holm_ni = holm([x.p_non_inferior for x in tests])
        holm_inf = holm([x.p_inferior for x in tests])
        by_slice = {
            str(slice_names[j]): _gap_test(
                s[i][masks[j]],
                t[masks[j]],
                per,
                (i, j),
                tests[j],
                (float(holm_ni[j]), float(holm_inf[j])),
                alpha_one,
                alpha_one / m,
                margin,
                power,
            )
            for j in range(m)
        }
        out[name] = GapComparison(o, by_slice)
    return out


def _gap_test(
    s: FloatArray,
    t: FloatArray,
    table: GapCITable,
    cell: tuple[int, int],
    tests: OneSidedTests,
    adjusted: tuple[float, float],
    level: float,
    plan_alpha: float,
    margin: float,
    power: float,
) -> GapTest:
    """One GapTest for ``table``'s (student, group) ``cell``.

    ``adjusted``: the (non-inferiority, inferiority) p-values after Holm (the raw ones for a
    single gap); the estimate's ``non_inferior`` is the verdict they give.
    """
    p_holm, p_holm_inf = adjusted
    disc = discordant_counts(s, t) if tests.method == "tango_score" else None
    verdict: Verdict = "non_inferior" if p_holm < level else "inferior" if p_holm_inf < level else "inconclusive"
    i, j = cell
    est = GapEstimate(
        float(table.gap[i, j]),
        (float(table.low[i, j]), float(table.high[i, j])),
        verdict == "non_inferior",
        int(table.n[j]),
    )
    more = None
    if verdict == "inconclusive":
        total = samples_needed(s, t, margin, alpha=plan_alpha, power=power)
        more = None if total is None else max(0, total - s.size)
    return GapTest(
        estimate=est,
        p_value_mcnemar=mcnemar_exact(*disc) if disc is not None else None,
        p_value_noninferiority=tests.p_non_inferior,
        p_value_holm=p_holm,
        verdict=verdict,
        additional_samples_needed=more,
        discordant=disc,
        method=tests.method,
    )
