"""The one backend interface: ``async generate(request) -> Generation``."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..samples import ChatMessage, SampleSet

if TYPE_CHECKING:
    from ..spec import ModelSpec


@dataclass(frozen=True)
class GenerateRequest:
    """One call to a model."""

    sample_id: str
    input: str | tuple[ChatMessage, ...]
    labels: tuple[str, ...] | None = None
    """For classification: the allowed labels (backends that classify return one)."""
    max_tokens: int | None = None
    temperature: float = 0.0

    @property
    def text(self) -> str:
        """The input as one string: chat messages' contents joined by newlines."""
        return self.input if isinstance(self.input, str) else "\n".join(m.content for m in self.input)


@dataclass(frozen=True)
class Usage:
    """Tokens a call consumed."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    estimated: bool = False
    """True when counted by a tokenizer here rather than reported by the provider."""


@dataclass(frozen=True)
class Generation:
    """What a backend answered."""

    text: str
    label: str | None = None
    """The class label, when the backend classifies (else parsed from ``text`` by the scorer)."""
    confidence: float | None = None
    """Confidence in ``label``/``text`` in [0, 1], when the backend gives one."""
    probabilities: Mapping[str, float] | None = None
    usage: Usage = field(default_factory=Usage)
    latency_ms: float | None = None
    """Wall time of this call as the backend measured it; None when unknown."""
    cost_usd: float | None = None
    """Cost of this call when the backend knows it (recorded logs); else computed from prices."""
    cached: bool = False
    """True when served from a cache: never counted as a latency measurement."""
    extra: Mapping[str, Any] = field(default_factory=dict)


class Backend(abc.ABC):
    """A model the advisor can call. Implement :meth:`generate`; the rest is optional."""

    name: str
    local: bool = False
    """True for models run in this process (their latency is measured on this machine)."""
    recorded: bool = False
    """True when answers are replayed from logs (their latencies are recorded, not measured)."""

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> Backend:
        """Build from a run spec entry; the default passes ``name`` and ``options``."""
        return cls(name=spec.name, **spec.options)  # type: ignore[call-arg]

    @abc.abstractmethod
    async def generate(self, request: GenerateRequest) -> Generation:
        """Answer one request."""

    async def generate_batch(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """Answer several requests; local backends override this to batch."""
        return [await self.generate(r) for r in requests]

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections, threads or models."""

    def should_retry(self, ex: Exception) -> bool:
        """Whether ``ex`` is transient and the call may be retried."""
        return False


@runtime_checkable
class Trainable(Protocol):
    """A student trained by the advisor from the teacher's outputs before it is evaluated."""

    async def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        probabilities: Sequence[Mapping[str, float] | None] | None = None,
        teacher: str | None = None,
    ) -> Mapping[str, Any]:
        """Train on ``texts`` labelled by the teacher; return training facts for the report.

        ``probabilities`` (optional, one per text) are the teacher's class probabilities, for
        students that learn from soft labels; ``teacher`` names the teacher for model cards.
        """
        ...
