"""Reports of finished runs, in every format the report writers produced."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..deps import ProjectDep, StoreDep
from ..schemas import ErrorPublic, ReportFilePublic, ReportFilesPublic

router = APIRouter(prefix="/v1/runs/{run_id}/reports", tags=["reports"])


@router.get("", responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def list_reports(run_id: str, project: ProjectDep, store: StoreDep) -> ReportFilesPublic:
    """The formats of a run's report (empty until the run has succeeded)."""
    data = [
        ReportFilePublic(
            format=f.format,
            filename=f.filename,
            media_type=f.media_type,
            size_bytes=f.size_bytes,
            url=f"/v1/runs/{run_id}/reports/{f.format}",
        )
        for f in store.report_files(project.id, run_id)
    ]
    return ReportFilesPublic(data=data, count=len(data))


@router.get(
    "/{format}",
    response_class=Response,
    responses={
        200: {
            "description": "The report file.",
            "content": {
                "application/json": {},
                "text/markdown": {},
                "text/html": {},
                "application/pdf": {},
                "application/x-ndjson": {},
            },
        },
        401: {"model": ErrorPublic},
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic, "description": "The run has not succeeded (yet)."},
    },
)
def read_report(run_id: str, format: str, project: ProjectDep, store: StoreDep) -> Response:
    """One format of the report: ``json``, ``md``, ``html``, ``pdf``, ``predictions``, ..."""
    rf = store.report_file(project.id, run_id, format)
    return Response(
        rf.content,
        media_type=rf.media_type,
        headers={"Content-Disposition": f'inline; filename="{rf.filename}"'},
    )
