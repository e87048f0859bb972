"""A whole run whose teacher is a live endpoint injecting faults: every sample answered exactly once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from advisor.errors import CostCapError
from advisor.pipeline import run_pipeline
from advisor.spec import parse_spec
from advisor.testing.fault_server import run_fault_server

from .conftest import reset, stats

LABELS = ["alpha", "beta", "gamma"]
N = 60


def _samples(path: Path) -> dict[str, str]:
    """Samples whose teacher answer is the input's last word; returns input -> sample id."""
    by_input = {}
    with path.open("w") as fh:
        for i in range(N):
            gold = LABELS[i % 3]
            said = gold if i % 10 else LABELS[(i + 1) % 3]  # the teacher is wrong on every 10th
            text = f"ticket {i}: please route this to {said}"
            student = gold if i % 7 else LABELS[(i + 2) % 3]
            row = {
                "id": f"t{i:03d}",
                "input": text,
                "reference": gold,
                "outputs": {"small": {"output": student, "latency_ms": 3.0, "cost_usd": 1e-5, "confidence": 0.9}},
            }
            fh.write(json.dumps(row) + "\n")
            by_input[text] = f"t{i:03d}"
    return by_input


def _spec(samples: Path, url: str, cache: Path, **extra: object) -> dict[str, object]:
    return {
        "task": {"type": "classification", "labels": LABELS},
        "samples": {"path": str(samples)},
        "teacher": {
            "name": "teacher",
            "backend": "openai",
            "url": f"{url}/v1",
            "model": "fault-teacher",
            "price": {"usd_per_mtok_input": 2.5, "usd_per_mtok_output": 10.0},
            "timeout_s": 1.0,
            "max_concurrency": 12,
            "max_retries": 4,
            "options": {"stream": True},
        },
        "students": [{"name": "small", "backend": "recorded"}],
        "n_bootstrap": 200,
        "cache_dir": str(cache),
        **extra,
    }


@pytest.mark.slow
def test_run_with_injected_faults_answers_every_sample_once(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    by_input = _samples(samples)
    faults = "429=0.1,500=0.1,timeout=0.05,malformed=0.1,truncate=0.1,reset=0.1"
    with run_fault_server("--faults", faults, "--hang-s", "3", "--retry-after", "0.05", "--seed", "3") as url:
        spec = parse_spec(_spec(samples, url, tmp_path / "cache"))
        report = asyncio.run(run_pipeline(spec))
        first = stats(url)
        again = asyncio.run(run_pipeline(spec))  # a re-run: everything comes from the cache
        second = stats(url)

    answered = {by_input[text]: n for text, n in first["answered"].items()}
    assert sorted(answered) == sorted(by_input.values())  # no sample lost
    assert set(answered.values()) == {1}  # none paid for twice
    assert sum(first["faults"].values()) >= 15
    assert second == first  # the re-run made no request at all
    t = report.models["teacher"]
    assert t.latency_ms is not None and t.latency_ms.n == N  # every fresh call measured once
    assert again.models["teacher"].latency_ms is None  # cache hits are not latency measurements
    assert again.models["teacher"].quality == t.quality == pytest.approx(0.9)
    assert t.cost_per_call_usd is not None and t.cost_per_call_usd > 0


def test_cost_cap_stops_a_run_and_the_cache_resumes_it(tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    by_input = _samples(samples)
    with run_fault_server() as url:
        # ~9 prompt words + 1 output token per call at $10k/Mtok -> about $0.1 a call
        spec = _spec(samples, url, tmp_path / "cache", max_cost_usd=2.0)
        teacher = spec["teacher"]
        assert isinstance(teacher, dict)
        teacher["price"] = {"usd_per_mtok_input": 10_000.0, "usd_per_mtok_output": 10_000.0}
        teacher["options"] = {"max_tokens": 1}  # bounds each call's cost before it is made
        with pytest.raises(CostCapError):
            asyncio.run(run_pipeline(parse_spec(spec)))
        partial = stats(url)["answered"]
        assert 0 < len(partial) < N
        reset(url)
        spec["max_cost_usd"] = 100.0
        report = asyncio.run(run_pipeline(parse_spec(spec)))
        rest = stats(url)["answered"]
    assert not set(partial) & set(rest)  # the resumed run paid only for what was missing
    assert set(partial) | set(rest) == set(by_input)
    assert report.models["teacher"].latency_ms is not None
    assert report.models["teacher"].latency_ms.n == len(rest)
