"""Dependencies as aliases: ``StoreDep``, ``SettingsDep``, ``JobsDep``, ``ProjectDep``."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ..config import Settings
from ..jobs import JobManager
from ..store import Project, Store

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="A project API key.")
bearer = HTTPBearer(auto_error=False, description="A project API key as a bearer token.")
admin_header = APIKeyHeader(name="X-Admin-Token", auto_error=False, description="The deployment's admin token.")


def get_store(request: Request) -> Store:
    """The store the app was started with."""
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_jobs(request: Request) -> JobManager:
    """The app's job manager."""
    jobs: JobManager = request.app.state.jobs
    return jobs


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JobsDep = Annotated[JobManager, Depends(get_jobs)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def get_project(
    store: StoreDep,
    key: Annotated[str | None, Security(api_key_header)] = None,
    auth: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> Project:
    """The project of the request's API key (``X-API-Key`` or ``Authorization: Bearer``).

    Raises:
        HTTPException: 401 when the key is missing or unknown.

    """
    token = key or (auth.credentials if auth is not None else None)
    if not token:
        raise _unauthorized("missing API key: send it as 'X-API-Key: <key>' or 'Authorization: Bearer <key>'")
    project = store.project_for_key(token)
    if project is None:
        raise _unauthorized("unknown or revoked API key; ask your admin for a key of your project")
    return project


def require_admin(settings: SettingsDep, token: Annotated[str | None, Security(admin_header)] = None) -> None:
    """Allow the request only with the deployment's admin token.

    Raises:
        HTTPException: 403 when no admin token is configured, 401 when it is missing or wrong.

    """
    if settings.admin_token is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "project creation is disabled: start the server with ADVISOR_ADMIN_TOKEN set",
        )
    expected = settings.admin_token.get_secret_value().encode()
    if not token or not hmac.compare_digest(token.encode(), expected):
        raise _unauthorized("missing or wrong admin token (header X-Admin-Token)")


ProjectDep = Annotated[Project, Depends(get_project)]
AdminDep = Annotated[None, Depends(require_admin)]
