"""Distillation Advisor: keep the teacher, distill, or route, decided on your own samples."""

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    AdvisorError,
    BackendError,
    InsufficientDataError,
    MissingPriceError,
    SampleValidationError,
    SpecError,
    UnknownBackendError,
)
from .samples import Sample, SampleSet, load_samples  # noqa: E402
from .spec import RunSpec, load_spec, parse_spec  # noqa: E402

__all__ = [
    "AdvisorError",
    "BackendError",
    "InsufficientDataError",
    "MissingPriceError",
    "RunSpec",
    "Sample",
    "SampleSet",
    "SampleValidationError",
    "SpecError",
    "UnknownBackendError",
    "__version__",
    "load_samples",
    "load_spec",
    "parse_spec",
]
