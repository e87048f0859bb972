"""Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, TGI, Ollama, llama.cpp)."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import httpx

from ..errors import BackendError, SpecError
from ..model import estimate_tokens
from ..samples import SampleSet
from ..spec import ModelSpec
from ._http import HTTPFault, Secret, display_url, malformed_fault, resolve_api_key, sse_data, status_fault
from .base import Backend, GenerateRequest, Generation, Usage

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


def _messages(request: GenerateRequest) -> list[dict[str, str]]:
    if isinstance(request.input, str):
        return [{"role": "user", "content": request.input}]
    return [{"role": m.role, "content": m.content} for m in request.input]


class OpenAIBackend(Backend):
    """POSTs ``/chat/completions`` with one shared ``httpx.AsyncClient``.

    Reads text, token usage (else a labelled estimate) and log-probabilities (as confidence).
    With ``stream=True`` it reads server-sent events and records time-to-first-token in
    ``extra["ttft_ms"]``; a stream that ends without ``finish_reason`` or ``[DONE]`` is a
    truncated answer and is retried.
    """

    def __init__(
        self,
        name: str,
        url: str,
        model: str | None = None,
        *,
        api_key_env: str | None = None,
        api_key_ref: str | None = None,
        timeout_s: float = 60.0,
        logprobs: bool = True,
        stream: bool = False,
        max_tokens: int | None = None,
        max_connections: int = 100,
        headers: dict[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not url:
            raise SpecError(f"model '{name}': backend openai needs 'url' (e.g. http://127.0.0.1:8000/v1)")
        self.name = name
        self.url = url.rstrip("/")
        self.model = model or name
        self.logprobs = logprobs
        self.stream = stream
        self.max_tokens = max_tokens
        self._shown_url = display_url(self.url)
        self._endpoint = f"{self.url}/chat/completions"
        self._secret: Secret | None = resolve_api_key(name, api_key_env, api_key_ref)
        self._headers = dict(headers or {})
        if self._secret is not None:
            self._headers["Authorization"] = f"Bearer {self._secret.reveal()}"
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> OpenAIBackend:
        """Build from ``url``, ``model``, the API key settings, ``timeout_s`` and ``options``."""
        options = dict(spec.options)
        options.setdefault("timeout_s", spec.timeout_s)
        options.setdefault("max_connections", max(spec.max_concurrency, 1))
        return cls(
            spec.name,
            spec.url or "",
            spec.model,
            api_key_env=spec.api_key_env,
            api_key_ref=spec.api_key_ref,
            **options,
        )

    def __repr__(self) -> str:
        return f"OpenAIBackend(name={self.name!r}, url={self._shown_url!r}, model={self.model!r})"

    def cache_identity(self) -> dict[str, Any]:
        """What determines an answer besides the request (never the API key)."""
        return {
            "kind": "openai",
            "url": self._shown_url,
            "model": self.model,
            "logprobs": self.logprobs,
            "max_tokens": self.max_tokens,
        }

    def should_retry(self, ex: Exception) -> bool:
        """Connection faults, timeouts, malformed answers, 429 and 5xx are transient."""
        if isinstance(ex, BackendError):
            return ex.status_code in RETRYABLE_STATUS
        return isinstance(ex, httpx.TransportError)

    def _body(self, request: GenerateRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": _messages(request),
            "temperature": request.temperature,
        }
        max_tokens = request.max_tokens if request.max_tokens is not None else self.max_tokens
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if self.logprobs:
            body["logprobs"] = True
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def generate(self, request: GenerateRequest) -> Generation:
        """One chat completion."""
        body = self._body(request)
        if self.stream:
            return await self._generate_stream(request, body)
        start = time.perf_counter()
        resp = await self._client.post(self._endpoint, json=body, headers=self._headers)
        latency_ms = (time.perf_counter() - start) * 1000
        if resp.status_code >= 400:
            raise status_fault(self.name, self._shown_url, resp, self._secret)
        return self._parse_json(request, resp, latency_ms)

    def _parse_json(self, request: GenerateRequest, resp: httpx.Response, latency_ms: float) -> Generation:
        try:
            data = resp.json()
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise malformed_fault(
                self.name,
                self._shown_url,
                f"malformed response ({type(e).__name__})",
                resp.text,
                self._secret,
            ) from None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
        return Generation(
            text=text.strip(),
            confidence=_confidence_from_logprobs(choice.get("logprobs")),
            usage=self._usage(request, usage, text),
            latency_ms=latency_ms,
        )

    async def _generate_stream(self, request: GenerateRequest, body: dict[str, Any]) -> Generation:
        start = time.perf_counter()
        async with self._client.stream("POST", self._endpoint, json=body, headers=self._headers) as resp:
            if resp.status_code >= 400:
                await resp.aread()
                raise status_fault(self.name, self._shown_url, resp, self._secret)
            if "text/event-stream" not in resp.headers.get("content-type", ""):
                await resp.aread()  # the server ignored "stream": a plain answer
                return self._parse_json(request, resp, (time.perf_counter() - start) * 1000)
            parts: list[str] = []
            logprobs: list[dict[str, Any]] = []
            usage: dict[str, Any] | None = None
            ttft_ms: float | None = None
            finished = False
            async for data in sse_data(resp):
                if data == "[DONE]":
                    finished = True
                    break
                try:
                    chunk = json.loads(data)
                    choices = chunk.get("choices") or []
                except (ValueError, AttributeError) as e:
                    raise malformed_fault(
                        self.name, self._shown_url, f"malformed stream chunk ({type(e).__name__})", data, None
                    ) from None
                if isinstance(chunk.get("usage"), dict):
                    usage = chunk["usage"]
                for choice in choices[:1]:
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        if ttft_ms is None:
                            ttft_ms = (time.perf_counter() - start) * 1000
                        parts.append(content)
                    lp = choice.get("logprobs")
                    if isinstance(lp, dict) and isinstance(lp.get("content"), list):
                        logprobs.extend(lp["content"])
                    if choice.get("finish_reason"):
                        finished = True
            latency_ms = (time.perf_counter() - start) * 1000
        if not finished:
            raise HTTPFault(
                f"model '{self.name}': truncated stream from {self._shown_url} (ended without finish_reason or [DONE])",
                status_code=502,
            )
        text = "".join(parts)
        return Generation(
            text=text.strip(),
            confidence=_confidence_from_logprobs({"content": logprobs}),
            usage=self._usage(request, usage, text),
            latency_ms=latency_ms,
            extra={"ttft_ms": ttft_ms} if ttft_ms is not None else {},
        )

    def _usage(self, request: GenerateRequest, usage: dict[str, Any] | None, text: str) -> Usage:
        if usage and usage.get("prompt_tokens") is not None and usage.get("completion_tokens") is not None:
            return Usage(int(usage["prompt_tokens"]), int(usage["completion_tokens"]))
        prompt = "\n".join(m["content"] for m in _messages(request))
        return Usage(estimate_tokens(prompt), estimate_tokens(text), estimated=True)

    async def aclose(self) -> None:
        """Close the HTTP client this backend opened."""
        if self._owns_client:
            await self._client.aclose()


def _confidence_from_logprobs(logprobs: Any) -> float | None:
    """exp(mean token log-probability) of the answer, when the endpoint returned them."""
    if not isinstance(logprobs, dict):
        return None
    tokens = logprobs.get("content") or []
    values = [float(t["logprob"]) for t in tokens if isinstance(t, dict) and t.get("logprob") is not None]
    if not values:
        return None
    return float(math.exp(sum(values) / len(values)))
