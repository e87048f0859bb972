"""Content-addressed response cache on disk (SQLite): a re-run never pays for the same call twice.

The key is a SHA-256 over what determines the answer: the backend's identity (kind, endpoint,
model id, options that change the output) and the request's content. It never includes the
sample id (two samples with the same input share one answer) nor any credential.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from .backends.base import GenerateRequest, Generation, Usage
from .errors import AdvisorError

CACHE_FILE = "responses.sqlite"
_KEY_VERSION = 1


@runtime_checkable
class Cacheable(Protocol):
    """A backend whose answers may be cached: it names what determines them."""

    def cache_identity(self) -> Mapping[str, Any]:
        """JSON-safe facts that, with the request, determine the answer. No secrets."""
        ...


def request_key(identity: Mapping[str, Any], request: GenerateRequest) -> str:
    """The cache key of ``request`` sent to the backend described by ``identity``."""
    content: Any = request.input if isinstance(request.input, str) else [[m.role, m.content] for m in request.input]
    payload = {
        "v": _KEY_VERSION,
        "backend": dict(identity),
        "input": content,
        "labels": list(request.labels) if request.labels is not None else None,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _to_json(gen: Generation) -> str:
    return json.dumps(
        {
            "text": gen.text,
            "label": gen.label,
            "confidence": gen.confidence,
            "probabilities": dict(gen.probabilities) if gen.probabilities is not None else None,
            "usage": [gen.usage.input_tokens, gen.usage.output_tokens, gen.usage.estimated],
            "latency_ms": gen.latency_ms,
            "cost_usd": gen.cost_usd,
            "extra": dict(gen.extra),
        },
        ensure_ascii=False,
        default=str,
    )


def _from_json(text: str) -> Generation:
    d = json.loads(text)
    tin, tout, estimated = d["usage"]
    return Generation(
        text=d["text"],
        label=d["label"],
        confidence=d["confidence"],
        probabilities=d["probabilities"],
        usage=Usage(tin, tout, bool(estimated)),
        latency_ms=d["latency_ms"],
        cost_usd=d["cost_usd"],
        cached=True,
        extra=d["extra"],
    )


class ResponseCache:
    """Answers stored by content key in ``<folder>/responses.sqlite``.

    Every :meth:`put` is committed at once (WAL journal), so a run stopped half-way resumes
    without paying again for what it already got. Hits come back with ``cached=True``; their
    ``latency_ms`` is the one measured when the call was made and must not be counted again.
    """

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / CACHE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses ("
                "key TEXT PRIMARY KEY, model TEXT NOT NULL, generation TEXT NOT NULL, created REAL NOT NULL)"
            )
        except (OSError, sqlite3.Error) as e:
            raise AdvisorError(
                f"cannot open the response cache at {self.path}: {e}; set cache_dir to a writable folder"
            ) from None
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Generation | None:
        """The stored answer for ``key`` (marked cached), or None."""
        row = self._db.execute("SELECT generation FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return _from_json(row[0])

    def put(self, key: str, model: str, gen: Generation) -> None:
        """Store ``gen`` under ``key`` (committed before returning)."""
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, model, generation, created) VALUES (?, ?, ?, ?)",
            (key, model, _to_json(gen), time.time()),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
