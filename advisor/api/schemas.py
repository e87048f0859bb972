"""HTTP bodies: ``XCreate`` comes in, ``XPublic`` goes out, lists are ``XsPublic(data, count)``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..spec import Constraints, ModelSpec, SplitSpec, TaskSpec

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


def iso(ts: float | None) -> dt.datetime | None:
    """A UNIX time as an aware UTC datetime."""
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC)


class ErrorPublic(BaseModel):
    """An error: what went wrong and what to do next."""

    detail: str


class SampleIssuePublic(BaseModel):
    """One bad row of an upload."""

    row: int = Field(description="1-based row (line for JSONL, data row for CSV/Parquet); 0 for the whole file.")
    field: str = Field(description="Canonical field, dotted for nested fields (outputs.gpt-4.cost_usd).")
    message: str


class SampleErrorPublic(BaseModel):
    """An upload was refused: every bad row and field (nothing was stored)."""

    detail: str
    issues: list[SampleIssuePublic]


class ProjectCreate(BaseModel):
    """A new project (admin only)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ProjectPublic(BaseModel):
    """A project."""

    id: str
    name: str
    created_at: dt.datetime


class ProjectCreated(ProjectPublic):
    """A new project and its API key. The key is shown this once; only its hash is stored."""

    api_key: str


class DatasetPublic(BaseModel):
    """An uploaded, validated sample set."""

    id: str
    name: str
    fingerprint: str = Field(description="sha256 of the canonical rows; the same content gives the same id.")
    n_samples: int
    slices: list[str]
    models: list[str] = Field(description="Models with recorded outputs in the samples.")
    has_reference: bool
    created_at: dt.datetime


class DatasetsPublic(BaseModel):
    """A page of datasets."""

    data: list[DatasetPublic]
    count: int


class ModelConfigCreate(ModelSpec):
    """A teacher or student to reuse across runs.

    Keys are given as secret references only (``api_key_env`` or ``api_key_ref``); a key value
    is refused and never echoed.
    """


class ModelConfigPublic(BaseModel):
    """A registered model config (its secret references, never a key)."""

    id: str
    name: str
    spec: ModelSpec
    created_at: dt.datetime


class ModelConfigsPublic(BaseModel):
    """The project's model configs."""

    data: list[ModelConfigPublic]
    count: int


class ModelRef(BaseModel):
    """A registered model config, by id or name."""

    model_config = ConfigDict(extra="forbid")
    config: str = Field(min_length=1, description="Id or name of a config registered with POST /v1/models.")


class RunCreate(BaseModel):
    """A run: the same spec as ``advisor run SPEC.yaml``, with an uploaded dataset as its samples."""

    model_config = ConfigDict(extra="forbid")
    dataset_id: str = Field(min_length=1)
    task: TaskSpec = Field(default_factory=TaskSpec)
    teacher: ModelSpec | ModelRef
    students: list[ModelSpec | ModelRef] = Field(min_length=1)
    constraints: Constraints = Field(default_factory=Constraints)
    split: SplitSpec = Field(default_factory=SplitSpec)
    seed: int = 0
    n_bootstrap: int = Field(default=2000, ge=100, le=100_000)
    limit: int | None = Field(default=None, ge=1, description="Use only the first N samples.")
    max_cost_usd: float | None = Field(default=None, ge=0, description="Stop before API calls cost more.")


class ProgressPublic(BaseModel):
    """Where a run is."""

    stage: str
    done: int
    total: int


class RunPublic(BaseModel):
    """A run and its progress; ``verdict`` once it has succeeded."""

    id: str
    dataset_id: str
    status: RunStatus
    progress: ProgressPublic
    error: str | None
    verdict: dict[str, Any] | None
    cancel_requested: bool
    attempts: int = Field(description="Times a worker started it (more than 1 after a resume).")
    spec: dict[str, Any]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    reports_url: str


class RunsPublic(BaseModel):
    """A page of runs."""

    data: list[RunPublic]
    count: int


class ReportFilePublic(BaseModel):
    """One format of a run's report."""

    format: str = Field(description="json, md, html, pdf, predictions, ... (whatever the report writers made)")
    filename: str
    media_type: str
    size_bytes: int
    url: str


class ReportFilesPublic(BaseModel):
    """The formats a run's report exists in."""

    data: list[ReportFilePublic]
    count: int
