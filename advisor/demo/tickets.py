"""The bundled demo task, split into the teacher's private pool and the run's samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO_FILE = Path(__file__).resolve().parent / "data" / "support_tickets.jsonl"


def _rows() -> list[dict[str, Any]]:
    with DEMO_FILE.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _in_pool(row: dict[str, Any]) -> bool:
    return int(str(row["id"]).rsplit("-", 1)[1]) % 3 == 0


def teacher_pool() -> list[dict[str, Any]]:
    """A third of the tickets: the demo teacher's gold-labelled training data."""
    return [r for r in _rows() if _in_pool(r)]


def run_samples() -> list[dict[str, Any]]:
    """The other two thirds: what the advisor run sees (never seen by the teacher)."""
    return [r for r in _rows() if not _in_pool(r)]
