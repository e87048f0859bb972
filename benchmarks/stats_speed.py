"""The gap-statistics engine versus ``scipy.stats.bootstrap`` on the same data.

Data: 100,000 examples in 20 slices, one teacher and 5 students. For every student, the
paired percentile-bootstrap CI of the student-minus-teacher gap overall and per slice
(5 x 21 = 105 intervals), with the same number of resamples on both sides.

- engine: ``advisor.quality.stats.bootstrap_gap_table``. 0/1 outcomes: each student's
  paired differences take at most three values and a resample is drawn as multinomial
  counts over them. Continuous scores: index resamples shared by all students, each turned
  into per-example counts (a bincount) that multiply the students' differences at once.
  Both are exact draws of the index bootstrap. Also timed: ``compare_to_teacher`` (CIs plus
  McNemar, Tango / t tests, Holm, sample sizes).
- baseline: ``scipy.stats.bootstrap(paired=True, vectorized=True, method="percentile")``,
  one call per interval.

CI endpoints are compared as the largest absolute difference over all 210 endpoints, next
to the same figure for the engine against itself with another seed (Monte Carlo noise).
Scenarios: 0/1 correctness (the usual case) and continuous scores (e.g. chrF).

Run: ``.venv/bin/python benchmarks/stats_speed.py [--n 100000] [--resamples 2000]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy import stats

from advisor.quality.stats import bootstrap_gap_table, compare_to_teacher

RESULTS = Path(__file__).parent / "results" / "stats_speed.json"


def make_data(n: int, n_slices: int, n_students: int, kind: str, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Teacher and correlated student scores with slice-dependent quality."""
    rng = np.random.default_rng(seed)
    slices = rng.integers(0, n_slices, n)
    base = rng.uniform(0.6, 0.95, n_slices)[slices]
    if kind == "binary":
        latent = rng.random(n)
        teacher = (latent < base).astype(float)
        students = np.stack(
            [
                np.where(rng.random(n) < 0.8, teacher, (rng.random(n) < base - 0.03 * (k + 1)).astype(float))
                for k in range(n_students)
            ]
        )
    else:
        teacher = np.clip(rng.normal(base, 0.15), 0, 1)
        students = np.stack([np.clip(teacher + rng.normal(-0.01 * (k + 1), 0.1, n), 0, 1) for k in range(n_students)])
    return students, teacher, slices


def scipy_intervals(
    students: np.ndarray, teacher: np.ndarray, slices: np.ndarray, n_slices: int, resamples: int, seed: int
) -> np.ndarray:
    """``(students, 1 + slices, 2)`` CI endpoints from scipy.stats.bootstrap, one call each."""
    rng = np.random.default_rng(seed)
    out = np.empty((students.shape[0], n_slices + 1, 2))

    def stat(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
        return np.mean(x - y, axis=axis)

    for k in range(students.shape[0]):
        for j in range(n_slices + 1):
            mk = np.ones(teacher.size, bool) if j == 0 else slices == j - 1
            res = stats.bootstrap(
                (students[k][mk], teacher[mk]),
                stat,
                paired=True,
                vectorized=True,
                method="percentile",
                n_resamples=resamples,
                batch=max(1, 20_000_000 // int(mk.sum())),
                random_state=rng,
            )
            out[k, j] = res.confidence_interval.low, res.confidence_interval.high
    return out


def engine_intervals(
    students: np.ndarray, teacher: np.ndarray, slices: np.ndarray, n_slices: int, resamples: int, seed: int
) -> np.ndarray:
    """The same intervals from the engine: overall, then all slices in one batched call."""
    rng = np.random.default_rng(seed)
    overall = bootstrap_gap_table(students, teacher, np.zeros(teacher.size, int), rng, n_boot=resamples)
    per = bootstrap_gap_table(students, teacher, slices, rng, n_groups=n_slices, n_boot=resamples)
    low = np.concatenate([overall.low, per.low], axis=1)
    high = np.concatenate([overall.high, per.high], axis=1)
    return np.stack([low, high], axis=2)


def engine_with_tests(students: np.ndarray, teacher: np.ndarray, names: list[str], resamples: int) -> object:
    """CIs plus McNemar, Tango tests, Holm and sample sizes for every student and slice."""
    return compare_to_teacher(
        {f"s{k}": students[k] for k in range(students.shape[0])},
        teacher,
        names,
        np.random.default_rng(4),
        margin=0.02,
        n_boot=resamples,
    )


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--slices", type=int, default=20)
    parser.add_argument("--students", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    for kind in ("binary", "continuous"):
        students, teacher, slices = make_data(args.n, args.slices, args.students, kind)
        ours, t_ours = timed(engine_intervals, students, teacher, slices, args.slices, args.resamples, 1)
        again, _ = timed(engine_intervals, students, teacher, slices, args.slices, args.resamples, 2)
        ref, t_ref = timed(scipy_intervals, students, teacher, slices, args.slices, args.resamples, 3)
        names = [f"slice{i:02d}" for i in slices]
        _, t_full = timed(engine_with_tests, students, teacher, names, args.resamples)
        rows.append(
            {
                "scores": kind,
                "examples": args.n,
                "slices": args.slices,
                "students": args.students,
                "resamples": args.resamples,
                "intervals": int(ours.shape[0] * ours.shape[1]),
                "scipy_s": t_ref,
                "engine_s": t_ours,
                "speedup": t_ref / t_ours,
                "engine_with_tests_s": t_full,
                "speedup_with_tests": t_ref / t_full,
                "max_endpoint_diff_vs_scipy": float(np.abs(ours - ref).max()),
                "mean_endpoint_diff_vs_scipy": float(np.abs(ours - ref).mean()),
                "max_endpoint_diff_engine_reseeded": float(np.abs(ours - again).max()),
            }
        )
    header = (
        f"{'scores':<11} {'intervals':>9} {'scipy s':>9} {'engine s':>9} {'speed-up':>9} "
        f"{'+tests s':>9} {'speed-up':>9} {'max|Δ| vs scipy':>16} {'max|Δ| reseed':>14}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scores']:<11} {r['intervals']:>9} {r['scipy_s']:>9.2f} {r['engine_s']:>9.3f} "
            f"{r['speedup']:>8.1f}x {r['engine_with_tests_s']:>9.3f} {r['speedup_with_tests']:>8.1f}x "
            f"{r['max_endpoint_diff_vs_scipy']:>16.5f} {r['max_endpoint_diff_engine_reseeded']:>14.5f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "stats_speed", "rows": rows}, indent=2))
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
