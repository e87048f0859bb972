"""Domain errors. They know nothing of HTTP; the CLI and the service map them."""

from __future__ import annotations

from dataclasses import dataclass


class AdvisorError(Exception):
    """Base class for every error the advisor raises on purpose."""


class SpecError(AdvisorError, ValueError):
    """A run spec is invalid; the message names the field and what to change."""


@dataclass(frozen=True)
class SampleIssue:
    """One problem in one row of an uploaded sample file."""

    row: int
    """1-based row number (line number for JSONL, data row for CSV/Parquet)."""
    field: str
    """Canonical field name, dotted for nested fields (``outputs.gpt-4.cost_usd``)."""
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, field '{self.field}': {self.message}"


class SampleValidationError(AdvisorError, ValueError):
    """A sample file has bad rows; nothing from it was loaded."""

    def __init__(self, source: str, issues: list[SampleIssue], *, truncated: bool = False) -> None:
        self.source = source
        self.issues = issues
        self.truncated = truncated
        head = "; ".join(str(i) for i in issues[:5])
        more = len(issues) - 5
        tail = f" (and {more} more{'+' if truncated else ''})" if more > 0 else ""
        super().__init__(f"{source}: {head}{tail}. Nothing was loaded; fix the rows and retry.")


class UnknownBackendError(AdvisorError, KeyError):
    """No backend is registered under the requested name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown backend"


class BackendError(AdvisorError):
    """A backend failed to answer a request."""

    def __init__(self, msg: str, *, status_code: int | None = None, provider_message: str | None = None) -> None:
        super().__init__(msg)
        self.status_code = status_code
        self.provider_message = provider_message


class MissingPriceError(AdvisorError, LookupError):
    """A model has no price: not recorded, not in the catalogue, no override."""


class InsufficientDataError(AdvisorError, ValueError):
    """Too few samples (overall or in a slice) to compute what was asked."""


class CostCapError(AdvisorError):
    """A call would take a run past its ``max_cost_usd``; the run stopped before overspending."""
