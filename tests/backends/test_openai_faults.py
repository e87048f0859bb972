"""The openai backend and Model against a real fault-injecting server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from advisor.backends.base import GenerateRequest
from advisor.backends.openai_compat import OpenAIBackend
from advisor.model import Model
from advisor.testing.fault_server import FAULTS, answer_for, run_fault_server

from .conftest import stats


def _model(url: str, **kw: object) -> Model:
    stream = bool(kw.pop("stream", False))
    timeout_s = float(kw.pop("timeout_s", 5.0))  # type: ignore[arg-type]
    backend = OpenAIBackend("teacher", f"{url}/v1", "fault", stream=stream, timeout_s=timeout_s)
    return Model(backend, backoff_s=0.01, timeout_s=timeout_s, **kw)  # type: ignore[arg-type]


def _requests(n: int, prefix: str = "sample") -> list[GenerateRequest]:
    return [GenerateRequest(f"s{i:03d}", f"{prefix} {i} says label{i % 3}") for i in range(n)]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_survived_and_answered_once(fault: str, stream: bool) -> None:
    args = ["--faults", f"{fault}=1.0", "--max-faults-per-input", "1", "--hang-s", "3", "--retry-after", "0.3"]
    with run_fault_server(*args) as url:
        model = _model(url, stream=stream, timeout_s=1.0)

        async def go() -> tuple[list[object], float]:
            start = time.perf_counter()
            try:
                gens = await model.generate_all(_requests(4, prefix=f"{fault}-{stream}"))
            finally:
                await model.aclose()
            return gens, time.perf_counter() - start

        gens, elapsed = asyncio.run(go())
        seen = stats(url)
    assert [g.text for g in gens] == ["label0", "label1", "label2", "label0"]  # type: ignore[attr-defined]
    # every message: one faulty request, one retry, exactly one complete (billable) answer
    assert sorted(seen["requests"].values()) == [2, 2, 2, 2]
    assert sorted(seen["answered"].values()) == [1, 1, 1, 1]
    assert seen["faults"] == {fault: 4}
    assert model.attempts == 8
    if fault == "429":  # Retry-After: 0.3 is honoured before the retry
        assert elapsed >= 0.3


def test_mixed_faults_at_concurrency_lose_nothing() -> None:
    faults = "429=0.1,500=0.1,timeout=0.05,malformed=0.1,truncate=0.1,reset=0.1"
    with run_fault_server("--faults", faults, "--hang-s", "3", "--retry-after", "0.05") as url:
        model = _model(url, timeout_s=1.0, max_concurrency=16, max_retries=4)
        reqs = _requests(120)

        async def go() -> list[object]:
            try:
                return list(await model.generate_all(reqs))
            finally:
                await model.aclose()

        gens = asyncio.run(go())
        seen = stats(url)
    assert len(gens) == 120
    assert [g.text for g in gens] == [answer_for(str(r.input))[0] for r in reqs]  # type: ignore[attr-defined]
    assert set(seen["answered"]) == {r.input for r in reqs}
    assert set(seen["answered"].values()) == {1}
    assert sum(seen["faults"].values()) > 20  # the faults really happened
    assert sum(seen["requests"].values()) == 120 + sum(seen["faults"].values())


def test_streaming_measures_time_to_first_token() -> None:
    with run_fault_server("--ttft-ms", "80", "--delay-ms", "20") as url:
        model = _model(url, stream=True)

        async def go() -> object:
            try:
                return await model.generate(GenerateRequest("a", "stream me yes"))
            finally:
                await model.aclose()

        gen = asyncio.run(go())
    assert gen.text == "yes"  # type: ignore[attr-defined]
    ttft = gen.extra["ttft_ms"]  # type: ignore[attr-defined]
    assert ttft >= 80
    assert gen.latency_ms >= ttft  # type: ignore[attr-defined]
    assert gen.usage.input_tokens == 3 and not gen.usage.estimated  # type: ignore[attr-defined]
    assert 0.5 <= gen.confidence <= 1.0  # type: ignore[attr-defined]


def test_exhausted_retries_name_the_sample_and_status() -> None:
    with run_fault_server("--faults", "500=1.0", "--max-faults-per-input", "10") as url:
        model = _model(url, max_retries=2)

        async def go() -> None:
            try:
                await model.generate(GenerateRequest("s-42", "always failing x"))
            finally:
                await model.aclose()

        with pytest.raises(Exception) as info:
            asyncio.run(go())
        seen = stats(url)
    assert "s-42" in str(info.value) and "3 attempt(s)" in str(info.value)
    assert getattr(info.value, "status_code", None) == 500
    assert seen["requests"] == {"always failing x": 3}
