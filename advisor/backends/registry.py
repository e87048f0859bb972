"""Backend registry.

Factories import their heavy dependencies lazily, so ``import advisor`` never loads torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import UnknownBackendError
from .base import Backend

BackendFactory = Callable[[], type[Backend]]
_REGISTRY: dict[str, BackendFactory] = {}


def backend(name: str) -> Callable[[BackendFactory], BackendFactory]:
    """Register a factory returning a :class:`Backend` class under ``name``."""

    def wrap(factory: BackendFactory) -> BackendFactory:
        _REGISTRY[name] = factory
        return factory

    return wrap


def backend_names() -> list[str]:
    """Names of every registered backend kind."""
    return sorted(_REGISTRY)


def backend_class(name: str) -> type[Backend]:
    """The backend class registered as ``name``.

    Raises:
        UnknownBackendError: naming the registered kinds.

    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise UnknownBackendError(
            f"unknown backend '{name}'; registered backends: {', '.join(backend_names())}"
        ) from None
    return factory()


def create_backend(name: str, **kwargs: Any) -> Backend:
    """Instantiate the backend registered as ``name`` with ``kwargs``."""
    return backend_class(name)(**kwargs)


@backend("recorded")
def _recorded() -> type[Backend]:
    from .recorded import RecordedBackend

    return RecordedBackend


@backend("distill")
def _distill() -> type[Backend]:
    from ..distill.classifier import DistilledClassifier

    return DistilledClassifier


@backend("openai")
def _openai() -> type[Backend]:
    from .openai_compat import OpenAIBackend

    return OpenAIBackend


@backend("anthropic")
def _anthropic() -> type[Backend]:
    from .anthropic import AnthropicBackend

    return AnthropicBackend


@backend("hf")
def _hf() -> type[Backend]:
    from .hf import HFBackend  # torch and transformers are imported only here

    return HFBackend
