"""Distil MiniLM on banking77 (77 intents) with gold as a stand-in teacher.

Trains fine-tuned MiniLM students on growing numbers of teacher-labelled examples (several seeds),
scores each on held-out examples it never saw (accuracy vs gold, agreement with the teacher), fits
the saturating power law and predicts the teacher labels needed for target accuracies. The largest
student is saved as a transformers checkpoint with its model card.

    python benchmarks/distill_banking77.py [--sizes 100 200 400 800] [--seeds 0 1] [--layers 2]

Prints a table; writes benchmarks/results/distill_banking77.json.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from advisor.distill.curve import backtest_largest, fit_power_law, measure_learning_curve, predict_label_budget
from advisor.distill.finetune import FineTuneConfig, FineTunedClassifier

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "banking77" / "visible.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "distill_banking77.json"


def run(
    data: Path,
    *,
    sizes: Sequence[int],
    seeds: Sequence[int],
    n_eval: int,
    num_layers: int | None,
    epochs: int,
    targets: Sequence[float],
    max_gap: float = 0.02,
    save_to: Path | None = None,
) -> dict[str, Any]:
    """Learning curve and label budget of the fine-tuned MiniLM student (teacher = gold labels)."""
    rows = [json.loads(line) for line in data.read_text().splitlines() if line.strip()]
    order = np.random.default_rng(0).permutation(len(rows))
    held_out = [rows[i] for i in order[:n_eval]]
    pool = [rows[i] for i in order[n_eval:]]
    if max(sizes) > len(pool):
        raise SystemExit(f"largest size {max(sizes)} exceeds the {len(pool)} training rows left after eval")
    eval_texts = [r["input"] for r in held_out]
    gold = np.array([r["gold"] for r in held_out])
    teacher_eval = gold  # the stand-in teacher answers with the gold label
    teacher_quality = 1.0
    trained: dict[tuple[int, int], FineTunedClassifier] = {}
    facts: dict[tuple[int, int], dict[str, Any]] = {}

    def train_and_score(n: int, seed: int) -> tuple[float, float | None]:
        pick = np.random.default_rng(1000 + seed).permutation(len(pool))[:n]
        train = [pool[i] for i in pick]
        assert not {r["id"] for r in train} & {r["id"] for r in held_out}, "held-out leaked into training"
        student = FineTunedClassifier(
            f"minilm-ft-n{n}-s{seed}", FineTuneConfig(num_layers=num_layers, epochs=epochs, seed=seed)
        )
        facts[(n, seed)] = student.fit_sync(
            [r["input"] for r in train], [r["gold"] for r in train], teacher="gold (stand-in)"
        )
        pred = np.array(student.classes)[student.predict_proba(eval_texts).argmax(axis=1)]
        trained[(n, seed)] = student
        return float(np.mean(pred == gold)), float(np.mean(pred == teacher_eval))

    start = time.perf_counter()
    points = measure_learning_curve(train_and_score, sizes, seeds)
    budgets = {}
    rng = np.random.default_rng(0)
    for target in [*targets, teacher_quality - max_gap]:
        b = predict_label_budget(points, target, rng, n_boot=200)
        budgets[f"{target:.3f}"] = {
            "predicted_labels": b.predicted_labels,
            "ci90": list(b.ci),
            "reachable": b.reachable,
            "extrapolated": b.extrapolated,
        }
    fit = fit_power_law([p.n for p in points], [p.quality for p in points])
    backtest = None
    if len(set(sizes)) >= 4:
        bt = backtest_largest(points)
        backtest = {"fit_sizes_below": bt.held_out_size, "predicted": bt.predicted, "measured": bt.measured}
    best_key = (max(sizes), seeds[0])
    best = next(p for p in points if (p.n, p.seed) == best_key)
    saved = None
    if save_to is not None:
        saved = str(
            trained[best_key].save(
                save_to, heldout_accuracy=best.quality, heldout_agreement=best.agreement, heldout_n=n_eval
            )
        )
    return {
        "data": str(data),
        "teacher": "gold labels (stand-in teacher)",
        "n_eval": n_eval,
        "num_layers": num_layers or 6,
        "epochs": epochs,
        "points": [p.__dict__ for p in points],
        "fit": fit.__dict__,
        "budgets": budgets,
        "backtest": backtest,
        "student": {
            "n_train": best.n,
            "heldout_accuracy": best.quality,
            "heldout_agreement_with_teacher": best.agreement,
            "train_examples_per_s": facts[best_key]["train_examples_per_s"],
            "saved_to": saved,
        },
        "seconds": round(time.perf_counter() - start, 1),
    }


def _table(result: dict[str, Any]) -> str:
    lines = ["n_labels  seed  accuracy  agreement"]
    for p in result["points"]:
        lines.append(f"{p['n']:8d}  {p['seed']:4d}  {p['quality']:8.3f}  {p['agreement']:9.3f}")
    f = result["fit"]
    lines.append(
        f"fit: acc(n) = {f['asymptote']:.3f} - {f['scale']:.3f} * n^-{f['exponent']:.3f} (rmse {f['rmse']:.3f})"
        + (
            "; the asymptote sits at its bound 1: the sizes measured show no saturation yet"
            if f["asymptote"] > 0.999
            else ""
        )
    )
    largest = max(p["n"] for p in result["points"])
    for target, b in result["budgets"].items():
        n = b["predicted_labels"]
        shown = "unreachable (fitted asymptote below target)" if not math.isfinite(n) else f"{n:,.0f}"
        lo, hi = b["ci90"]
        extra = f"  (extrapolated beyond {largest})" if b["extrapolated"] and math.isfinite(n) else ""
        lines.append(f"labels for accuracy {target}: {shown}  [90% CI {lo:,.0f} .. {hi:,.0f}]{extra}")
    if (bt := result.get("backtest")) is not None:
        lines.append(
            f"back-test: fitted on sizes below {bt['fit_sizes_below']}, predicts accuracy {bt['predicted']:.3f} "
            f"there; measured {bt['measured']:.3f}"
        )
    s = result["student"]
    lines.append(
        f"student (n={s['n_train']}): held-out accuracy {s['heldout_accuracy']:.3f}, "
        f"agreement {s['heldout_agreement_with_teacher']:.3f}; saved to {s['saved_to']}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400, 800])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--n-eval", type=int, default=500)
    parser.add_argument("--layers", type=int, default=None, help="truncate MiniLM to N layers")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--targets", type=float, nargs="+", default=[0.7, 0.8, 0.85])
    parser.add_argument("--save-to", type=Path, default=ROOT / "benchmarks" / "results" / "banking77-student")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()
    result = run(
        args.data,
        sizes=args.sizes,
        seeds=args.seeds,
        n_eval=args.n_eval,
        num_layers=args.layers,
        epochs=args.epochs,
        targets=args.targets,
        save_to=args.save_to,
    )
    print(_table(result))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2, default=float) + "\n")
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
