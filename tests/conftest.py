"""Shared fixtures: real data beside the project (skipped when absent) and a FakeBackend."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from advisor.backends.base import Backend, GenerateRequest, Generation

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data_file(name: str, file: str = "visible.jsonl") -> Path:
    """Path of ``../shared/data/<name>/<file>``; skips the test when it is absent."""
    path = SHARED_DATA / name / file
    if not path.is_file():
        pytest.skip(f"needs {path} (the shared evaluation data beside the project); not present here")
    return path


class FakeBackend(Backend):
    """Answers from a list or a callable; records every request in ``history``."""

    def __init__(
        self,
        name: str = "fake",
        outputs: Sequence[str] | Callable[[GenerateRequest], Generation | str] = ("ok",),
    ) -> None:
        self.name = name
        self.outputs = outputs
        self.history: list[GenerateRequest] = []

    async def generate(self, request: GenerateRequest) -> Generation:
        self.history.append(request)
        if callable(self.outputs):
            out = self.outputs(request)
            return out if isinstance(out, Generation) else Generation(text=out)
        return Generation(text=self.outputs[(len(self.history) - 1) % len(self.outputs)])


@pytest.fixture
def fake_backend() -> type[FakeBackend]:
    return FakeBackend
