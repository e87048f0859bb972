"""Sample uploads: multipart or a streamed body (JSON Lines, CSV, Parquet), with field mapping."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from ...errors import SampleIssue, SampleValidationError
from ...samples import detect_format, load_samples
from ...store import Dataset, Store
from ..deps import ProjectDep, SettingsDep, StoreDep
from ..schemas import DatasetPublic, DatasetsPublic, ErrorPublic, SampleErrorPublic, iso

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])
Format = Literal["jsonl", "csv", "parquet"]
CHUNK = 1 << 20
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic},
    413: {"model": ErrorPublic, "description": "The upload is larger than the server's limit."},
    422: {"model": SampleErrorPublic, "description": "Bad rows: each names its row and field."},
}
MAPPING_HELP = 'a JSON object of canonical field -> your column, e.g. {"reference": "gold", "outputs": "models"}'


def _public(ds: Dataset) -> DatasetPublic:
    return DatasetPublic(
        id=ds.id,
        name=ds.name,
        fingerprint=ds.fingerprint,
        n_samples=ds.n_samples,
        slices=list(ds.info.get("slices", [])),
        models=list(ds.info.get("models", [])),
        has_reference=bool(ds.info.get("has_reference", False)),
        created_at=iso(ds.created_at),  # type: ignore[arg-type]
    )


def _bad(name: str, field: str, message: str) -> SampleValidationError:
    return SampleValidationError(name, [SampleIssue(0, field, message)])


def parse_mapping(raw: str | None, name: str) -> dict[str, str]:
    """The ``mapping`` parameter as a dict.

    Raises:
        SampleValidationError: naming the ``mapping`` parameter.

    """
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise _bad(name, "mapping", f"not valid JSON; give {MAPPING_HELP}") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _bad(name, "mapping", f"must be {MAPPING_HELP}")
    return value


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        413,
        f"upload exceeds the server's limit of {limit} bytes; split the file or ask the admin to raise "
        "ADVISOR_MAX_UPLOAD_BYTES",
    )


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + 64 * 1024:
        raise _too_large(limit)


def _ingest(
    store: Store, project_id: str, path: Path, name: str, fmt: str | None, mapping: dict[str, str]
) -> tuple[Dataset, bool]:
    try:
        kind = fmt or detect_format(Path(name))
        samples = load_samples(path, mapping=mapping, fmt=kind)
    except SampleValidationError as e:  # name the upload, not the temp file
        raise SampleValidationError(name, e.issues, truncated=e.truncated) from None
    return store.add_dataset(project_id, name, samples)


async def _save(chunks: AsyncIterator[bytes], dest: Path, limit: int) -> None:
    size = 0
    with dest.open("wb") as fh:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            fh.write(chunk)


def _safe_name(name: str | None, default: str) -> str:
    base = Path(name or "").name.strip()
    return base[:200] or default


@router.post("", status_code=status.HTTP_201_CREATED, responses={200: {"model": DatasetPublic}, **_UPLOAD_ERRORS})
async def upload_dataset(
    request: Request,
    response: Response,
    project: ProjectDep,
    store: StoreDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The sample file: .jsonl, .csv or .parquet.")],
    mapping: Annotated[str | None, Form(description=f"Field mapping: {MAPPING_HELP}.")] = None,
    format: Annotated[Format | None, Form(description="File format; from the file name when omitted.")] = None,
    name: Annotated[str | None, Form(max_length=200, description="Dataset name (default: file name).")] = None,
) -> DatasetPublic:
    """Upload samples as multipart form data (field ``file``).

    All-or-nothing: any bad row refuses the whole file with 422, listing each row and field.
    Uploading the same content again returns the existing dataset (200).
    """
    _check_length(request, settings.max_upload_bytes)
    ds_name = _safe_name(name or file.filename, f"upload.{format or 'jsonl'}")
    maps = parse_mapping(mapping, ds_name)

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await file.read(CHUNK):
            yield chunk

    tmp = Path(tempfile.mkdtemp(prefix="advisor-upload-"))
    try:
        path = tmp / "data"
        await _save(chunks(), path, settings.max_upload_bytes)
        ds, created = await run_in_threadpool(_ingest, store, project.id, path, ds_name, format, maps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _public(ds)


@router.post(
    "/stream",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": DatasetPublic}, **_UPLOAD_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def stream_dataset(
    request: Request,
    response: Response,
    project: ProjectDep,
    store: StoreDep,
    settings: SettingsDep,
    format: Annotated[Format, Query(description="Body format.")] = "jsonl",
    mapping: Annotated[str | None, Query(description=f"Field mapping: {MAPPING_HELP}.")] = None,
    name: Annotated[str | None, Query(max_length=200, description="Dataset name.")] = None,
) -> DatasetPublic:
    """Upload samples as the raw request body, streamed to disk (``curl --data-binary @file``)."""
    _check_length(request, settings.max_upload_bytes)
    ds_name = _safe_name(name, f"upload.{format}")
    maps = parse_mapping(mapping, ds_name)
    tmp = Path(tempfile.mkdtemp(prefix="advisor-upload-"))
    try:
        path = tmp / "data"
        await _save(request.stream(), path, settings.max_upload_bytes)
        ds, created = await run_in_threadpool(_ingest, store, project.id, path, ds_name, format, maps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _public(ds)


@router.get("", responses={401: {"model": ErrorPublic}})
def list_datasets(
    project: ProjectDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DatasetsPublic:
    """The project's datasets, newest first."""
    data = [_public(d) for d in store.list_datasets(project.id, limit=limit, offset=offset)]
    return DatasetsPublic(data=data, count=len(data))


@router.get("/{dataset_id}", responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def read_dataset(dataset_id: str, project: ProjectDep, store: StoreDep) -> DatasetPublic:
    """One dataset of the project."""
    return _public(store.get_dataset(project.id, dataset_id))
