"""Training speed of the distillation loop versus a plain transformers Trainer, same model and data.

Both train the same MiniLM classifier (same layers, frozen parameters, batch size, epochs, sequence
cap) on the same banking77 texts with hard labels. Our loop groups similar lengths into a batch and
skips the Trainer's machinery; the Trainer runs with its defaults (random batches, dynamic padding).
The head is initialised the same way in both (no centroid start), so the work per step is equal.

    python benchmarks/distill_speed.py [--n 256] [--layers 2] [--epochs 1] [--repeats 2]

Prints a table; writes benchmarks/results/distill_speed.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from advisor.distill.finetune import FineTuneConfig, FineTunedClassifier, load_encoder_classifier

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "banking77" / "visible.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "distill_speed.json"


def ours(texts: list[str], labels: list[str], cfg: FineTuneConfig) -> float:
    """Examples/s of :class:`FineTunedClassifier`'s training loop."""
    student = FineTunedClassifier("bench", cfg)
    facts = student.fit_sync(texts, labels)
    return float(cfg.epochs * len(texts) / facts["train_seconds"])


def trainer(texts: list[str], labels: list[str], cfg: FineTuneConfig) -> float:
    """Examples/s of ``transformers.Trainer.train`` on the same model and data."""
    import torch
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
            warmup_ratio=cfg.warmup_fraction,
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            seed=cfg.seed,
            use_cpu=not torch.cuda.is_available(),
        )
        run = Trainer(model=model, args=args, train_dataset=dataset, data_collator=DataCollatorWithPadding(tok))
        start = time.perf_counter()
        run.train()
        seconds = time.perf_counter() - start
    return cfg.epochs * len(texts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    pick = np.random.default_rng(0).permutation(len(rows))[: args.n]
    texts = [rows[i]["input"] for i in pick]
    labels = [rows[i]["gold"] for i in pick]
    cfg = FineTuneConfig(num_layers=args.layers, epochs=args.epochs, init_head_from_centroids=False)
    results: dict[str, Any] = {"ours": [], "trainer": []}
    for _ in range(args.repeats):  # interleaved, so drifting machine load hits both alike
        results["trainer"].append(trainer(texts, labels, cfg))
        results["ours"].append(ours(texts, labels, cfg))
    med = {k: float(np.median(v)) for k, v in results.items()}
    ratio = med["ours"] / med["trainer"]
    print(f"{'loop':10s} {'examples/s (median)':>20s}  runs")
    for k in ("trainer", "ours"):
        print(f"{k:10s} {med[k]:20.1f}  {', '.join(f'{x:.1f}' for x in results[k])}")
    print(f"ours / Trainer: {ratio:.2f}x  (n={args.n}, layers={args.layers}, epochs={args.epochs})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "examples_per_s": results,
                "median": med,
                "ratio_ours_over_trainer": ratio,
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
