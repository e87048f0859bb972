"""Routing (pure): cheap model first, escalate to the teacher below a confidence threshold.

The threshold is chosen with a finite-sample guarantee (Learn-then-Test, Angelopoulos et al.
2021): with the per-example loss ``(teacher - routed)^+`` in [0, 1] (1 where the teacher
was right and the routed answer wrong), candidate thresholds are tested from the most to the
least conservative, each against H0 "the expected loss exceeds the margin" with a binomial
tail (0/1 losses) or Hoeffding-Bentkus (bounded losses) p-value; testing stops at the first
threshold not rejected at level ``delta``. Fixed-sequence testing needs no multiplicity
correction, so ``P(loss of the chosen threshold on new traffic > margin) <= delta`` for
traffic exchangeable with the calibration split. The choice is then checked on a test split
not used to choose it.

Also here: cascades of two or more tiers, the cost-quality frontier, RouteLLM's APGR and
calls-to-the-teacher for a share of the gap (CPT), RouterBench's AIQ, and the oracle router.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from .quality.stats import GapEstimate, paired_gap

FloatArray = npt.NDArray[np.float64]
DEFAULT_GRID = np.round(np.linspace(1.0, 0.0, 201), 6)
"""Thresholds tried, most conservative first. Signals are in [0, 1]; the grid is fixed in
advance, as fixed-sequence testing requires (it must not depend on the calibration data)."""


@dataclass(frozen=True)
class RouteOutcome:
    """A threshold's effect on a set of examples."""

    threshold: float
    escalation_rate: float
    """Share of calls sent on to the teacher."""
    scores: FloatArray
    """Per-example score of the routed answer."""


def simulate_route(confidence: FloatArray, student: FloatArray, teacher: FloatArray, threshold: float) -> RouteOutcome:
    """Keep the student's answer where ``confidence >= threshold``, else take the teacher's."""
    escalate = confidence < threshold
    scores = np.where(escalate, teacher, student).astype(np.float64)
    return RouteOutcome(threshold, float(escalate.mean()), scores)


def route_loss(confidence: FloatArray, student: FloatArray, teacher: FloatArray, threshold: float) -> FloatArray:
    """Per-example loss versus the teacher, ``(teacher - routed)^+`` in [0, 1] for scores in [0, 1].

    Its mean bounds the quality loss from above: ``E[teacher - routed] <= E[loss]``.
    """
    keep = confidence >= threshold
    return np.asarray(np.where(keep, np.maximum(teacher - student, 0.0), 0.0), dtype=np.float64)


# --- p-values for H0: E[loss] > margin ----------------------------------------------------------


def binomial_pvalue(n_losses: int, n: int, margin: float) -> float:
    """Exact p-value for H0 "loss rate > margin" from ``n_losses`` 0/1 losses in ``n`` examples.

    ``P(Binomial(n, margin) <= n_losses)``, valid because the binomial CDF falls as the rate rises.
    """
    if n <= 0:
        return 1.0
    return float(stats.binom.cdf(n_losses, n, margin))


def hoeffding_bentkus_pvalue(mean_loss: float, n: int, margin: float) -> float:
    """Hoeffding-Bentkus p-value for H0 "E[loss] > margin", losses bounded in [0, 1] (Bates et al. 2021)."""
    if n <= 0:
        return 1.0
    r = min(mean_loss, margin)
    if r <= 0.0:
        kl = -np.log1p(-margin)
    else:
        kl = r * np.log(r / margin) + (1 - r) * np.log((1 - r) / (1 - margin))
    hoeffding = float(np.exp(-n * kl)) if mean_loss < margin else 1.0
    bentkus = float(np.e * stats.binom.cdf(np.ceil(n * mean_loss), n, margin))
    return min(hoeffding, bentkus, 1.0)


def risk_upper_bound(losses: FloatArray, delta: float) -> float:
    """One-sided ``1 - delta`` upper confidence bound on the expected loss.

    Clopper-Pearson for 0/1 losses; the Hoeffding bound ``mean + sqrt(log(1/delta) / 2n)`` otherwise.
    """
    n = losses.size
    if n == 0:
        return 1.0
    if np.isin(losses, (0.0, 1.0)).all():
        k = int(losses.sum())
        return 1.0 if k == n else float(stats.beta.ppf(1 - delta, k + 1, n - k))
    return float(min(1.0, losses.mean() + np.sqrt(np.log(1 / delta) / (2 * n))))


def loss_pvalue(losses: FloatArray, margin: float) -> float:
    """Valid p-value for H0 "E[loss] > margin": exact binomial for 0/1 losses, else Hoeffding-Bentkus."""
    if np.isin(losses, (0.0, 1.0)).all():
        return binomial_pvalue(int(losses.sum()), losses.size, margin)
    return hoeffding_bentkus_pvalue(float(losses.mean()), losses.size, margin)


@dataclass(frozen=True)
class LTTResult:
    """The outcome of Learn-then-Test with fixed-sequence testing."""

    threshold: float
    """Least conservative threshold rejected before the first non-rejection; ``inf`` = teacher only."""
    n_rejected: int
    """Thresholds certified (H0 rejected) in the sequence."""
    p_values: tuple[float, ...]
    """p-values of the thresholds tested, in order (the last is the first non-rejection)."""
    method: str
    """``ltt-binomial`` (0/1 losses) or ``ltt-hoeffding-bentkus`` (bounded losses)."""


def ltt_select(
    losses_at: Callable[[float], FloatArray],
    grid: Sequence[float],
    *,
    margin: float,
    delta: float,
) -> LTTResult:
    """Fixed-sequence Learn-then-Test over ``grid`` (ordered from most to least conservative).

    Args:
        losses_at: per-example losses in [0, 1] on the calibration examples at a threshold.
        grid: thresholds, most conservative first, fixed before seeing the calibration data.
        margin: the largest acceptable expected loss.
        delta: the allowed probability that the chosen threshold's expected loss exceeds ``margin``.
    """
    if not 0 < delta < 1:
        raise ValueError("delta must be in (0, 1)")
    if not 0 < margin < 1:
        raise ValueError("margin must be in (0, 1)")
    chosen = float("inf")
    pvals: list[float] = []
    binary = True
    for lam in grid:
        losses = losses_at(float(lam))
        binary = binary and bool(np.isin(losses, (0.0, 1.0)).all())
        p = loss_pvalue(losses, margin)
        pvals.append(p)
        if p > delta:
            break
        chosen = float(lam)
    n_rej = sum(p <= delta for p in pvals)
    return LTTResult(chosen, n_rej, tuple(pvals), "ltt-binomial" if binary else "ltt-hoeffding-bentkus")


# --- two-tier route with a guarantee ------------------------------------------------------------


@dataclass(frozen=True)
class RouteChoice:
    """A threshold chosen on a calibration split and checked on a test split."""

    threshold: float
    calibration_escalation_rate: float
    test_escalation_rate: float
    test_gap: GapEstimate
    n_calibration: int
    margin: float = 0.0
    """The quality loss versus the teacher the guarantee bounds."""
    delta: float = 0.1
    """The guarantee holds with probability at least ``1 - delta``."""
    method: str = "ltt-binomial"
    calibration_risk: float = 0.0
    """Mean ``(teacher - routed)^+`` on the calibration split at the chosen threshold."""
    test_risk: float = 0.0
    """Mean ``(teacher - routed)^+`` on the test split: the check on data not used to choose."""
    test_risk_upper: float = 0.0
    """One-sided ``1 - delta`` upper bound on the loss from the test split alone."""
    held_on_test: bool = True
    """True when ``test_risk <= margin``."""
    n_test: int = 0
    test_escalation_ci: tuple[float, float] = (0.0, 1.0)
    """Two-sided Clopper-Pearson interval of the escalation rate on the test split."""


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided exact binomial interval for a rate with ``k`` events in ``n`` trials."""
    if n <= 0:
        return (0.0, 1.0)
    a = 1 - confidence
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def check_route(
    confidence: FloatArray,
    student: FloatArray,
    teacher: FloatArray,
    threshold: float,
    rng: np.random.Generator,
    *,
    margin: float,
    delta: float,
    confidence_level: float = 0.95,
    n_boot: int = 1000,
) -> tuple[float, float, float, tuple[float, float], GapEstimate]:
    """Measure a chosen threshold on held-out examples.

    Returns:
        (escalation rate, mean loss, its ``1 - delta`` upper bound, escalation-rate CI, paired gap).
    """
    out = simulate_route(confidence, student, teacher, threshold)
    loss = route_loss(confidence, student, teacher, threshold)
    gap = paired_gap(out.scores, teacher, rng, margin=margin, n_boot=n_boot, confidence=confidence_level)
    k = int((confidence < threshold).sum())
    return (
        out.escalation_rate,
        float(loss.mean()),
        risk_upper_bound(loss, delta),
        clopper_pearson(k, confidence.size, confidence_level),
        gap,
    )


def choose_threshold(
    confidence: FloatArray,
    student: FloatArray,
    teacher: FloatArray,
    rng: np.random.Generator,
    *,
    margin: float,
    confidence_level: float = 0.95,
    n_boot: int = 1000,
    calibration_fraction: float = 0.5,
    delta: float = 0.1,
    grid: Sequence[float] = tuple(DEFAULT_GRID),
    split: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
) -> RouteChoice | None:
    """Choose a threshold with a guarantee on a calibration split and check it on a test split.

    The threshold is the least conservative one Learn-then-Test certifies on the calibration
    examples: with probability at least ``1 - delta`` its expected loss versus the teacher,
    ``E[(teacher - routed)^+]``, is at most ``margin`` on new traffic like the samples. It is
    then measured on the test examples, which played no part in choosing it.

    Args:
        confidence: per-example signal in [0, 1]; the student's answer is kept where
            ``confidence >= threshold``.
        student: per-example score of the student's answer (1 right, 0 wrong; or in [0, 1]).
        teacher: per-example score of the teacher's answer.
        rng: draws the split (unless ``split`` is given) and the bootstrap.
        margin: the largest acceptable quality loss versus the teacher.
        confidence_level: level of the test-split gap CI.
        n_boot: bootstrap resamples of the test-split gap.
        calibration_fraction: share of examples used to choose the threshold.
        delta: the guarantee fails with probability at most ``delta``.
        grid: thresholds, most conservative first (fixed in advance).
        split: (calibration indices, test indices) to use instead of a random split.

    Returns:
        The choice, or None when there are fewer than 20 examples to split.
    """
    n = confidence.size
    if not (student.shape == teacher.shape == confidence.shape):
        raise ValueError("confidence, student and teacher must be aligned 1-D arrays")
    if split is None:
        if n < 20:
            return None
        order = rng.permutation(n)
        cut = int(n * calibration_fraction)
        cal, test = order[:cut], order[cut:]
    else:
        cal, test = split
        if cal.size < 10 or test.size < 10:
            return None
    cc, sc, tc = confidence[cal], student[cal], teacher[cal]
    res = ltt_select(lambda lam: route_loss(cc, sc, tc, lam), grid, margin=margin, delta=delta)
    thr = res.threshold
    cal_out = simulate_route(cc, sc, tc, thr)
    esc, risk, upper, esc_ci, gap = check_route(
        confidence[test],
        student[test],
        teacher[test],
        thr,
        rng,
        margin=margin,
        delta=delta,
        confidence_level=confidence_level,
        n_boot=n_boot,
    )
    return RouteChoice(
        threshold=thr,
        calibration_escalation_rate=cal_out.escalation_rate,
        test_escalation_rate=esc,
        test_gap=gap,
        n_calibration=int(cal.size),
        margin=margin,
        delta=delta,
        method=res.method,
        calibration_risk=float(route_loss(cc, sc, tc, thr).mean()),
        test_risk=risk,
        test_risk_upper=upper,
        held_on_test=risk <= margin,
        n_test=int(test.size),
        test_escalation_ci=esc_ci,
    )


# --- cascades of two or more tiers --------------------------------------------------------------


@dataclass(frozen=True)
class CascadeOutcome:
    """What a cascade does on a set of examples."""

    thresholds: tuple[float, ...]
    scores: FloatArray
    """Per-example score of the answer the cascade returns."""
    cost_per_call: float
    """Mean cost: every tier reached is paid for."""
    answered_share: tuple[float, ...]
    """Share of calls answered by each tier (sums to 1)."""
    reached_share: tuple[float, ...]
    """Share of calls reaching each tier (the first tier is reached by all)."""


def simulate_cascade(
    scores: Sequence[FloatArray],
    confidences: Sequence[FloatArray],
    costs: Sequence[FloatArray | float],
    thresholds: Sequence[float],
) -> CascadeOutcome:
    """Run tiers in order: tier ``i`` answers where its confidence is ``>= thresholds[i]``.

    Args:
        scores: per-example score of each tier's answer (the last tier is usually the teacher).
        confidences: signal of each tier but the last (the last tier always answers).
        costs: cost per call of each tier: a number, or one value per example.
        thresholds: one per tier but the last.
    """
    k = len(scores)
    if k < 2 or len(confidences) != k - 1 or len(thresholds) != k - 1 or len(costs) != k:
        raise ValueError("a cascade needs >= 2 tiers, k-1 confidences and thresholds, and k costs")
    n = scores[0].size
    pending = np.ones(n, dtype=bool)
    out = np.zeros(n)
    cost = np.zeros(n)
    answered: list[float] = []
    reached: list[float] = []
    for i in range(k):
        reached.append(float(pending.mean()))
        cost += np.where(pending, np.broadcast_to(np.asarray(costs[i], dtype=float), (n,)), 0.0)
        take = pending if i == k - 1 else pending & (confidences[i] >= thresholds[i])
        out[take] = scores[i][take]
        answered.append(float(take.mean()))
        pending = pending & ~take
    return CascadeOutcome(tuple(float(t) for t in thresholds), out, float(cost.mean()), tuple(answered), tuple(reached))


def choose_cascade_threshold(
    scores: Sequence[FloatArray],
    confidences: Sequence[FloatArray],
    *,
    margin: float,
    delta: float,
    grid: Sequence[float] = tuple(DEFAULT_GRID),
) -> LTTResult:
    """Learn-then-Test for a cascade whose non-final tiers share one threshold.

    The loss is ``(last tier - cascade)^+`` per example: the guarantee bounds the quality lost
    versus the last tier (the teacher) on new traffic, with probability ``>= 1 - delta``.
    """
    costs = [0.0] * len(scores)

    def losses(lam: float) -> FloatArray:
        out = simulate_cascade(scores, confidences, costs, [lam] * (len(scores) - 1))
        return np.asarray(np.maximum(scores[-1] - out.scores, 0.0), dtype=np.float64)

    return ltt_select(losses, grid, margin=margin, delta=delta)


# --- frontier and the metrics published routers report -----------------------------------------


@dataclass(frozen=True)
class FrontierPoint:
    """One threshold of a two-tier route: how often it escalates, its quality and cost."""

    threshold: float
    escalation_rate: float
    quality: float
    cost_per_call: float


def route_frontier(
    confidence: FloatArray,
    student: FloatArray,
    teacher: FloatArray,
    student_cost: FloatArray | float,
    teacher_cost: FloatArray | float,
) -> list[FrontierPoint]:
    """The route at every distinct threshold, from student-only to teacher-only.

    Every call pays ``student_cost``; escalated calls add ``teacher_cost``.
    """
    n = confidence.size
    sc = np.broadcast_to(np.asarray(student_cost, dtype=float), (n,))
    tc = np.broadcast_to(np.asarray(teacher_cost, dtype=float), (n,))
    points = []
    for thr in [-np.inf, *np.unique(confidence)[1:], np.inf]:
        esc = confidence < thr
        q = float(np.where(esc, teacher, student).mean())
        points.append(FrontierPoint(float(thr), float(esc.mean()), q, float((sc + np.where(esc, tc, 0.0)).mean())))
    return points


def pareto_front(points: Sequence[FrontierPoint]) -> list[FrontierPoint]:
    """Points no other point beats on both cost (lower) and quality (higher), by rising cost."""
    front: list[FrontierPoint] = []
    for p in sorted(points, key=lambda p: (p.cost_per_call, -p.quality)):
        if not front or p.quality > front[-1].quality:
            front.append(p)
    return front


def _pgr_curve(
    confidence: FloatArray, student: FloatArray, teacher: FloatArray
) -> tuple[FloatArray, FloatArray, float, float]:
    pts = route_frontier(confidence, student, teacher, 0.0, 0.0)
    x = np.array([p.escalation_rate for p in pts])
    q = np.array([p.quality for p in pts])
    return x, q, float(student.mean()), float(teacher.mean())


def apgr(confidence: FloatArray, student: FloatArray, teacher: FloatArray) -> float:
    """RouteLLM's average performance gap recovered: the area under PGR(share of teacher calls).

    ``PGR = (q(route) - q(student)) / (q(teacher) - q(student))``; points between thresholds are
    joined linearly (random tie-breaking). NaN when teacher and student score the same.
    """
    x, q, qw, qs = _pgr_curve(confidence, student, teacher)
    if qs == qw:
        return float("nan")
    pgr = (q - qw) / (qs - qw)
    return float(np.sum((x[1:] - x[:-1]) * (pgr[1:] + pgr[:-1]) / 2))


def calls_for_gap(confidence: FloatArray, student: FloatArray, teacher: FloatArray, share: float) -> float:
    """RouteLLM's CPT(x): the least share of calls sent to the teacher recovering ``share`` of the gap.

    NaN when teacher and student score the same.
    """
    x, q, qw, qs = _pgr_curve(confidence, student, teacher)
    if qs == qw:
        return float("nan")
    pgr = (q - qw) / (qs - qw)
    if pgr[0] >= share:
        return float(x[0])
    for i in range(1, x.size):
        if pgr[i] >= share:
            if pgr[i] == pgr[i - 1]:
                return float(x[i])
            return float(x[i - 1] + (share - pgr[i - 1]) * (x[i] - x[i - 1]) / (pgr[i] - pgr[i - 1]))
    return 1.0


def aiq(costs: Sequence[float], qualities: Sequence[float], *, bounds: tuple[float, float] | None = None) -> float:
    """RouterBench's average improvement in quality: the mean height of the non-decreasing convex hull.

    The upper convex hull of the (cost, quality) points, made non-decreasing, integrated over
    ``bounds`` (default: the points' cost range) and divided by its width; flat to the right of
    the costliest point.
    """
    c = np.asarray(costs, dtype=float)
    q = np.asarray(qualities, dtype=float)
    if c.size == 0 or c.shape != q.shape:
        raise ValueError("costs and qualities must be non-empty and aligned")
    lo, hi = bounds if bounds is not None else (float(c.min()), float(c.max()))
    order = np.lexsort((-q, c))
    hull: list[tuple[float, float]] = []
    for ci, qi in zip(c[order], q[order], strict=True):
        if hull and ci == hull[-1][0]:
            continue  # same cost: the best quality came first
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (qi - y1) - (y2 - y1) * (ci - x1) >= 0:  # hull[-1] under the chord
                hull.pop()
            else:
                break
        hull.append((float(ci), float(qi)))
    hx = np.array([h[0] for h in hull])
    hy = np.maximum.accumulate(np.array([h[1] for h in hull]))
    if lo < hx[0] - 1e-15:
        raise ValueError(f"bounds start at {lo}, below the cheapest point {hx[0]}")
    if hi <= lo:
        return float(np.interp(lo, hx, hy))
    grid = np.unique(np.concatenate([[lo, hi], hx[(hx > lo) & (hx < hi)]]))
    y = np.interp(grid, hx, hy)  # flat beyond the last point
    return float(np.sum((grid[1:] - grid[:-1]) * (y[1:] + y[:-1]) / 2) / (hi - lo))


@dataclass(frozen=True)
class OracleOutcome:
    """The oracle router: per example, the cheapest model as good as the reference."""

    quality: float
    cost_per_call: float
    choice_share: tuple[float, ...]
    """Share of examples sent to each model."""


def oracle_route(scores: npt.ArrayLike, costs: npt.ArrayLike, *, reference: int | None = None) -> OracleOutcome:
    """The limit any router over these models can reach (it sees the answers' scores).

    Args:
        scores: examples x models.
        costs: examples x models, or one cost per model.
        reference: column of the model to match per example (the teacher: the oracle then has
            at least its quality); None matches the best score over all models.
    """
    s = np.asarray(scores, dtype=float)
    n, m = s.shape
    c = np.broadcast_to(np.asarray(costs, dtype=float), (n, m))
    need = s[:, reference] if reference is not None else s.max(axis=1)
    ok = s >= need[:, None]
    masked = np.where(ok, c, np.inf)
    pick = masked.argmin(axis=1)
    rows = np.arange(n)
    share = np.bincount(pick, minlength=m) / n
    return OracleOutcome(float(s[rows, pick].mean()), float(c[rows, pick].mean()), tuple(float(x) for x in share))


# --- one student's route, as the pipeline plans it ---------------------------------------------


@dataclass(frozen=True)
class RoutePlan:
    """A student's route: its signal, the models it calls, its guaranteed threshold and figures."""

    choice: RouteChoice
    signal: str
    """``confidence``, ``agreement:<model>,...`` or ``learned``."""
    tiers: tuple[str, ...]
    """Models called, in order; the teacher last."""
    first_tier_usd: float | None
    """USD paid on every call before escalation (the student plus the models its signal needs)."""
    cost_per_call_usd: float | None
    frontier: tuple[FrontierPoint, ...]
    """The route at every threshold on the test split (Pareto-optimal points)."""
    apgr: float
    cpt50: float
    cpt80: float
    aiq: float


def plan_route(
    student: str,
    teacher: str,
    *,
    scores: dict[str, FloatArray],
    answers: dict[str, Sequence[object]],
    costs: dict[str, float | None],
    texts: Sequence[str],
    rng: np.random.Generator,
    margin: float,
    delta: float,
    confidence: FloatArray | None = None,
    signal: str = "auto",
    helpers: Sequence[str] = (),
    confidence_level: float = 0.95,
    n_boot: int = 1000,
) -> RoutePlan | None:
    """Plan ``student``-first routing to ``teacher`` with a Learn-then-Test threshold.

    The signal is the student's own ``confidence`` when given (``auto`` or ``confidence``),
    agreement with ``helpers`` (``agreement``), or else a learned scorer (``learned``; ``auto``
    without confidence) trained on a third of the examples to predict that the student matches
    the teacher. The remaining examples are split into calibration (choose) and test (check).

    Args:
        student: the student's name (a key of ``scores``, ``answers`` and ``costs``).
        teacher: the teacher's name.
        scores: per-example scores of each model (1 right, 0 wrong).
        answers: per-example answers (labels) of each model; None where unknown.
        costs: mean USD per call of each model (None: unknown).
        texts: the inputs (for the learned scorer).
        rng: draws the splits and the bootstrap.
        margin: largest acceptable loss versus the teacher.
        delta: the guarantee may fail with probability at most ``delta``.
        confidence: the student's confidence per example, if it reports one.
        signal: ``auto``, ``confidence``, ``agreement`` or ``learned``.
        helpers: models whose agreement with the student is the signal (``agreement``).
        confidence_level: level of the test-split gap CI.
        n_boot: bootstrap resamples.

    Returns:
        The plan, or None when the signal cannot be computed (no confidence, no other model to
        agree with) or there are too few examples.
    """
    from .signals import agreement, fit_learned_scorer

    s, t = scores[student], scores[teacher]
    n = s.size
    kind = signal
    if kind == "auto":
        kind = "confidence" if confidence is not None else "learned"
    if kind == "confidence" and confidence is None:
        return None
    if kind == "agreement" and not helpers:
        return None  # e.g. the helper model itself: nothing else to agree with
    order = rng.permutation(n)
    tiers: tuple[str, ...] = (student, teacher)
    first = costs.get(student)
    if kind == "learned":
        if n < 30:
            return None
        a, b = n // 3, (2 * n) // 3
        fit, cal, test = order[:a], order[a:b], order[b:]
        stud = list(answers[student])
        match = np.array([x is not None and x == y for x, y in zip(stud, answers[teacher], strict=True)], float)
        if all(x is None for x in stud):
            match = (s == t).astype(float)  # answers unknown: same outcome as the teacher
        scorer = fit_learned_scorer(
            [texts[i] for i in fit], [stud[i] for i in fit], match[fit], seed=int(rng.integers(2**31))
        )
        conf = scorer.score(texts, stud)
    else:
        if n < 20:
            return None
        cut = n // 2
        cal, test = order[:cut], order[cut:]
        if kind == "agreement":
            conf = agreement(list(answers[student]), [list(answers[h]) for h in helpers])
            tiers = (student, *helpers, teacher)
            helper_costs = [costs.get(h) for h in helpers]
            first = None if first is None or None in helper_costs else first + sum(c or 0.0 for c in helper_costs)
        else:
            assert confidence is not None
            conf = confidence
    label = "agreement:" + ",".join(helpers) if kind == "agreement" else kind
    choice = choose_threshold(
        conf,
        s,
        t,
        rng,
        margin=margin,
        delta=delta,
        confidence_level=confidence_level,
        n_boot=n_boot,
        split=(cal, test),
    )
    if choice is None:
        return None
    tc = costs.get(teacher)
    from .costs import route_cost_per_call

    cost = None if first is None or tc is None else route_cost_per_call(first, tc, choice.test_escalation_rate)
    ct, st, tt = conf[test], s[test], t[test]
    pts = route_frontier(ct, st, tt, first or 0.0, tc or 0.0)
    return RoutePlan(
        choice,
        label,
        tiers,
        first,
        cost,
        tuple(pareto_front(pts)),
        apgr(ct, st, tt),
        calls_for_gap(ct, st, tt, 0.5),
        calls_for_gap(ct, st, tt, 0.8),
        aiq([p.cost_per_call for p in pts], [p.quality for p in pts]) if first is not None else float("nan"),
    )
