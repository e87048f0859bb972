"""openai and anthropic backends against llm-katan (echo backend, 30% injected HTTP 500s)."""

from __future__ import annotations

import asyncio

import pytest

from advisor.backends.anthropic import AnthropicBackend
from advisor.backends.base import Backend, GenerateRequest, Generation
from advisor.backends.openai_compat import OpenAIBackend
from advisor.backends.registry import backend_class
from advisor.model import Model
from advisor.samples import ChatMessage

KEY = "katan-key-SECRET-42"


def _run(backend: Backend, reqs: list[GenerateRequest]) -> tuple[list[Generation], int]:
    model = Model(backend, backoff_s=0.01, max_retries=8, max_concurrency=4)

    async def go() -> list[Generation]:
        try:
            return await model.generate_all(reqs)
        finally:
            await model.aclose()

    return asyncio.run(go()), model.attempts


def _reqs() -> list[GenerateRequest]:
    return [GenerateRequest(f"s{i}", f"katan question number {i}") for i in range(12)]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_anthropic_messages_api(katan: str, stream: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATAN_ANTHROPIC_KEY", KEY)
    assert backend_class("anthropic") is AnthropicBackend
    backend = AnthropicBackend(
        "claude", katan, "echo-model", api_key_env="KATAN_ANTHROPIC_KEY", stream=stream, max_tokens=64
    )
    gens, attempts = _run(backend, _reqs())
    for i, g in enumerate(gens):
        assert g.text.endswith(f"User: katan question number {i}")
        assert g.usage.input_tokens is not None and g.usage.output_tokens is not None
        assert not g.usage.estimated and g.confidence is None
        assert g.latency_ms is not None and g.latency_ms > 0
        assert (g.extra.get("ttft_ms") is not None) == stream
    assert attempts >= 12  # the injected 500s were retried


def test_anthropic_system_prompt_goes_to_system_field(katan: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATAN_ANTHROPIC_KEY", KEY)
    backend = AnthropicBackend("claude", f"{katan}/v1", "echo-model", api_key_env="KATAN_ANTHROPIC_KEY")
    req = GenerateRequest("c", (ChatMessage("system", "be brief"), ChatMessage("user", "hello there")))
    body = backend._body(req)
    assert body["system"] == "be brief" and body["messages"] == [{"role": "user", "content": "hello there"}]
    gens, _ = _run(backend, [req])
    assert gens[0].text.endswith("User: hello there")


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_openai_against_katan(katan: str, stream: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KATAN_OPENAI_KEY", KEY)
    backend = OpenAIBackend("gpt", f"{katan}/v1", "echo-model", api_key_env="KATAN_OPENAI_KEY", stream=stream)
    gens, attempts = _run(backend, _reqs())
    assert [g.text.rsplit("User: ", 1)[1] for g in gens] == [f"katan question number {i}" for i in range(12)]
    assert all(g.usage.output_tokens and not g.usage.estimated for g in gens)
    assert all(g.confidence is None for g in gens)  # katan offers no log-probabilities
    assert attempts >= 12


def test_missing_key_is_a_clear_error_that_is_not_retried(katan: str) -> None:
    backend = OpenAIBackend("gpt", f"{katan}/v1", "echo-model")
    with pytest.raises(Exception) as info:
        _run(backend, _reqs()[:1])
    assert getattr(info.value, "status_code", None) == 401 and "1 attempt(s)" in str(info.value)
