"""``advisor demo``: the bundled support-ticket task, a teacher over real HTTP, local students."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from ..errors import AdvisorError
from ..pipeline import ProgressFn, run_spec
from ..report import Report
from ..spec import parse_spec
from .tickets import run_samples

STARTUP_TIMEOUT_S = 300.0  # loads MiniLM and fits its classifier first; slow on 2 busy cores


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_teacher(progress: ProgressFn | None = None) -> Iterator[str]:
    """Start the demo teacher in its own process on 127.0.0.1; yield its base URL."""
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor.demo.teacher_server", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        if progress:
            progress("starting demo teacher on " + url, 0, 1)
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                raise AdvisorError(f"demo teacher server exited with {proc.returncode}: {err}")
            try:
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AdvisorError(f"demo teacher did not start within {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.25)
        if progress:
            progress("starting demo teacher on " + url, 1, 1)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def demo_spec(samples_path: Path, teacher_url: str) -> dict[str, object]:
    """The demo's run spec (the same shape as a user's YAML)."""
    return {
        "task": {"type": "classification"},
        "samples": {"path": str(samples_path)},
        "teacher": {
            "name": "demo-teacher",
            "backend": "openai",
            "url": teacher_url,
            "model": "demo-teacher-1",
            "price": {"catalog": "openai/gpt-4o"},
        },
        "students": [
            {"name": "minilm-distilled", "backend": "distill", "base": "minilm"},
            {"name": "tfidf-distilled", "backend": "distill", "base": "tfidf"},
        ],
        "constraints": {
            "max_gap": 0.03,
            "confidence": 0.95,
            "monthly_volume": 1_000_000,
            "horizon_months": 12,
        },
        "split": {"train_fraction": 0.4, "seed": 0},
    }


def run_demo(out_dir: str | Path, *, progress: ProgressFn | None = None) -> tuple[Report, dict[str, Path]]:
    """Run the demo end to end and write the reports into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    samples_path = out / "demo_samples.jsonl"
    with samples_path.open("w") as fh:
        for row in run_samples():
            fh.write(json.dumps(row) + "\n")
    with serve_teacher(progress) as url:
        spec = parse_spec(demo_spec(samples_path.resolve(), url))
        return run_spec(spec, out, progress=progress)
