"""Anthropic's Messages API (``POST /v1/messages``), over httpx."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from ..errors import BackendError
from ..model import estimate_tokens
from ..samples import SampleSet
from ..spec import ModelSpec
from ._http import HTTPFault, Secret, display_url, malformed_fault, resolve_api_key, sse_data, status_fault
from .base import Backend, GenerateRequest, Generation, Usage

DEFAULT_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""529 is Anthropic's "overloaded"."""


class AnthropicBackend(Backend):
    """Sends chat messages to ``{url}/v1/messages``; system messages go in the ``system`` field.

    The Messages API gives no log-probabilities, so answers carry no confidence. With
    ``stream=True`` it reads the event stream and records ``extra["ttft_ms"]``; a stream that
    ends before ``message_stop`` is a truncated answer and is retried.
    """

    def __init__(
        self,
        name: str,
        url: str | None = None,
        model: str | None = None,
        *,
        api_key_env: str | None = "ANTHROPIC_API_KEY",
        api_key_ref: str | None = None,
        timeout_s: float = 60.0,
        stream: bool = False,
        max_tokens: int = 1024,
        max_connections: int = 100,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = name
        self.url = (url or DEFAULT_URL).rstrip("/").removesuffix("/v1")
        self.model = model or name
        self.stream = stream
        self.max_tokens = max_tokens
        self._shown_url = display_url(self.url)
        self._endpoint = f"{self.url}/v1/messages"
        self._secret: Secret | None = resolve_api_key(name, api_key_env, api_key_ref)
        self._headers = {"anthropic-version": API_VERSION}
        if self._secret is not None:
            self._headers["x-api-key"] = self._secret.reveal()
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> AnthropicBackend:
        """Build from ``url`` (default api.anthropic.com), ``model``, the API key settings and ``options``."""
        options = dict(spec.options)
        options.setdefault("timeout_s", spec.timeout_s)
        options.setdefault("max_connections", max(spec.max_concurrency, 1))
        key_env = spec.api_key_env or (None if spec.api_key_ref else "ANTHROPIC_API_KEY")
        return cls(spec.name, spec.url, spec.model, api_key_env=key_env, api_key_ref=spec.api_key_ref, **options)

    def __repr__(self) -> str:
        return f"AnthropicBackend(name={self.name!r}, url={self._shown_url!r}, model={self.model!r})"

    def cache_identity(self) -> dict[str, Any]:
        """What determines an answer besides the request (never the API key)."""
        return {
            "kind": "anthropic",
            "url": self._shown_url,
            "model": self.model,
            "max_tokens": self.max_tokens,
        }

    def should_retry(self, ex: Exception) -> bool:
        """Connection faults, timeouts, malformed answers, 429, 5xx and 529 are transient."""
        if isinstance(ex, BackendError):
            return ex.status_code in RETRYABLE_STATUS
        return isinstance(ex, httpx.TransportError)

    def _body(self, request: GenerateRequest) -> dict[str, Any]:
        if isinstance(request.input, str):
            system: list[str] = []
            messages = [{"role": "user", "content": request.input}]
        else:
            system = [m.content for m in request.input if m.role == "system"]
            messages = [{"role": m.role, "content": m.content} for m in request.input if m.role != "system"]
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens if request.max_tokens is not None else self.max_tokens,
            "messages": messages,
            "temperature": request.temperature,
        }
        if system:
            body["system"] = "\n\n".join(system)
        if self.stream:
            body["stream"] = True
        return body

    async def generate(self, request: GenerateRequest) -> Generation:
        """One message."""
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
            blocks = data["content"]
            text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise malformed_fault(
                self.name,
                self._shown_url,
                f"malformed response ({type(e).__name__})",
                resp.text,
                self._secret,
            ) from None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return Generation(
            text=text.strip(),
            usage=self._usage(request, usage.get("input_tokens"), usage.get("output_tokens"), text),
            latency_ms=latency_ms,
            extra={"stop_reason": data.get("stop_reason")},
        )

    async def _generate_stream(self, request: GenerateRequest, body: dict[str, Any]) -> Generation:
        start = time.perf_counter()
        async with self._client.stream("POST", self._endpoint, json=body, headers=self._headers) as resp:
            if resp.status_code >= 400:
                await resp.aread()
                raise status_fault(self.name, self._shown_url, resp, self._secret)
            if "text/event-stream" not in resp.headers.get("content-type", ""):
                await resp.aread()
                return self._parse_json(request, resp, (time.perf_counter() - start) * 1000)
            parts: list[str] = []
            tin: int | None = None
            tout: int | None = None
            stop_reason = None
            ttft_ms: float | None = None
            finished = False
            async for data in sse_data(resp):
                try:
                    event = json.loads(data)
                    kind = event["type"]
                except (ValueError, KeyError, TypeError) as e:
                    raise malformed_fault(
                        self.name, self._shown_url, f"malformed stream event ({type(e).__name__})", data, None
                    ) from None
                if kind == "message_start":
                    tin = (event.get("message", {}).get("usage") or {}).get("input_tokens")
                elif kind == "content_block_delta":
                    piece = (event.get("delta") or {}).get("text")
                    if piece:
                        if ttft_ms is None:
                            ttft_ms = (time.perf_counter() - start) * 1000
                        parts.append(piece)
                elif kind == "message_delta":
                    tout = (event.get("usage") or {}).get("output_tokens", tout)
                    stop_reason = (event.get("delta") or {}).get("stop_reason", stop_reason)
                elif kind == "message_stop":
                    finished = True
                    break
                elif kind == "error":
                    err = event.get("error") or {}
                    status = 529 if err.get("type") == "overloaded_error" else 500
                    raise HTTPFault(
                        f"model '{self.name}': error event in stream from {self._shown_url}",
                        status_code=status,
                        provider_message=str(err.get("message", ""))[:500],
                    )
            latency_ms = (time.perf_counter() - start) * 1000
        if not finished:
            raise HTTPFault(
                f"model '{self.name}': truncated stream from {self._shown_url} (ended before message_stop)",
                status_code=502,
            )
        text = "".join(parts)
        extra: dict[str, Any] = {"stop_reason": stop_reason}
        if ttft_ms is not None:
            extra["ttft_ms"] = ttft_ms
        return Generation(
            text=text.strip(), usage=self._usage(request, tin, tout, text), latency_ms=latency_ms, extra=extra
        )

    def _usage(self, request: GenerateRequest, tin: Any, tout: Any, text: str) -> Usage:
        if tin is not None and tout is not None:
            return Usage(int(tin), int(tout))
        prompt = request.text
        return Usage(estimate_tokens(prompt), estimate_tokens(text), estimated=True)

    async def aclose(self) -> None:
        """Close the HTTP client this backend opened."""
        if self._owns_client:
            await self._client.aclose()
