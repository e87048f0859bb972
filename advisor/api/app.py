"""The FastAPI app: ``create_app(settings)``. The lifespan owns the store, executor and sweeper."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .. import __version__
from ..config import Settings
from ..errors import (
    AdvisorError,
    InsufficientDataError,
    MissingPriceError,
    SampleValidationError,
    SpecError,
    UnknownBackendError,
)
from ..jobs import Executor, JobManager
from ..store import ConflictError, NotFoundError, Store
from .routes import datasets, models, projects, reports, runs

log = logging.getLogger(__name__)
ExecutorFactory = Callable[[Store, Settings], Executor]

STATUS_OF: tuple[tuple[type[AdvisorError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (SampleValidationError, 422),
    (SpecError, 422),
    (UnknownBackendError, 422),
    (MissingPriceError, 422),
    (InsufficientDataError, 422),
)
"""Domain error -> HTTP status; any other :class:`AdvisorError` is a 400."""


def status_for(error: AdvisorError) -> int:
    """The HTTP status of a domain error."""
    for kind, code in STATUS_OF:
        if isinstance(error, kind):
            return code
    return 400


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AdvisorError)
    code = status_for(exc)
    if isinstance(exc, SampleValidationError):
        issues = [{"row": i.row, "field": i.field, "message": i.message} for i in exc.issues]
        return JSONResponse({"detail": str(exc), "issues": issues}, status_code=code)
    return JSONResponse({"detail": str(exc)}, status_code=code)


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad parameter, without echoing the values (which may be secrets)."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    return JSONResponse({"detail": errors}, status_code=422)


def default_executor(store: Store, settings: Settings) -> Executor:
    """The executor ``settings.executor`` names."""
    if settings.executor == "ray":
        from ..executors import RayExecutor

        return RayExecutor(store, settings)
    from ..executors import InProcessExecutor

    return InProcessExecutor(store, settings)


def create_app(settings: Settings | None = None, *, executor: ExecutorFactory | None = None) -> FastAPI:
    """Build the service.

    Args:
        settings: how to run (read from ``ADVISOR_*`` environment variables when omitted).
        executor: builds the executor from the store and settings (default: ``settings.executor``).

    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(settings.db_url())
        jobs = JobManager(store, settings, (executor or default_executor)(store, settings))
        app.state.settings = settings
        app.state.store = store
        app.state.jobs = jobs
        jobs.start()
        try:
            yield
        finally:
            jobs.shutdown()
            store.close()

    app = FastAPI(
        title="Distillation Advisor",
        version=__version__,
        description=(
            "Upload task samples, run the teacher against students, and read a keep / distill / route "
            "verdict with its evidence. Authenticate with a project API key (X-API-Key)."
        ),
        lifespan=lifespan,
    )
    app.add_exception_handler(AdvisorError, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for router in (projects.router, datasets.router, models.router, runs.router, reports.router):
        app.include_router(router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
