"""Kill the server mid-run (SIGKILL) and start it again: the run resumes, pays no answered call twice, loses nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ADMIN_TOKEN, free_port, wait_for_run
from tests.api.teacher_stub import TeacherStub
from tests.conftest import shared_data_file

N = 120


@contextmanager
def serve(tmp_path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ADVISOR_DATA_DIR": str(tmp_path / "data"),
        "ADVISOR_ADMIN_TOKEN": ADMIN_TOKEN,
        "ADVISOR_LEASE_S": "1.5",
    }
    log = (tmp_path / f"server-{time.monotonic_ns()}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "advisor serve did not start"
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_kill_and_restart_mid_run_loses_nothing(tmp_path: Path) -> None:
    data = shared_data_file("frugalgpt_overruling")
    raw = [json.loads(line) for line in data.read_text().splitlines()][:N]
    answers = {r["input"]: r["models"]["gpt-4"]["output"] for r in raw}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    body = "".join(json.dumps(r) + "\n" for r in raw).encode()
    with TeacherStub(answers, delay_s=0.08) as teacher:
        with serve(tmp_path, port) as first:
            admin = httpx.post(f"{url}/v1/projects", json={"name": "legal"}, headers={"X-Admin-Token": ADMIN_TOKEN})
            key = admin.json()["api_key"]
            c = httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30)
            ds = c.post(
                "/v1/datasets",
                files={"file": ("overruling.jsonl", body)},
                data={"mapping": json.dumps({"reference": "gold", "outputs": "models"})},
            ).json()
            common = {
                "dataset_id": ds["id"],
                "task": {"labels": ["Yes", "No"]},
                "students": [{"name": "gpt-3.5-turbo", "backend": "recorded"}],
                "n_bootstrap": 200,
            }
            done_before = c.post("/v1/runs", json={**common, "teacher": {"name": "gpt-4", "backend": "recorded"}})
            assert wait_for_run(c, done_before.json()["id"])["status"] == "succeeded"
            teacher_spec = {
                "name": "gpt-4",
                "backend": "openai",
                "url": teacher.url,
                "model": "gpt-4",
                "max_concurrency": 2,
                "price": {"usd_per_call": 0.009},
            }
            run = c.post("/v1/runs", json={**common, "teacher": teacher_spec}).json()
            deadline = time.monotonic() + 60
            while teacher.total < N // 3:
                assert time.monotonic() < deadline, "the teacher was never called"
                time.sleep(0.02)
            first.kill()  # no shutdown, no cleanup: as a crash
            first.wait(timeout=30)
        paid_before_kill = teacher.total
        assert paid_before_kill < N, "the run finished before the kill; slow the teacher down"
        cache = tmp_path / "data" / "cache"
        [cache_db] = list(cache.glob("*/responses.sqlite"))
        with sqlite3.connect(cache_db) as db:
            kept = int(db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
        assert kept > 0

        with serve(tmp_path, port):
            final = wait_for_run(c, run["id"], timeout_s=180)
            assert final["status"] == "succeeded", final["error"]
            assert final["attempts"] == 2
            # Nothing answered and kept before the kill was paid for again.
            assert teacher.total - paid_before_kill == len(answers) - kept
            assert max(teacher.calls.values()) <= 2
            report = c.get(f"/v1/runs/{run['id']}/reports/json").json()
            assert report["dataset"]["n_samples"] == N and report["models"]["gpt-4"]["backend"] == "openai"
            expected = sum(r["models"]["gpt-4"]["correct"] for r in raw) / N
            assert report["models"]["gpt-4"]["quality"] == pytest.approx(expected, abs=1e-12)
            # The run that had finished before the crash is still there, reports and all.
            assert c.get(f"/v1/runs/{done_before.json()['id']}/reports/json").status_code == 200
        c.close()
