"""Answers replayed from the outputs recorded in the samples (the user's own logs)."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import BackendError
from ..samples import ModelOutput, SampleSet
from ..spec import ModelSpec
from .base import Backend, GenerateRequest, Generation, Usage


class RecordedBackend(Backend):
    """Replays ``outputs[<name>]`` from the samples: text, latency, tokens, cost, confidence."""

    recorded = True

    def __init__(self, name: str, samples: SampleSet, source_name: str | None = None) -> None:
        self.name = name
        key = source_name or name
        self._outputs: Mapping[str, ModelOutput] = {s.id: s.outputs[key] for s in samples if key in s.outputs}
        if not self._outputs:
            known = ", ".join(samples.models) or "none"
            raise BackendError(
                f"no recorded outputs for model '{key}' in {samples.source}; models with recorded outputs: {known}"
            )

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> RecordedBackend:
        """Replay outputs recorded under ``spec.model`` (or ``spec.name``)."""
        return cls(spec.name, samples, source_name=spec.model)

    async def generate(self, request: GenerateRequest) -> Generation:
        """Return the recorded answer for ``request.sample_id``."""
        out = self._outputs.get(request.sample_id)
        if out is None:
            raise BackendError(f"model '{self.name}' has no recorded output for sample '{request.sample_id}'")
        text = "" if out.output is None else str(out.output)
        return Generation(
            text=text,
            confidence=out.confidence,
            usage=Usage(out.input_tokens, out.output_tokens),
            latency_ms=out.latency_ms,
            cost_usd=out.cost_usd,
            extra=dict(out.extra),
        )
