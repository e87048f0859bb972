"""The advisor's guaranteed route versus teacher-only, the best single model and the oracle router.

Data: ``../shared/data/frugalgpt_overruling`` and ``../shared/data/routerbench_*`` (recorded answers,
per-example ``correct`` and ``cost_usd`` of 11-12 models). Over repeated random splits of each set:

- fit split (30%): trains the learned scorers and shortlists candidate routes (student x signal);
- calibration split (30%): Learn-then-Test picks each shortlisted route's threshold at
  ``delta / K`` (Bonferroni over the K shortlisted routes), and the cheapest certified route wins;
- test split (40%): everything reported is measured here, never used to choose.

Signals: ``agreement`` (the student's answer equals a second cheap model's; both are paid for)
and ``learned`` (logistic regression on input + student answer, trained on the fit split).
Baselines on the same test split: the teacher alone, the best single model (cheapest whose gap on
fit+calibration is within the margin), the oracle router (per example the cheapest model as good as
the teacher; it sees the answers, so it is the limit), and a naive router that picks the cheapest
route whose *calibration* loss is within the margin (no guarantee, as RouteLLM and FrugalGPT do).

Reported: route cost / teacher cost, share of the oracle's saving, quality, and how often the
guarantee held (test loss versus the teacher <= margin).

Run: ``.venv/bin/python benchmarks/routing_frontier.py [--reps 20] [--margins 0.02 0.05] [--delta 0.1]``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from advisor.routing import (
    DEFAULT_GRID,
    aiq,
    apgr,
    calls_for_gap,
    ltt_select,
    oracle_route,
    route_frontier,
    route_loss,
)
from advisor.signals import agreement, fit_learned_scorer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SETS = {
    "frugalgpt_overruling": "gpt-4",
    "routerbench_arc_challenge": "gpt-4-1106-preview",
    "routerbench_winogrande": "gpt-4-1106-preview",
    "routerbench_mbpp": "gpt-4-1106-preview",
}
SHORTLIST = 3


@dataclass
class Dataset:
    """One multi-model set: answers, 0/1 scores and per-call costs (examples x models)."""

    name: str
    models: list[str]
    teacher: int
    texts: list[str]
    answers: np.ndarray  # n x m (object)
    scores: np.ndarray  # n x m
    costs: np.ndarray  # n x m


def load(name: str, teacher: str) -> Dataset:
    rows = [json.loads(line) for line in (DATA / name / "visible.jsonl").read_text().splitlines()]
    models = list(rows[0]["models"])
    ans = np.array([[str(r["models"][m]["output"]).strip() for m in models] for r in rows], dtype=object)
    sc = np.array([[float(r["models"][m]["correct"]) for m in models] for r in rows])
    co = np.array([[float(r["models"][m]["cost_usd"]) for m in models] for r in rows])
    return Dataset(name, models, models.index(teacher), [r["input"] for r in rows], ans, sc, co)


@dataclass
class Route:
    """A candidate route: a student and its signal (agreement with a helper model, or learned)."""

    student: int
    signal: str
    helper: int | None
    conf: np.ndarray  # on all examples (learned: scores from the scorer fitted on the fit split)
    first_cost: np.ndarray  # per example: student (+ helper)


def _candidates(d: Dataset, fit: np.ndarray, seed: int) -> tuple[list[Route], list[np.ndarray]]:
    """Every (student, signal) route, and each route's confidence on the fit split without leakage."""
    n, m = d.scores.shape
    t = d.teacher
    tcost = d.costs[:, t].mean()
    cheap = [j for j in range(m) if j != t and d.costs[:, j].mean() < tcost]
    routes: list[Route] = []
    fit_conf: list[np.ndarray] = []
    for s in cheap:
        for h in cheap:
            if h == s or d.costs[:, s].mean() + d.costs[:, h].mean() >= tcost:
                continue
            conf = agreement(list(d.answers[:, s]), [list(d.answers[:, h])])
            routes.append(Route(s, "agreement", h, conf, d.costs[:, s] + d.costs[:, h]))
            fit_conf.append(conf[fit])
        match = (d.answers[fit, s] == d.answers[fit, t]).astype(float)
        texts = [d.texts[i] for i in fit]
        ans = list(d.answers[fit, s])
        # out-of-fold scores on the fit split (for shortlisting), then a scorer on the whole fit split
        oof = np.full(fit.size, match.mean())
        if 0 < match.sum() < match.size and min(match.sum(), match.size - match.sum()) >= 3:
            for a, b in StratifiedKFold(3, shuffle=True, random_state=seed).split(texts, match):
                sc = fit_learned_scorer([texts[i] for i in a], [ans[i] for i in a], match[a], seed=seed)
                oof[b] = sc.score([texts[i] for i in b], [ans[i] for i in b])
        scorer = fit_learned_scorer(texts, ans, match, seed=seed)
        conf = scorer.score(d.texts, list(d.answers[:, s]))
        routes.append(Route(s, "learned", None, conf, d.costs[:, s].copy()))
        fit_conf.append(oof)
    return routes, fit_conf


def _naive_threshold(conf: np.ndarray, s: np.ndarray, t: np.ndarray, margin: float) -> float:
    keep = conf[None, :] >= DEFAULT_GRID[:, None]
    risk = (keep * np.maximum(t - s, 0)[None, :]).mean(axis=1)
    ok = DEFAULT_GRID[risk <= margin]
    return float(ok.min()) if ok.size else float("inf")


def _route_cost(r: Route, idx: np.ndarray, thr: float, tcost: np.ndarray) -> float:
    esc = r.conf[idx] < thr
    return float((r.first_cost[idx] + np.where(esc, tcost[idx], 0.0)).mean())


def _measure(d: Dataset, r: Route | None, thr: float, idx: np.ndarray) -> dict[str, float]:
    t = d.teacher
    if r is None or not np.isfinite(thr):
        return {
            "cost": float(d.costs[idx, t].mean()),
            "quality": float(d.scores[idx, t].mean()),
            "loss": 0.0,
            "escalation": 1.0,
        }
    s, ts = d.scores[idx, r.student], d.scores[idx, t]
    keep = r.conf[idx] >= thr
    return {
        "cost": _route_cost(r, idx, thr, d.costs[:, t]),
        "quality": float(np.where(keep, s, ts).mean()),
        "loss": float(route_loss(r.conf[idx], s, ts, thr).mean()),
        "escalation": float(1 - keep.mean()),
    }


def one_split(d: Dataset, rng: np.random.Generator, margin: float, delta: float, seed: int) -> dict[str, object]:
    n, m = d.scores.shape
    t = d.teacher
    order = rng.permutation(n)
    a, b = int(0.3 * n), int(0.6 * n)
    fit, cal, test = order[:a], order[a:b], order[b:]
    routes, fit_conf = _candidates(d, fit, seed)
    tcost = d.costs[:, t]
    # shortlist on the fit split: cheapest fit cost at the naive threshold
    ranked = []
    for r, fc in zip(routes, fit_conf, strict=True):
        thr = _naive_threshold(fc, d.scores[fit, r.student], d.scores[fit, t], margin)
        if np.isfinite(thr):
            esc = fc < thr
            ranked.append((float((r.first_cost[fit] + np.where(esc, tcost[fit], 0)).mean()), r))
    ranked.sort(key=lambda x: x[0])
    short = [r for _, r in ranked[:SHORTLIST]]
    # Learn-then-Test on the calibration split, Bonferroni over the shortlist
    best: tuple[float, Route | None, float] = (float(tcost[cal].mean()), None, float("inf"))
    for r in short:
        conf, s, ts = r.conf[cal], d.scores[cal, r.student], d.scores[cal, t]
        res = ltt_select(
            lambda lam, conf=conf, s=s, ts=ts: route_loss(conf, s, ts, lam),
            DEFAULT_GRID,
            margin=margin,
            delta=delta / max(len(short), 1),
        )
        if np.isfinite(res.threshold):
            c = _route_cost(r, cal, res.threshold, tcost)
            if c < best[0]:
                best = (c, r, res.threshold)
    _, chosen, thr = best
    # naive: cheapest route over all candidates with calibration loss within the margin
    naive: tuple[float, Route | None, float] = (float(tcost[cal].mean()), None, float("inf"))
    for r in routes:
        nthr = _naive_threshold(r.conf[cal], d.scores[cal, r.student], d.scores[cal, t], margin)
        if np.isfinite(nthr):
            c = _route_cost(r, cal, nthr, tcost)
            if c < naive[0]:
                naive = (c, r, nthr)
    # best single model on fit+cal
    sel = np.concatenate([fit, cal])
    singles = [j for j in range(m) if d.scores[sel, j].mean() - d.scores[sel, t].mean() >= -margin]
    single = min(singles, key=lambda j: d.costs[sel, j].mean())
    # oracles on the test split
    oracle_all = oracle_route(d.scores[test], d.costs[test], reference=t)
    out: dict[str, object] = {
        "teacher": _measure(d, None, float("inf"), test),
        "route": _measure(d, chosen, thr, test),
        "naive": _measure(d, naive[1], naive[2], test),
        "single": {
            "model": d.models[single],
            "cost": float(d.costs[test, single].mean()),
            "quality": float(d.scores[test, single].mean()),
        },
        "oracle_all": {"cost": oracle_all.cost_per_call, "quality": oracle_all.quality},
        "chosen": None
        if chosen is None
        else {
            "student": d.models[chosen.student],
            "signal": chosen.signal + (f":{d.models[chosen.helper]}" if chosen.helper is not None else ""),
            "threshold": thr,
        },
    }
    if chosen is not None:
        st = chosen.student
        two = oracle_route(d.scores[test][:, [st, t]], d.costs[test][:, [st, t]], reference=1)
        out["oracle_two"] = {"cost": two.cost_per_call, "quality": two.quality}
        conf, s, ts = chosen.conf[test], d.scores[test, st], d.scores[test, t]
        pts = route_frontier(conf, s, ts, chosen.first_cost[test], tcost[test])
        out["apgr"] = apgr(conf, s, ts)
        out["cpt50"] = calls_for_gap(conf, s, ts, 0.5)
        out["cpt80"] = calls_for_gap(conf, s, ts, 0.8)
        out["aiq"] = aiq([p.cost_per_call for p in pts], [p.quality for p in pts])
    return out


def summarize(name: str, reps: list[dict[str, object]], margin: float) -> dict[str, object]:
    def arr(key: str, field: str) -> np.ndarray:
        return np.array([r[key][field] for r in reps if key in r], dtype=float)  # type: ignore[index]

    tc = arr("teacher", "cost")
    rc = arr("route", "cost")
    oc = arr("oracle_all", "cost")
    share = (tc - rc) / (tc - oc)
    chosen = [r["chosen"] for r in reps if r["chosen"] is not None]
    pick: dict[str, int] = {}
    for c in chosen:
        key = f"{c['student']} / {c['signal']}"  # type: ignore[index]
        pick[key] = pick.get(key, 0) + 1
    two = [
        (r["teacher"]["cost"] - r["route"]["cost"]) / (r["teacher"]["cost"] - r["oracle_two"]["cost"])  # type: ignore[index]
        for r in reps
        if "oracle_two" in r
    ]
    return {
        "dataset": name,
        "reps": len(reps),
        "margin": margin,
        "teacher_quality": float(arr("teacher", "quality").mean()),
        "route_quality": float(arr("route", "quality").mean()),
        "route_cost_over_teacher": float((rc / tc).mean()),
        "route_cost_over_teacher_sd": float((rc / tc).std(ddof=1)) if len(reps) > 1 else 0.0,
        "single_cost_over_teacher": float((arr("single", "cost") / tc).mean()),
        "single_quality": float(arr("single", "quality").mean()),
        "oracle_cost_over_teacher": float((oc / tc).mean()),
        "oracle_quality": float(arr("oracle_all", "quality").mean()),
        "share_of_oracle_saving": float(share.mean()),
        "share_of_two_model_oracle_saving": float(np.mean(two)) if two else float("nan"),
        "guarantee_held_rate": float((arr("route", "loss") <= margin).mean()),
        "route_found_rate": len(chosen) / len(reps),
        "naive_cost_over_teacher": float((arr("naive", "cost") / tc).mean()),
        "naive_held_rate": float((arr("naive", "loss") <= margin).mean()),
        "apgr": float(np.nanmean([r["apgr"] for r in reps if "apgr" in r])) if chosen else float("nan"),
        "cpt50": float(np.nanmean([r["cpt50"] for r in reps if "cpt50" in r])) if chosen else float("nan"),
        "cpt80": float(np.nanmean([r["cpt80"] for r in reps if "cpt80" in r])) if chosen else float("nan"),
        "aiq": float(np.nanmean([r["aiq"] for r in reps if "aiq" in r])) if chosen else float("nan"),
        "chosen_routes": pick,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--margins", type=float, nargs="+", default=[0.02, 0.05])
    ap.add_argument("--delta", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sets", nargs="*", default=list(SETS))
    args = ap.parse_args()
    started = time.perf_counter()
    results = []
    for name in args.sets:
        if not (DATA / name / "visible.jsonl").is_file():
            print(f"skip {name}: {DATA / name} not present")
            continue
        d = load(name, SETS[name])
        for margin in args.margins:
            rng = np.random.default_rng(args.seed)  # the same splits at every margin
            reps = [one_split(d, rng, margin, args.delta, args.seed + i) for i in range(args.reps)]
            results.append(summarize(name, reps, margin))
    hdr = (
        f"{'dataset':28s} {'margin':>6s} {'route/T':>8s} {'single/T':>8s} {'oracle/T':>8s} "
        f"{'oracle%':>8s} {'held':>5s} "
        f"{'naive/T':>8s} {'nheld':>5s} {'Q_T':>6s} {'Q_route':>7s} {'APGR':>5s} {'AIQ':>6s}"
    )
    print(f"margins {args.margins}, delta {args.delta}, {args.reps} random splits (fit 30/cal 30/test 40)")
    print(hdr)
    for r in results:
        print(
            f"{r['dataset']:28s} {r['margin']:6.3f} {r['route_cost_over_teacher']:8.3f} "
            f"{r['single_cost_over_teacher']:8.3f} {r['oracle_cost_over_teacher']:8.3f} "
            f"{r['share_of_oracle_saving']:8.1%} {r['guarantee_held_rate']:5.0%} "
            f"{r['naive_cost_over_teacher']:8.3f} {r['naive_held_rate']:5.0%} {r['teacher_quality']:6.3f} "
            f"{r['route_quality']:7.3f} {r['apgr']:5.2f} {r['aiq']:6.3f}"
        )
        print(f"{'':35s} chosen: {r['chosen_routes']}")
    out = ROOT / "benchmarks" / "results" / "routing_frontier.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"args": vars(args), "seconds": time.perf_counter() - started, "results": results}, indent=2)
    )
    print(f"wrote {out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
