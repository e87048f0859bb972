"""Response cache, secrets and the cost cap, against a real server and a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest

from advisor.backends._http import Secret, parse_retry_after, resolve_api_key, status_fault
from advisor.backends.base import GenerateRequest, Generation, Usage
from advisor.backends.openai_compat import OpenAIBackend
from advisor.cache import ResponseCache, request_key
from advisor.costs import TokenPrice
from advisor.errors import CostCapError, SpecError
from advisor.model import CostBudget, Model
from advisor.samples import ChatMessage

from .conftest import reset, stats

KEY = "sk-test-SECRET-0123456789abcdef"


def _reqs(n: int, tag: str) -> list[GenerateRequest]:
    return [GenerateRequest(f"s{i}", f"{tag} item {i} answer{i % 2}") for i in range(n)]


def test_cache_hits_skip_the_server_and_are_not_latency(
    clean_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_OPENAI_KEY", KEY)
    reset(clean_server)
    reqs = _reqs(10, "cache") + [GenerateRequest("dup", "cache item 3 answer1")]  # same input as s3

    async def run() -> tuple[list[Generation], int]:
        with ResponseCache(tmp_path / "cache") as cache:
            backend = OpenAIBackend("t", f"{clean_server}/v1", "m", api_key_env="TEST_OPENAI_KEY")
            model = Model(backend, cache=cache)
            try:
                return await model.generate_all(reqs), model.attempts
            finally:
                await model.aclose()

    first, calls_first = asyncio.run(run())
    second, calls_second = asyncio.run(run())
    seen = stats(clean_server)
    assert calls_first == 10 and calls_second == 0  # the duplicate input was asked once
    assert set(seen["requests"].values()) == {1} and len(seen["requests"]) == 10
    assert not any(g.cached for g in first[:10])
    assert all(g.cached for g in second)
    assert [g.text for g in second] == [g.text for g in first]
    assert [g.usage for g in second] == [g.usage for g in first]
    db = (tmp_path / "cache" / "responses.sqlite").read_bytes()
    wal = tmp_path / "cache" / "responses.sqlite-wal"
    assert KEY.encode() not in db + (wal.read_bytes() if wal.exists() else b"")


def test_cache_key_is_content_addressed_and_secret_free(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K1", "key-one")
    monkeypatch.setenv("K2", "key-two")
    a = OpenAIBackend("a", "https://user:pw@api.example.com/v1?api-key=zzz", "gpt", api_key_env="K1")
    b = OpenAIBackend("b", "https://api.example.com/v1", "gpt", api_key_env="K2")
    r1 = GenerateRequest("x", "hello")
    r2 = GenerateRequest("y", "hello")  # another sample, same content
    assert a.cache_identity() == b.cache_identity()
    assert "pw" not in str(a.cache_identity()) and "zzz" not in str(a.cache_identity())
    assert request_key(a.cache_identity(), r1) == request_key(b.cache_identity(), r2)
    chat = GenerateRequest("x", (ChatMessage("user", "hello"),))
    assert request_key(a.cache_identity(), chat) != request_key(a.cache_identity(), r1)
    assert request_key(a.cache_identity(), GenerateRequest("x", "hello", max_tokens=5)) != request_key(
        a.cache_identity(), r1
    )
    assert "key-one" not in repr(a) and "pw" not in repr(a)


def test_secret_references_and_redaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text(KEY + "\n")
    assert resolve_api_key("m", None, f"file:{secret_file}").reveal() == KEY  # type: ignore[union-attr]
    monkeypatch.setenv("MY_KEY", KEY)
    s = resolve_api_key("m", None, "env:MY_KEY")
    assert s is not None and s.reveal() == KEY and KEY not in repr(s) and KEY not in str(s)
    with pytest.raises(SpecError) as e:
        resolve_api_key("m", "ABSENT_KEY_VAR", None)
    assert "ABSENT_KEY_VAR" in str(e.value)
    with pytest.raises(SpecError):
        resolve_api_key("m", None, KEY)  # a raw key is not a reference, and is not echoed
    resp = httpx.Response(401, text=f'{{"error": "bad key {KEY}"}}', request=httpx.Request("POST", "http://x"))
    fault = status_fault("m", "http://x", resp, Secret(KEY))
    assert KEY not in str(fault) and KEY not in (fault.provider_message or "")
    assert "***" in (fault.provider_message or "")


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "150", "retry-after": "9"}) == 0.15
    import datetime as dt

    now = dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after({"retry-after": "Thu, 01 Jan 2026 00:00:07 GMT"}, now) == 7.0
    assert parse_retry_after({}) is None and parse_retry_after({"retry-after": "soon"}) is None


def test_cost_cap_stops_before_overspending(clean_server: str) -> None:
    reset(clean_server)
    # Each message is 5 words (server usage: 5 prompt tokens, 1 completion token).
    price = TokenPrice(usd_per_mtok_input=1_000.0, usd_per_mtok_output=1_000.0)
    reqs = [GenerateRequest(f"s{i}", f"cap test number {i} yes", max_tokens=1) for i in range(30)]
    budget = CostBudget(max_usd=0.1)

    async def run() -> None:
        backend = OpenAIBackend("t", f"{clean_server}/v1", "m")
        model = Model(backend, budget=budget, price=price, max_concurrency=4)
        try:
            await model.generate_all(reqs)
        finally:
            await model.aclose()

    with pytest.raises(CostCapError) as e:
        asyncio.run(run())
    answered = sum(stats(clean_server)["answered"].values())
    real_spent = answered * (5 + 1) * 1_000.0 / 1e6
    assert "max_cost_usd" in str(e.value)
    assert 0 < answered < 30
    assert budget.spent_usd <= budget.max_usd + 1e-12
    assert real_spent <= budget.max_usd + 1e-12
    assert budget.reserved_usd == pytest.approx(0.0)


def test_cache_round_trips_every_field(tmp_path: Path) -> None:
    gen = Generation(
        text="Yes",
        label="Yes",
        confidence=0.75,
        probabilities={"Yes": 0.75, "No": 0.25},
        usage=Usage(12, 1, estimated=True),
        latency_ms=12.5,
        cost_usd=0.001,
        extra={"ttft_ms": 3.0},
    )
    with ResponseCache(tmp_path) as cache:
        cache.put("k", "m", gen)
        assert len(cache) == 1
        got = cache.get("k")
        assert cache.get("missing") is None
    assert got is not None and got.cached
    assert (got.text, got.label, got.confidence, got.probabilities) == ("Yes", "Yes", 0.75, {"Yes": 0.75, "No": 0.25})
    assert got.usage == Usage(12, 1, estimated=True) and got.cost_usd == 0.001 and got.extra == {"ttft_ms": 3.0}
    rows = sqlite3.connect(tmp_path / "responses.sqlite").execute("SELECT key, model FROM responses").fetchall()
    assert rows == [("k", "m")]
