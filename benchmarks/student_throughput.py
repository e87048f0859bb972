"""MiniLM student: the advisor's measured best throughput versus sentence-transformers' ``encode``.

Both at their best configuration, on the same machine and the same texts.

- advisor: a ``DistilledClassifier`` (frozen all-MiniLM-L6-v2 + logistic head), trained on the
  bundled demo tickets, measured through the Backend interface by ``advisor.measure.sweep_point``
  (what ``measure_local`` runs for its batch size x concurrency sweep); the figure is the best
  point, the one the cost model would use without a latency SLO. The student embeds with
  ``advisor.distill.encoders.encode_sorted`` (same weights and outputs as ``encode``; token-budget
  batches of length-sorted texts under ``inference_mode``). It does more work per call than the baseline (the
  logistic head and ``Generation`` objects on top of the embedding).
- baseline: ``SentenceTransformer.encode(texts, batch_size=b)`` on the same texts, best ``b``.

Measurements are interleaved per batch size (encode at b, then the advisor's sweep point at b
with concurrency 1 and 2) and each side keeps its best, so a busy shared machine penalises both
alike; the same-batch ratios at concurrency 1 show the advisor's overhead like for like. With a
GPU (``torch.cuda``): the baseline on the GPU, and the error of the advisor's roofline projection
for that GPU against it. Without one, that part says so.

Run: ``.venv/bin/python benchmarks/student_throughput.py [--rounds 3] [--calls 512]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from advisor.backends.base import GenerateRequest
from advisor.distill.classifier import DistilledClassifier
from advisor.distill.encoders import load_minilm
from advisor.latency import best_under_slo, project_roofline, same_accelerator
from advisor.measure import SweepPlan, detect_hardware, footprint_of, sweep_point
from advisor.pricing import load_catalog
from advisor.samples import load_samples

RESULTS = Path(__file__).parent / "results" / "student_throughput.json"
DEMO = Path(__file__).resolve().parents[1] / "advisor" / "demo" / "data" / "support_tickets.jsonl"
BATCHES = (1, 8, 32, 128, 512)


def baseline_best(enc: Any, texts: list[str], batches: tuple[int, ...]) -> tuple[int, float, dict[int, float]]:
    """(best batch size, its texts/s, texts/s per batch size) of ``encode``."""
    rates = {}
    for b in batches:
        enc.encode(texts[: max(b, 8)], batch_size=b, show_progress_bar=False)  # warm this shape
        t0 = time.perf_counter()
        enc.encode(texts, batch_size=b, show_progress_bar=False)
        rates[b] = len(texts) / (time.perf_counter() - t0)
    best = max(rates, key=lambda k: rates[k])
    return best, rates[best], rates


def advisor_point(student: DistilledClassifier, reqs: list[GenerateRequest], b: int, c: int, calls: int) -> Any:
    """One point of the advisor's sweep (``advisor.measure.sweep_point``, as ``measure_local`` runs it)."""
    plan = SweepPlan(min_calls_per_point=calls, min_batches_per_point=2, max_seconds_per_point=120.0)
    asyncio.run(student.generate_batch(reqs[:b]))  # warm this shape, as the baseline does
    return asyncio.run(sweep_point(student, reqs, b, c, plan))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=512, help="texts per measured point")
    args = ap.parse_args()

    samples = load_samples(DEMO)
    texts = [s.text for s in samples]
    labels = [str(s.reference) for s in samples]
    student = DistilledClassifier("minilm-student", "minilm", batch_size=max(BATCHES))
    asyncio.run(student.fit(texts[:300], labels[:300]))
    eval_texts = (texts[300:] * 4)[: args.calls]
    reqs = [GenerateRequest(f"r{i}", t) for i, t in enumerate(eval_texts)]
    enc = load_minilm()
    hw = detect_hardware()

    # Interleaved per batch size, so that load from other processes hits both sides alike.
    adv_points: list[dict[str, Any]] = []
    base_points: list[dict[str, Any]] = []
    for r in range(args.rounds):
        for b in BATCHES:
            _, rate, _ = baseline_best(enc, eval_texts, (b,))
            base_points.append({"round": r + 1, "batch_size": b, "texts_per_s": rate})
            for c in (1, 2):
                p = advisor_point(student, reqs, b, c, args.calls)
                adv_points.append(
                    {
                        "round": r + 1,
                        "batch_size": b,
                        "concurrency": c,
                        "calls_per_s": p.calls_per_s,
                        "p95_ms": p.latency.p95,
                    }
                )
            print(
                f"round {r + 1} batch {b:>3}: encode {rate:7.1f} texts/s | advisor "
                + " | ".join(f"c{x['concurrency']} {x['calls_per_s']:7.1f}" for x in adv_points[-2:]),
                file=sys.stderr,
            )
    adv = max(adv_points, key=lambda x: x["calls_per_s"])
    base = max(base_points, key=lambda x: x["texts_per_s"])
    ratio = adv["calls_per_s"] / base["texts_per_s"]
    like_for_like = {
        b: max(x["calls_per_s"] for x in adv_points if x["batch_size"] == b and x["concurrency"] == 1)
        / max(x["texts_per_s"] for x in base_points if x["batch_size"] == b)
        for b in BATCHES
    }

    gpu: dict[str, Any]
    torch: Any = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        genc = load_minilm("cuda")
        g_best, g_rate, g_all = baseline_best(genc, eval_texts, BATCHES)
        spec = next((h for h in load_catalog().hardware.values() if same_accelerator(name, h.name)), None)
        proj_rate = None
        if spec is not None and spec.half_tflops and spec.mem_bandwidth_gbps:
            fp = footprint_of(student, eval_texts)
            assert fp is not None
            proj = project_roofline(fp, spec.name, spec.half_tflops, spec.mem_bandwidth_gbps, BATCHES)
            top = best_under_slo(proj.sweep, None)
            proj_rate = top.calls_per_s if top else None
        gpu = {
            "available": True,
            "name": name,
            "encode_best_batch": g_best,
            "encode_texts_per_s": g_rate,
            "encode_by_batch": g_all,
            "projected_calls_per_s": proj_rate,
            "projection_error": None if proj_rate is None else proj_rate / g_rate - 1.0,
            "note": "projection error = projected best / measured best encode - 1 (fp32 weights measured; "
            "the projection assumes 16-bit)",
        }
    else:
        inst = load_catalog().instance("aws/g6.xlarge")
        spec = load_catalog().hardware_of(inst)
        assert spec is not None and spec.half_tflops and spec.mem_bandwidth_gbps
        fp = footprint_of(student, eval_texts)
        assert fp is not None
        top = best_under_slo(
            project_roofline(fp, spec.name, spec.half_tflops, spec.mem_bandwidth_gbps, BATCHES).sweep, None
        )
        gpu = {
            "available": False,
            "note": "no GPU on this machine: the GPU measurement and the error of the CPU-to-GPU "
            "projection were not measured",
            "projected_for_reference": {"target": spec.name, "calls_per_s": top.calls_per_s if top else None},
        }

    out = {
        "hardware": hw.as_dict(),
        "texts": len(eval_texts),
        "rounds": args.rounds,
        "advisor_best": adv,
        "encode_best": base,
        "ratio_advisor_over_encode": ratio,
        "ratio_same_batch_concurrency_1": like_for_like,
        "advisor_points": adv_points,
        "encode_points": base_points,
        "gpu": gpu,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2))
    print(f"\nMiniLM student throughput on {hw.cpu} ({hw.cores} cores), {len(eval_texts)} texts per point")
    print(f"{'':34}{'calls/s':>10}  {'config':>22}")
    print(
        f"{'advisor sweep point (best)':34}{adv['calls_per_s']:>10.1f}  "
        f"{'batch ' + str(adv['batch_size']) + ' x conc ' + str(adv['concurrency']):>22}"
    )
    print(f"{'sentence-transformers encode':34}{base['texts_per_s']:>10.1f}  {'batch ' + str(base['batch_size']):>22}")
    print(f"{'ratio (advisor / encode)':34}{ratio:>10.3f}")
    print(
        "same batch, concurrency 1 (advisor / encode): " + ", ".join(f"{b}: {v:.2f}" for b, v in like_for_like.items())
    )
    if gpu["available"]:
        print(
            f"GPU {gpu['name']}: encode {gpu['encode_texts_per_s']:.1f} texts/s; projected "
            f"{gpu['projected_calls_per_s']}; projection error {gpu['projection_error']}"
        )
    else:
        ref = gpu["projected_for_reference"]
        print(f"GPU: {gpu['note']}; roofline projection for {ref['target']}: {ref['calls_per_s']:.0f} calls/s")
    print(f"JSON: {RESULTS}")


if __name__ == "__main__":
    main()
