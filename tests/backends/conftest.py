"""Real servers on 127.0.0.1 for the backend tests: the fault server and llm-katan."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from advisor.testing.fault_server import run_fault_server


def stats(url: str) -> dict[str, Any]:
    """What the fault server saw: requests and complete answers per message."""
    return dict(httpx.get(f"{url}/stats", timeout=5).json())


def reset(url: str) -> None:
    httpx.post(f"{url}/reset", timeout=5)


@pytest.fixture(scope="module")
def clean_server() -> Iterator[str]:
    """A fault server that injects no faults (delay 0)."""
    with run_fault_server() as url:
        yield url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def katan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llm-katan with its echo backend, OpenAI and Anthropic APIs, 30% HTTP 500s."""
    exe = shutil.which("llm-katan") or str(Path(sys.executable).parent / "llm-katan")
    if not Path(exe).exists():
        pytest.skip("llm-katan is not installed (pip install -e '.[dev]')")
    port = _free_port()
    stats_file = tmp_path_factory.mktemp("katan") / "stats.json"
    proc = subprocess.Popen(
        [
            exe,
            "-m",
            "echo-model",
            "-b",
            "echo",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--providers",
            "openai,anthropic",
            "--disable-dashboard",
            "--log-level",
            "warning",
            "--stats-file",
            str(stats_file),
            "--error-rate",
            "0.3",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("llm-katan did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
