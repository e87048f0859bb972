"""Runs: start one (the same spec as ``advisor run``), follow its progress, cancel it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from ...errors import SpecError
from ...spec import ModelSpec, parse_spec
from ...store import Run
from ..deps import JobsDep, ProjectDep, SettingsDep, StoreDep
from ..schemas import ErrorPublic, ModelRef, ProgressPublic, RunCreate, RunPublic, RunsPublic, iso
from .models import check_model_spec

router = APIRouter(prefix="/v1/runs", tags=["runs"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}}


def run_public(run: Run) -> RunPublic:
    """The public view of a stored run."""
    return RunPublic(
        id=run.id,
        dataset_id=run.dataset_id,
        status=run.status,  # type: ignore[arg-type]
        progress=ProgressPublic(stage=run.stage, done=run.done, total=run.total),
        error=run.error,
        verdict=run.verdict,
        cancel_requested=run.cancel_requested,
        attempts=run.attempts,
        spec=run.spec,
        created_at=iso(run.created_at),  # type: ignore[arg-type]
        started_at=iso(run.started_at),
        finished_at=iso(run.finished_at),
        reports_url=f"/v1/runs/{run.id}/reports",
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 422: {"model": ErrorPublic}},
)
def start_run(body: RunCreate, project: ProjectDep, store: StoreDep, settings: SettingsDep, jobs: JobsDep) -> RunPublic:
    """Queue a run on an uploaded dataset; poll ``GET /v1/runs/{id}`` for progress."""
    dataset = store.get_dataset(project.id, body.dataset_id)
    models: list[ModelSpec] = []
    recorded = list(dataset.info.get("models", []))
    for entry in [body.teacher, *body.students]:
        if isinstance(entry, ModelRef):
            spec = ModelSpec.model_validate(store.get_model_config(project.id, entry.config).spec)
        else:
            spec = entry
        check_model_spec(spec, settings)
        if spec.backend == "recorded" and (spec.model or spec.name) not in recorded:
            raise SpecError(
                f"model '{spec.name}' is 'recorded' but dataset '{dataset.name}' has no outputs for "
                f"'{spec.model or spec.name}'; recorded models: {', '.join(recorded) or 'none'}"
            )
        models.append(spec)
    spec_dict = {
        "task": body.task.model_dump(mode="json"),
        "samples": {"path": f"dataset:{dataset.id}", "limit": body.limit},
        "teacher": models[0].model_dump(mode="json"),
        "students": [m.model_dump(mode="json") for m in models[1:]],
        "constraints": body.constraints.model_dump(mode="json"),
        "split": body.split.model_dump(mode="json"),
        "seed": body.seed,
        "n_bootstrap": body.n_bootstrap,
        "max_cost_usd": body.max_cost_usd,
    }
    parse_spec(spec_dict)  # the same validation as `advisor run`
    run = store.create_run(project.id, dataset.id, spec_dict, jobs.worker_id)
    jobs.submit(run.id)
    return run_public(run)


@router.get("", responses={401: {"model": ErrorPublic}})
def list_runs(
    project: ProjectDep,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RunsPublic:
    """The project's runs, newest first."""
    data = [run_public(r) for r in store.list_runs(project.id, limit=limit, offset=offset)]
    return RunsPublic(data=data, count=len(data))


@router.get("/{run_id}", responses=_ERRORS)
def read_run(run_id: str, project: ProjectDep, store: StoreDep) -> RunPublic:
    """A run's status and progress (``progress.stage``, ``done`` of ``total``)."""
    return run_public(store.get_run(project.id, run_id))


@router.post(
    "/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_ERRORS, 409: {"model": ErrorPublic}},
)
def cancel_run(run_id: str, project: ProjectDep, store: StoreDep) -> RunPublic:
    """Ask a run to stop; it ends as ``cancelled`` at its next progress step."""
    return run_public(store.request_cancel(project.id, run_id))
