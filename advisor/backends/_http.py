"""What the HTTP backends share: secrets, HTTP faults with Retry-After, server-sent events."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..errors import BackendError, SpecError

PROVIDER_MESSAGE_CHARS = 500


class Secret:
    """A credential that never shows itself in ``repr``, ``str``, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value, for the one header that needs it."""
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the secret replaced by ``***``."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def resolve_api_key(model: str, api_key_env: str | None, api_key_ref: str | None) -> Secret | None:
    """The API key named by an environment variable or a secret reference.

    A reference is ``env:NAME`` (an environment variable) or ``file:PATH`` (a file holding only
    the key, as Docker and Kubernetes mount secrets).

    Raises:
        SpecError: naming what to set; the key itself is never in the message.

    """
    if api_key_ref:
        kind, _, where = api_key_ref.partition(":")
        if kind == "env" and where:
            api_key_env = where
        elif kind == "file" and where:
            try:
                value = Path(where).read_text().strip()
            except OSError as e:
                raise SpecError(
                    f"model '{model}': cannot read the secret file named by api_key_ref ({e.strerror}); "
                    "check the path and its permissions"
                ) from None
            if not value:
                raise SpecError(f"model '{model}': the secret file named by api_key_ref is empty")
            return Secret(value)
        else:
            raise SpecError(
                f"model '{model}': api_key_ref must be 'env:NAME' or 'file:PATH', got a value of another form"
            )
    if not api_key_env:
        return None
    value = os.environ.get(api_key_env, "")
    if not value:
        raise SpecError(f"model '{model}': environment variable {api_key_env} is not set; export the API key there")
    return Secret(value)


def display_url(url: str) -> str:
    """``url`` without user info, query or fragment: safe for messages and cache keys."""
    parts = urlsplit(url.rstrip("/"))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def parse_retry_after(headers: Mapping[str, str], now: dt.datetime | None = None) -> float | None:
    """Seconds a server asks the client to wait: ``retry-after-ms``, else ``Retry-After``.

    ``Retry-After`` may be seconds (fractions accepted) or an HTTP date.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class HTTPFault(BackendError):
    """A failed HTTP call, with what :class:`~advisor.model.Model` needs to retry it well."""

    def __init__(
        self,
        msg: str,
        *,
        status_code: int | None = None,
        provider_message: str | None = None,
        retry_after_s: float | None = None,
        not_billed: bool = False,
    ) -> None:
        super().__init__(msg, status_code=status_code, provider_message=provider_message)
        self.retry_after_s = retry_after_s
        """Seconds the server asked to wait before retrying (``Retry-After``), if it did."""
        self.not_billed = not_billed
        """True when the server refused the call, so it cost nothing (an HTTP error status)."""


def status_fault(model: str, url: str, resp: httpx.Response, secret: Secret | None) -> HTTPFault:
    """The fault for an HTTP error status; the provider's message is cut short and redacted."""
    text = resp.text[:PROVIDER_MESSAGE_CHARS]
    if secret is not None:
        text = secret.redact(text)
    return HTTPFault(
        f"model '{model}': HTTP {resp.status_code} from {url}",
        status_code=resp.status_code,
        provider_message=text,
        retry_after_s=parse_retry_after(resp.headers),
        not_billed=True,
    )


def malformed_fault(model: str, url: str, what: str, body: str, secret: Secret | None) -> HTTPFault:
    """The fault for a response that is not what the API promises (treated as a 502, retried)."""
    text = body[:PROVIDER_MESSAGE_CHARS]
    if secret is not None:
        text = secret.redact(text)
    return HTTPFault(f"model '{model}': {what} from {url}", status_code=502, provider_message=text)


async def sse_data(resp: httpx.Response) -> AsyncIterator[str]:
    """The ``data:`` payloads of a server-sent event stream, in order."""
    async for line in resp.aiter_lines():
        if line.startswith("data:"):
            yield line[5:].strip()
