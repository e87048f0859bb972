"""Model backends behind one interface."""

from .base import Backend, GenerateRequest, Generation, Trainable, Usage
from .registry import backend, backend_class, backend_names, create_backend

__all__ = [
    "Backend",
    "GenerateRequest",
    "Generation",
    "Trainable",
    "Usage",
    "backend",
    "backend_class",
    "backend_names",
    "create_backend",
]
