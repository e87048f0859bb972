"""Load test of the HTTP service on 127.0.0.1: concurrent uploads and report reads, p50/p99.

Starts ``advisor serve`` in a subprocess (a fresh SQLite store, or ``--database-url``), makes a
project, uploads one dataset and finishes one run, then sends a bounded number of requests at a
fixed concurrency. Baseline, measured in the same run at the same concurrency: ``GET /healthz``
(the server's floor). Writes ``benchmarks/results/service_load.json``.

    .venv/bin/python benchmarks/service_load.py [--requests 300] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "bench-admin-token"
MAX_WALL_S = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rows_jsonl(n: int, salt: str) -> bytes:
    """``n`` canonical rows with a recorded teacher and student; ``salt`` makes each upload distinct."""
    lines = []
    for i in range(n):
        gold = "Yes" if i % 2 else "No"
        student = gold if i % 7 else ("No" if gold == "Yes" else "Yes")
        row = {
            "id": f"{salt}-{i}",
            "input": f"{salt}: is the holding in case {i} overruled by the later decision?",
            "reference": gold,
            "outputs": {
                "teacher": {"output": gold, "cost_usd": 0.009},
                "student": {"output": student, "cost_usd": 0.0006},
            },
        }
        lines.append(json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


async def measure(
    name: str, call: Callable[[int], Awaitable[httpx.Response]], n: int, concurrency: int
) -> dict[str, float | int | str]:
    """Run ``call(i)`` for i < n with at most ``concurrency`` in flight; latency percentiles in ms."""
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        async with sem:
            t0 = time.perf_counter()
            r = await call(i)
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code >= 400:
                errors += 1

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), MAX_WALL_S)
    wall = time.perf_counter() - t0
    arr = np.asarray(latencies)
    return {
        "operation": name,
        "requests": n,
        "concurrency": concurrency,
        "errors": errors,
        "p50_ms": float(np.percentile(arr, 50)),
        "p99_ms": float(np.percentile(arr, 99)),
        "mean_ms": float(statistics.fmean(latencies)),
        "throughput_per_s": n / wall,
    }


async def run_load(url: str, key: str, n: int, concurrency: int, rows: int) -> list[dict[str, float | int | str]]:
    headers = {"X-API-Key": key}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as c:
        r = await c.post("/v1/datasets", files={"file": ("seed.jsonl", rows_jsonl(rows, "seed"))})
        r.raise_for_status()
        run = await c.post(
            "/v1/runs",
            json={
                "dataset_id": r.json()["id"],
                "task": {"labels": ["Yes", "No"]},
                "teacher": {"name": "teacher"},
                "students": [{"name": "student"}],
                "n_bootstrap": 200,
            },
        )
        run.raise_for_status()
        run_id = run.json()["id"]
        deadline = time.monotonic() + 300
        while (await c.get(f"/v1/runs/{run_id}")).json()["status"] != "succeeded":
            if time.monotonic() > deadline:
                raise RuntimeError("the seed run did not finish")
            await asyncio.sleep(0.2)
        results = [await measure("GET /healthz (baseline)", lambda i: c.get("/healthz"), n, concurrency)]
        bodies = [rows_jsonl(rows, f"u{i}") for i in range(n)]
        results.append(
            await measure(
                f"POST /v1/datasets ({rows} rows, {len(bodies[0]) // 1024} KiB)",
                lambda i: c.post("/v1/datasets", files={"file": (f"u{i}.jsonl", bodies[i])}),
                n,
                concurrency,
            )
        )
        results.append(
            await measure(
                "GET /v1/runs/{id}/reports/json",
                lambda i: c.get(f"/v1/runs/{run_id}/reports/json"),
                n,
                concurrency,
            )
        )
        results.append(await measure("GET /v1/runs/{id} (poll)", lambda i: c.get(f"/v1/runs/{run_id}"), n, concurrency))

        async def mixed(i: int) -> httpx.Response:
            if i % 4 == 0:
                return await c.post("/v1/datasets", files={"file": (f"m{i}.jsonl", bodies[i])})
            return await c.get(f"/v1/runs/{run_id}/reports/json")

        results.append(await measure("mixed 1 upload : 3 report reads", mixed, n, concurrency))
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per operation (bounded)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rows", type=int, default=200, help="rows per uploaded dataset")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="advisor-load-") as tmp:
        env = {**os.environ, "ADVISOR_DATA_DIR": tmp, "ADVISOR_ADMIN_TOKEN": ADMIN}
        if args.database_url:
            env["ADVISOR_DATABASE_URL"] = args.database_url
        server = subprocess.Popen(
            [sys.executable, "-m", "advisor.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("advisor serve did not start")
                time.sleep(0.2)
            key = httpx.post(f"{url}/v1/projects", json={"name": "load"}, headers={"X-Admin-Token": ADMIN}).json()[
                "api_key"
            ]
            results = asyncio.run(run_load(url, key, args.requests, args.concurrency, args.rows))
        finally:
            server.terminate()
            server.wait(timeout=30)

    base = results[0]
    print(f"{'operation':44} {'n':>5} {'err':>4} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'p50 x base':>10}")
    for r in results:
        r["p50_vs_baseline"] = float(r["p50_ms"]) / float(base["p50_ms"])
        r["p99_vs_baseline"] = float(r["p99_ms"]) / float(base["p99_ms"])
        print(
            f"{r['operation']:44} {r['requests']:>5} {r['errors']:>4} {r['p50_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {r['throughput_per_s']:>7.1f} {r['p50_vs_baseline']:>10.1f}"
        )
    out = ROOT / "benchmarks" / "results" / "service_load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "store": "postgresql" if args.database_url else "sqlite",
        "cores": os.cpu_count(),
        "concurrency": args.concurrency,
        "requests_per_operation": args.requests,
    }
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
