"""Training speed of the distillation loop versus a plain transformers Trainer, same model and data.

Both train the same MiniLM classifier (same layers, frozen parameters, batch size, epochs, sequence
cap) on the same banking77 texts with hard labels. Our loop groups similar lengths into a batch and
skips the Trainer's machinery; the Trainer runs with its defaults (random batches, dynamic padding).
The head is initialised the same way in both (no centroid start), so the work per step is equal.
A third loop is the Trainer with its own length-grouped sampler, which separates the padding saved
from the rest. After one discarded warm-up run of each, loops run in rounds (order rotating); the
figure is the median over rounds of ours / Trainer examples per second, which cancels most of a busy
machine's drift.

    python benchmarks/distill_speed.py [--n 512] [--layers 2] [--epochs 1] [--repeats 5]

Prints a table; writes benchmarks/results/distill_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch

from advisor.distill.finetune import FineTuneConfig, FineTunedClassifier, load_encoder_classifier

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "banking77" / "visible.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "distill_speed.json"


def ours(texts: list[str], labels: list[str], cfg: FineTuneConfig) -> float:
    """Examples/s of :class:`FineTunedClassifier`'s training loop."""
    student = FineTunedClassifier("bench", cfg)
    facts = student.fit_sync(texts, labels)
    return float(cfg.epochs * len(texts) / facts["train_seconds"])


def trainer(texts: list[str], labels: list[str], cfg: FineTuneConfig, *, grouped: bool = False) -> float:
    """Examples/s of ``transformers.Trainer.train`` on the same model and data.

    ``grouped``: the Trainer's own length-grouped sampler instead of its default random batches.
    """
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    classes = sorted(set(labels))
    torch.manual_seed(cfg.seed)
    tok, model = load_encoder_classifier(classes, cfg.num_layers)
    if cfg.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    index = {c: i for i, c in enumerate(classes)}
    ids = tok(texts, truncation=True, max_length=cfg.max_seq_len)["input_ids"]
    dataset = [{"input_ids": x, "labels": index[y]} for x, y in zip(ids, labels, strict=True)]
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            per_device_train_batch_size=cfg.batch_size,
            num_train_epochs=cfg.epochs,
            learning_rate=cfg.learning_rate,
            weight_decay=cfg.weight_decay,
            warmup_steps=cfg.warmup_fraction,  # transformers 5: a float below 1 is a ratio of the steps
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            disable_tqdm=True,
            seed=cfg.seed,
            use_cpu=not torch.cuda.is_available(),
            train_sampling_strategy="group_by_length" if grouped else "random",
        )
        run = Trainer(model=model, args=args, train_dataset=dataset, data_collator=DataCollatorWithPadding(tok))
        start = time.perf_counter()
        run.train()
        seconds = time.perf_counter() - start
    return cfg.epochs * len(texts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    pick = np.random.default_rng(0).permutation(len(rows))[: args.n]
    texts = [rows[i]["input"] for i in pick]
    labels = [rows[i]["gold"] for i in pick]
    cfg = FineTuneConfig(num_layers=args.layers, epochs=args.epochs, init_head_from_centroids=False)
    loops: dict[str, Callable[[list[str], list[str], FineTuneConfig], float]] = {
        "trainer": trainer,
        "trainer_grouped": partial(trainer, grouped=True),
        "ours": ours,
    }
    load_before = os.getloadavg()
    for fn in loops.values():  # warm-up (first-call costs: kernels, allocator, tokenizer), not counted
        fn(texts, labels, cfg)
    results: dict[str, list[float]] = {k: [] for k in loops}
    names = list(loops)
    for k in range(args.repeats):  # interleaved, order rotating, so drifting load hits every loop alike
        for name in names[k % len(names) :] + names[: k % len(names)]:
            results[name].append(loops[name](texts, labels, cfg))
    ratios = {
        base: [o / t for o, t in zip(results["ours"], results[base], strict=True)]
        for base in ("trainer", "trainer_grouped")
    }
    med = {k: float(np.median(v)) for k, v in results.items()}
    ratio = float(np.median(ratios["trainer"]))
    print(f"{'loop':16s} {'examples/s (median)':>20s}  runs")
    for k in names:
        print(f"{k:16s} {med[k]:20.1f}  {', '.join(f'{x:.1f}' for x in results[k])}")
    for base, rs in ratios.items():
        print(
            f"ours / {base}: {float(np.median(rs)):.2f}x median of {args.repeats} rounds "
            f"(rounds {min(rs):.2f}..{max(rs):.2f})"
        )
    print(
        f"n={args.n}, layers={args.layers}, epochs={args.epochs}, {torch.get_num_threads()} torch threads, "
        f"load average before {load_before[0]:.1f}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "examples_per_s": results,
                "median": med,
                "ratio_ours_over_trainer": ratio,
                "ratio_ours_over_trainer_grouped": float(np.median(ratios["trainer_grouped"])),
                "round_ratios": ratios,
                "torch_threads": torch.get_num_threads(),
                "loadavg_before_after": [load_before, os.getloadavg()],
                "config": {"n": args.n, "layers": args.layers, "epochs": args.epochs, **cfg.__dict__},
                "machine": platform.platform(),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
