"""The routing guarantee, checked by simulation against populations whose risk is known.

Each repetition draws a fresh calibration set, chooses a threshold with Learn-then-Test and
checks the chosen threshold's *population* risk (closed form, or a 2-million-draw estimate).
The guarantee says violations (risk > margin) happen at most a ``delta`` share of the time.
A naive choice (smallest threshold whose calibration risk is within the margin) is run on
the same draws to show the check can fail.
"""

import numpy as np
import pytest

from advisor.routing import DEFAULT_GRID, LTTResult, choose_cascade_threshold, ltt_select, route_loss

REPS = 600
DELTA = 0.1
MARGIN = 0.05
# Monte Carlo slack: 3 standard errors of a rate of DELTA over REPS repetitions.
SLACK = 3 * np.sqrt(DELTA * (1 - DELTA) / REPS)


def _binary_population_risk(lam: float) -> float:
    # conf ~ U(0,1); teacher right w.p. 0.9; student wrong w.p. 0.5(1-c), independently:
    # R(lam) = int_lam^1 0.9 * 0.5 (1 - c) dc = 0.225 (1 - lam)^2
    return 0.0 if not np.isfinite(lam) else 0.225 * (1 - lam) ** 2


def _draw_binary(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    conf = rng.uniform(size=n)
    s = (rng.uniform(size=n) < 0.5 + 0.5 * conf).astype(float)
    t = (rng.uniform(size=n) < 0.9).astype(float)
    return conf, s, t


def _ltt(conf: np.ndarray, s: np.ndarray, t: np.ndarray, margin: float = MARGIN) -> LTTResult:
    return ltt_select(lambda lam: route_loss(conf, s, t, lam), DEFAULT_GRID, margin=margin, delta=DELTA)


def _naive(conf: np.ndarray, s: np.ndarray, t: np.ndarray) -> float:
    # every grid threshold at once: empirical risk = mean over kept examples of (t - s)^+
    keep = conf[None, :] >= DEFAULT_GRID[:, None]
    risk = (keep * np.maximum(t - s, 0)[None, :]).mean(axis=1)
    ok = DEFAULT_GRID[risk <= MARGIN]
    return float(ok.min()) if ok.size else float("inf")


@pytest.mark.slow
def test_ltt_binary_loss_violation_rate_at_most_delta() -> None:
    rng = np.random.default_rng(20240501)
    violations = naive_violations = 0
    for _ in range(REPS):
        conf, s, t = _draw_binary(rng, 400)
        res = _ltt(conf, s, t)
        violations += _binary_population_risk(res.threshold) > MARGIN
        naive_violations += _binary_population_risk(_naive(conf, s, t)) > MARGIN
    rate = violations / REPS
    assert rate <= DELTA + SLACK, f"LTT violated the margin in {rate:.1%} of repetitions"
    # The naive rule picks the threshold where the empirical risk touches the margin: about half fail.
    assert naive_violations / REPS > 0.3


def test_ltt_is_not_vacuous() -> None:
    # With 400 examples the certified threshold is close to the population one (0.529).
    rng = np.random.default_rng(3)
    thr = []
    for _ in range(50):
        conf, s, t = _draw_binary(rng, 400)
        thr.append(_ltt(conf, s, t).threshold)
    assert np.all(np.isfinite(thr)) and 0.53 < np.median(thr) < 0.75


@pytest.mark.slow
def test_ltt_bounded_loss_violation_rate_at_most_delta() -> None:
    # Scores in [0, 1] (e.g. F1): the Hoeffding-Bentkus p-value. Population risk from 2M draws.
    rng = np.random.default_rng(7)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        conf = rng.uniform(size=n)
        s = np.clip(rng.beta(1 + 4 * conf, 1.5, size=n), 0, 1)
        t = np.clip(rng.beta(6, 1.2, size=n), 0, 1)
        return conf, s, t

    big = draw(2_000_000)
    pop = {float(lam): float(route_loss(*big, float(lam)).mean()) for lam in DEFAULT_GRID}
    pop[float("inf")] = 0.0
    margin = 0.08
    violations = 0
    methods = set()
    for _ in range(300):
        conf, s, t = draw(400)
        res = _ltt(conf, s, t, margin)
        methods.add(res.method)
        violations += pop[res.threshold] > margin
    assert methods == {"ltt-hoeffding-bentkus"}
    assert violations / 300 <= DELTA + 3 * np.sqrt(DELTA * (1 - DELTA) / 300)
    # the population has thresholds within the margin that keep a real share of calls
    assert min(lam for lam, r in pop.items() if r <= margin) < 0.9


@pytest.mark.slow
def test_cascade_guarantee_violation_rate_at_most_delta() -> None:
    rng = np.random.default_rng(11)

    def draw(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        c1, c2 = rng.uniform(size=n), rng.uniform(size=n)
        s1 = (rng.uniform(size=n) < 0.4 + 0.6 * c1).astype(float)
        s2 = (rng.uniform(size=n) < 0.6 + 0.4 * c2).astype(float)
        t = (rng.uniform(size=n) < 0.92).astype(float)
        return [s1, s2, t], [c1, c2]

    grid = DEFAULT_GRID[::4]  # 51 thresholds keeps the population table cheap
    big_scores, big_conf = draw(1_000_000)
    from advisor.routing import simulate_cascade

    def pop_risk(lam: float) -> float:
        if not np.isfinite(lam):
            return 0.0
        out = simulate_cascade(big_scores, big_conf, [0.0] * 3, [lam, lam])
        return float(np.maximum(big_scores[-1] - out.scores, 0).mean())

    pop = {float(lam): pop_risk(float(lam)) for lam in grid} | {float("inf"): 0.0}
    violations = 0
    for _ in range(300):
        scores, conf = draw(400)
        res = choose_cascade_threshold(scores, conf, margin=MARGIN, delta=DELTA, grid=grid)
        violations += pop[res.threshold] > MARGIN
    assert violations / 300 <= DELTA + 3 * np.sqrt(DELTA * (1 - DELTA) / 300)
