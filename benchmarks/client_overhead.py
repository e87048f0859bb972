"""The advisor's API client versus raw httpx against the same local server.

1. Throughput: the same N chat completions at the same concurrency, through
   ``Model(OpenAIBackend)`` (semaphore, limiter, retries, timing, parsing) and through a bare
   ``httpx.AsyncClient`` loop (post, parse JSON, read the text). Rounds alternate between the
   two and the median is kept, so drift in the shared machine hits both alike.
2. Timing error: sequential calls to a server that adds a known delay; the advisor's
   ``latency_ms`` versus raw httpx timed with ``perf_counter`` around the same call, and versus
   the injected delay itself.

Run: ``python benchmarks/client_overhead.py [--requests 2000 --concurrency 16 --delay-ms 20]``.
Prints a table and writes benchmarks/results/client_overhead.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from advisor.backends.base import GenerateRequest
from advisor.backends.openai_compat import OpenAIBackend
from advisor.model import Model
from advisor.testing.fault_server import run_fault_server

RESULTS = Path(__file__).parent / "results" / "client_overhead.json"


def _requests(n: int, tag: str) -> list[GenerateRequest]:
    return [GenerateRequest(f"{tag}{i}", f"benchmark {tag} message {i} yes") for i in range(n)]


async def raw_httpx(url: str, reqs: list[GenerateRequest], concurrency: int) -> tuple[float, float]:
    """Wall and client CPU seconds for raw httpx to answer ``reqs`` at ``concurrency``."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        sem = asyncio.Semaphore(concurrency)

        async def one(r: GenerateRequest) -> str:
            async with sem:
                body = {"model": "m", "messages": [{"role": "user", "content": r.input}], "temperature": 0.0}
                resp = await client.post(f"{url}/v1/chat/completions", json=body)
                resp.raise_for_status()
                return str(resp.json()["choices"][0]["message"]["content"])

        await asyncio.gather(*(one(r) for r in reqs[:concurrency]))  # open the connections
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(r) for r in reqs))
        return time.perf_counter() - start, time.process_time() - cpu


async def advisor_client(url: str, reqs: list[GenerateRequest], concurrency: int) -> tuple[float, float]:
    """Wall and client CPU seconds for ``Model(OpenAIBackend)`` to answer ``reqs`` at ``concurrency``."""
    backend = OpenAIBackend("bench", f"{url}/v1", "m", logprobs=False, max_connections=concurrency)
    model = Model(backend, max_concurrency=concurrency)
    try:
        await model.generate_all(reqs[:concurrency])
        start, cpu = time.perf_counter(), time.process_time()
        await model.generate_all(reqs)
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        await model.aclose()


async def timing(url: str, n: int) -> dict[str, list[float]]:
    """Per call: raw httpx wall time, the advisor's latency_ms, and wall time around Model.generate."""
    raw: list[float] = []
    reported: list[float] = []
    outer: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        backend = OpenAIBackend("bench", f"{url}/v1", "m", logprobs=False)
        model = Model(backend, max_concurrency=1)
        try:
            for i, r in enumerate(_requests(n + 5, "t")):
                body = {"model": "m", "messages": [{"role": "user", "content": r.input}], "temperature": 0.0}
                t0 = time.perf_counter()
                resp = await client.post(f"{url}/v1/chat/completions", json=body)
                resp.json()
                t_raw = (time.perf_counter() - t0) * 1000
                t0 = time.perf_counter()
                gen = await model.generate(r)
                t_outer = (time.perf_counter() - t0) * 1000
                if i >= 5:  # warm-up
                    raw.append(t_raw)
                    reported.append(float(gen.latency_ms or 0.0))
                    outer.append(t_outer)
        finally:
            await model.aclose()
    return {"raw_ms": raw, "reported_ms": reported, "outer_ms": outer}


def main() -> None:
    """Run both measurements, print the table, write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--delay-ms", type=float, default=20.0)
    ap.add_argument("--timing-calls", type=int, default=200)
    a = ap.parse_args()

    raw_runs: list[tuple[float, float]] = []
    adv_runs: list[tuple[float, float]] = []
    with run_fault_server() as url:
        for k in range(a.rounds):
            reqs = _requests(a.requests, f"r{k}-")
            if k % 2 == 0:
                raw_runs.append(asyncio.run(raw_httpx(url, reqs, a.concurrency)))
                adv_runs.append(asyncio.run(advisor_client(url, reqs, a.concurrency)))
            else:
                adv_runs.append(asyncio.run(advisor_client(url, reqs, a.concurrency)))
                raw_runs.append(asyncio.run(raw_httpx(url, reqs, a.concurrency)))
    raw_s = [w for w, _ in raw_runs]
    adv_s = [w for w, _ in adv_runs]
    raw_rps = a.requests / statistics.median(raw_s)
    adv_rps = a.requests / statistics.median(adv_s)
    overhead_us = (statistics.median(adv_s) - statistics.median(raw_s)) / a.requests * 1e6
    raw_cpu_us = statistics.median(c for _, c in raw_runs) / a.requests * 1e6
    adv_cpu_us = statistics.median(c for _, c in adv_runs) / a.requests * 1e6

    with run_fault_server("--delay-ms", str(a.delay_ms)) as url:
        t = timing(url, a.timing_calls)
        times = asyncio.run(t)
    raw = np.asarray(times["raw_ms"])
    rep = np.asarray(times["reported_ms"])
    outer = np.asarray(times["outer_ms"])
    timing_out = {
        "injected_delay_ms": a.delay_ms,
        "calls": int(rep.size),
        "p50_raw_httpx_ms": float(np.median(raw)),
        "p50_advisor_reported_ms": float(np.median(rep)),
        "p50_error_vs_raw_httpx_ms": float(np.median(rep) - np.median(raw)),
        "p50_error_vs_injected_delay_ms": float(np.median(rep) - a.delay_ms),
        "p50_raw_httpx_minus_injected_ms": float(np.median(raw) - a.delay_ms),
        "p50_outer_minus_reported_ms": float(np.median(outer - rep)),
        "p50_abs_paired_error_vs_raw_ms": float(np.median(np.abs(rep - raw))),
        "p95_advisor_reported_ms": float(np.percentile(rep, 95)),
        "p95_raw_httpx_ms": float(np.percentile(raw, 95)),
    }
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "throughput": {
            "requests": a.requests,
            "concurrency": a.concurrency,
            "rounds": a.rounds,
            "raw_httpx_s": raw_s,
            "advisor_s": adv_s,
            "raw_httpx_rps": raw_rps,
            "advisor_rps": adv_rps,
            "advisor_over_raw_rps_ratio": adv_rps / raw_rps,
            "overhead_per_call_us": overhead_us,
            "raw_httpx_cpu_us_per_call": raw_cpu_us,
            "advisor_cpu_us_per_call": adv_cpu_us,
            "advisor_over_raw_cpu_ratio": adv_cpu_us / raw_cpu_us,
        },
        "timing": timing_out,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))

    print(f"{'measure':<44}{'raw httpx':>12}{'advisor':>12}{'ratio/diff':>12}")
    print(
        f"{'requests/s (median of ' + str(a.rounds) + ' rounds)':<44}{raw_rps:>12.0f}{adv_rps:>12.0f}"
        f"{adv_rps / raw_rps:>12.3f}"
    )
    print(f"{'overhead per call (us, wall / N)':<44}{'':>12}{'':>12}{overhead_us:>12.1f}")
    print(
        f"{'client CPU per call (us, median)':<44}{raw_cpu_us:>12.0f}{adv_cpu_us:>12.0f}"
        f"{adv_cpu_us / raw_cpu_us:>12.3f}"
    )
    print(
        f"{'p50 latency at ' + f'{a.delay_ms:g} ms injected (ms)':<44}{np.median(raw):>12.2f}"
        f"{np.median(rep):>12.2f}{np.median(rep) - np.median(raw):>+12.3f}"
    )
    print(
        f"{'p50 reported minus injected delay (ms)':<44}{np.median(raw) - a.delay_ms:>12.3f}"
        f"{np.median(rep) - a.delay_ms:>12.3f}"
    )
    print(f"{'p50 |reported - raw| per call pair (ms)':<44}{'':>12}{np.median(np.abs(rep - raw)):>12.3f}")
    print(f"{'p50 wall around Model.generate - reported':<44}{'':>12}{np.median(outer - rep):>12.3f}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
