"""Projects and their API keys."""

from __future__ import annotations

from fastapi import APIRouter, status

from ..deps import AdminDep, ProjectDep, StoreDep
from ..schemas import ErrorPublic, ProjectCreate, ProjectCreated, ProjectPublic, iso

router = APIRouter(prefix="/v1/projects", tags=["projects"])


def _public(project_id: str, name: str, created_at: float) -> ProjectPublic:
    return ProjectPublic(id=project_id, name=name, created_at=iso(created_at))  # type: ignore[arg-type]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 409: {"model": ErrorPublic}},
)
def create_project(body: ProjectCreate, store: StoreDep, _admin: AdminDep) -> ProjectCreated:
    """Create a project and its first API key (admin token required). The key is shown only here."""
    project, key = store.create_project(body.name)
    return ProjectCreated(**_public(project.id, project.name, project.created_at).model_dump(), api_key=key)


@router.get("/me", responses={401: {"model": ErrorPublic}})
def read_my_project(project: ProjectDep) -> ProjectPublic:
    """The project the API key belongs to."""
    return _public(project.id, project.name, project.created_at)


@router.post("/me/keys", status_code=status.HTTP_201_CREATED, responses={401: {"model": ErrorPublic}})
def create_key(project: ProjectDep, store: StoreDep) -> ProjectCreated:
    """Another API key for this project (shown only here)."""
    key = store.create_key(project.id)
    return ProjectCreated(**_public(project.id, project.name, project.created_at).model_dump(), api_key=key)
