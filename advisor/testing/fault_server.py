"""A small OpenAI-compatible chat-completions server that injects faults, for tests and benchmarks.

It speaks HTTP/1.1 itself (asyncio streams, keep-alive, chunked server-sent events) so that it
can fail in ways a framework hides: 429 with ``Retry-After``, 500, a hang (client timeout),
malformed JSON, a body cut short, a stream that ends without ``[DONE]``, and a TCP reset.

Faults are deterministic: the k-th request carrying a given last user message gets the fault
drawn from ``(seed, message, k)``, and only the first ``max_faults_per_input`` requests of a
message may fail, so a client that retries enough always gets every answer. ``GET /stats``
counts requests and complete answers per message, which is how a test proves that no sample
was lost or paid for twice. Run: ``python -m advisor.testing.fault_server --port 0``; it
prints ``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

FAULTS = ("429", "500", "timeout", "malformed", "truncate", "reset")


@dataclass
class FaultPlan:
    """How often each fault happens, and the shape of answers."""

    rates: Mapping[str, float] = field(default_factory=dict)
    """Probability of each fault kind (names in ``FAULTS``) per eligible request."""
    max_faults_per_input: int = 2
    retry_after_s: float = 0.1
    hang_s: float = 5.0
    delay_ms: float = 0.0
    """Added to every answer (to check latency measurements against a known delay)."""
    ttft_ms: float = 0.0
    seed: int = 0

    def fault_for(self, content: str, attempt: int) -> str | None:
        """The fault for the ``attempt``-th (0-based) request carrying ``content``, if any."""
        if attempt >= self.max_faults_per_input or not self.rates:
            return None
        digest = hashlib.sha256(f"{self.seed}\x00{attempt}\x00{content}".encode()).digest()
        r = random.Random(digest).random()
        acc = 0.0
        for kind in FAULTS:
            acc += self.rates.get(kind, 0.0)
            if r < acc:
                return kind
        return None


def parse_rates(text: str) -> dict[str, float]:
    """``"429=0.1,500=0.05"`` -> ``{"429": 0.1, "500": 0.05}``."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, value = part.partition("=")
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")
        rates[kind] = float(value)
    if sum(rates.values()) > 1.0:
        raise ValueError("fault rates add up to more than 1")
    return rates


def answer_for(content: str) -> tuple[str, float]:
    """The answer to a message (its last word) and a deterministic probability for it."""
    words = content.split()
    label = words[-1].strip(".,;:!?") if words else ""
    h = int.from_bytes(hashlib.sha256(content.encode()).digest()[:4], "big")
    return label, 0.5 + 0.5 * (h / 2**32)


class FaultServer:
    """The server state: the plan and the counters ``/stats`` reports."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.requests: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def stats(self) -> dict[str, Any]:
        """Requests and complete answers per message, and faults injected per kind."""
        return {"requests": dict(self.requests), "answered": dict(self.answered), "faults": dict(self.faults)}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection (keep-alive) until the client or a fault closes it."""
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                keep = await self._route(method, path, body, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _route(self, method: str, path: str, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if method == "GET" and path == "/health":
            return await _send_json(writer, 200, {"status": "ok"})
        if method == "GET" and path == "/stats":
            return await _send_json(writer, 200, self.stats())
        if method == "POST" and path == "/reset":
            self.requests.clear()
            self.answered.clear()
            self.faults.clear()
            return await _send_json(writer, 200, {"status": "reset"})
        if method == "POST" and path.endswith("/chat/completions"):
            return await self._chat(body, writer)
        return await _send_json(writer, 404, {"error": {"message": f"no route {method} {path}"}})

    async def _chat(self, body: bytes, writer: asyncio.StreamWriter) -> bool:
        try:
            req = json.loads(body)
            user = [m["content"] for m in req["messages"] if m.get("role") == "user"]
            content = user[-1]
        except (ValueError, KeyError, TypeError, IndexError):
            return await _send_json(writer, 400, {"error": {"message": "need messages with a user message"}})
        attempt = self.requests[content]
        self.requests[content] += 1
        fault = self.plan.fault_for(content, attempt)
        if fault is not None:
            self.faults[fault] += 1
        if fault == "429":
            return await _send_json(
                writer,
                429,
                {"error": {"message": "rate limited", "type": "rate_limit_error"}},
                {"Retry-After": f"{self.plan.retry_after_s:g}"},
            )
        if fault == "500":
            return await _send_json(writer, 500, {"error": {"message": "internal error"}})
        if fault == "timeout":
            await asyncio.sleep(self.plan.hang_s)
            return False
        if fault == "reset":
            _reset(writer)
            return False
        if self.plan.delay_ms:
            await asyncio.sleep(self.plan.delay_ms / 1000)
        label, prob = answer_for(content)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in req["messages"])
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 1, "total_tokens": prompt_tokens + 1}
        logprobs = {"content": [{"token": label, "logprob": math.log(prob)}]} if req.get("logprobs") else None
        if req.get("stream"):
            ok = await self._stream(writer, label, logprobs, usage, fault=fault)
        else:
            payload = {
                "id": "chatcmpl-fault",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": req.get("model", "fault"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": label},
                        "logprobs": logprobs,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
            if fault == "malformed":
                raw = json.dumps(payload).encode()[:40]
                return await _send(writer, 200, raw, {"Content-Type": "application/json"})
            if fault == "truncate":
                raw = json.dumps(payload).encode()
                head = _head(200, {"Content-Type": "application/json", "Content-Length": str(len(raw))})
                writer.write(head + raw[: len(raw) // 2])
                await writer.drain()
                return False
            ok = await _send_json(writer, 200, payload)
        if ok:
            self.answered[content] += 1
        return ok

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        label: str,
        logprobs: dict[str, Any] | None,
        usage: dict[str, Any],
        *,
        fault: str | None,
    ) -> bool:
        headers = {
            "Content-Type": "text/event-stream",
            "Transfer-Encoding": "chunked",
            "Cache-Control": "no-cache",
        }
        writer.write(_head(200, headers))
        await writer.drain()
        if self.plan.ttft_ms:
            await asyncio.sleep(self.plan.ttft_ms / 1000)

        def event(obj: Any) -> bytes:
            data = f"data: {json.dumps(obj) if not isinstance(obj, str) else obj}\n\n".encode()
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        def chunk(delta: dict[str, Any], finish: str | None = None, lp: Any = None) -> dict[str, Any]:
            return {
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "logprobs": lp, "finish_reason": finish}],
            }

        writer.write(event(chunk({"role": "assistant"})))
        if fault == "malformed":  # a chunk that is not JSON, then a normal end
            writer.write(event('{"object": "chat.completion.chunk", "choices": [{"delta"'))
            writer.write(event("[DONE]") + b"0\r\n\r\n")
            await writer.drain()
            return False
        half = max(1, len(label) // 2)
        writer.write(event(chunk({"content": label[:half]}, lp=logprobs)))
        if fault == "truncate":  # a clean end of the body, but the answer is cut: no finish_reason, no [DONE]
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return False
        writer.write(event(chunk({"content": label[half:]})))
        writer.write(event(chunk({}, "stop")))
        writer.write(event({"object": "chat.completion.chunk", "choices": [], "usage": usage}))
        writer.write(event("[DONE]"))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(writer: asyncio.StreamWriter, status: int, raw: bytes, headers: Mapping[str, str]) -> bool:
    writer.write(_head(status, {**headers, "Content-Length": str(len(raw))}) + raw)
    await writer.drain()
    return True


async def _send_json(
    writer: asyncio.StreamWriter, status: int, obj: Any, headers: Mapping[str, str] | None = None
) -> bool:
    return await _send(
        writer, status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def serve(plan: FaultPlan, port: int) -> None:
    """Listen on 127.0.0.1:``port`` (0 picks one) and print ``PORT <n>``."""
    server = FaultServer(plan)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=1024)
    print(f"PORT {srv.sockets[0].getsockname()[1]}", flush=True)
    async with srv:
        await srv.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--faults", default="", help="e.g. 429=0.1,500=0.1,timeout=0.05,malformed=0.05")
    p.add_argument("--max-faults-per-input", type=int, default=2)
    p.add_argument("--retry-after", type=float, default=0.1, help="seconds sent in Retry-After")
    p.add_argument("--hang-s", type=float, default=5.0, help="how long a 'timeout' fault hangs")
    p.add_argument("--delay-ms", type=float, default=0.0, help="delay added to every answer")
    p.add_argument("--ttft-ms", type=float, default=0.0, help="delay before the first streamed token")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    plan = FaultPlan(
        rates=parse_rates(a.faults),
        max_faults_per_input=a.max_faults_per_input,
        retry_after_s=a.retry_after,
        hang_s=a.hang_s,
        delay_ms=a.delay_ms,
        ttft_ms=a.ttft_ms,
        seed=a.seed,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(plan, a.port))


@contextlib.contextmanager
def run_fault_server(*args: str, startup_timeout_s: float = 30.0) -> Iterator[str]:
    """Start the server in its own process with command-line ``args``; yield its base URL."""
    err_file = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor.testing.fault_server", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=err_file,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + startup_timeout_s
        line = b""
        while not line.startswith(b"PORT ") and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                err_file.seek(0)
                err = err_file.read().decode(errors="replace")
                raise RuntimeError(f"fault server exited with {proc.returncode}: {err[-2000:]}")
        if not line.startswith(b"PORT "):
            raise RuntimeError(f"fault server did not start within {startup_timeout_s:.0f} s")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err_file.close()


if __name__ == "__main__":
    main()
