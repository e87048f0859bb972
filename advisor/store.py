"""Durable store on SQLAlchemy: projects, API keys, datasets, model configs, runs, reports.

SQLite (embedded, the default) or PostgreSQL. The schema is created and upgraded by the
alembic migrations in ``advisor/migrations``. Every read takes the caller's project, so a
row of another project is "not found", never "forbidden".
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, defer, mapped_column, sessionmaker

from .errors import AdvisorError
from .samples import SampleSet, parse_rows, to_canonical

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
KEY_PREFIX = "adv_"
ACTIVE_STATUSES = ("queued", "running")
FINAL_STATUSES = ("succeeded", "failed", "cancelled")


class NotFoundError(AdvisorError, LookupError):
    """No such object in the caller's project."""


class ConflictError(AdvisorError):
    """The request contradicts the object's state (e.g. cancelling a finished run)."""


def _id() -> str:
    return uuid.uuid4().hex


def hash_key(key: str) -> str:
    """SHA-256 of an API key (keys are 256-bit random tokens, so no salt or slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class Project(Base):
    """A team's space: its keys see only its datasets, configs, runs and reports."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class ApiKey(Base):
    """An API key, stored as its SHA-256 only."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Dataset(Base):
    """Validated samples, kept as gzip'd canonical JSON Lines."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint", name="uq_dataset_fingerprint"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    n_samples: Mapped[int] = mapped_column(Integer)
    info: Mapped[dict[str, Any]] = mapped_column(JSON)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class ModelConfig(Base):
    """A registered teacher or student: a model spec with secret references only."""

    __tablename__ = "model_configs"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_model_config_name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)


class Run(Base):
    """One run of the pipeline, with its progress and the worker holding it."""

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(300), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heartbeat_at: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float, default=time.time)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReportFile(Base):
    """One file of a run's report (report.json, report.md, report.html, ...)."""

    __tablename__ = "report_files"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(32), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class ReportFileInfo:
    """A report file's name and type, without its content."""

    format: str
    filename: str
    media_type: str
    size_bytes: int


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Store:
    """Typed access to the service's tables. Methods are synchronous and thread-safe."""

    def __init__(self, url: str, *, run_migrations: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if run_migrations:
            migrate(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self._session() as s, s.begin():
            yield s

    # -- projects and keys ----------------------------------------------------------------

    def create_project(self, name: str) -> tuple[Project, str]:
        """A new project and its first API key (returned once, stored hashed).

        Raises:
            ConflictError: a project of that name exists.

        """
        with self.session() as s:
            if s.scalar(select(Project).where(Project.name == name)) is not None:
                raise ConflictError(f"a project named '{name}' exists; choose another name")
            project = Project(name=name)
            s.add(project)
            s.flush()
            key = self._new_key(s, project.id)
        return project, key

    def create_key(self, project_id: str) -> str:
        """Another API key for the project (returned once)."""
        with self.session() as s:
            if s.get(Project, project_id) is None:
                raise NotFoundError(f"no project '{project_id}'")
            return self._new_key(s, project_id)

    @staticmethod
    def _new_key(s: Session, project_id: str) -> str:
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        s.add(ApiKey(project_id=project_id, key_hash=hash_key(key), prefix=key[:10]))
        return key

    def project_for_key(self, key: str) -> Project | None:
        """The project an API key belongs to, or None for an unknown or revoked key."""
        with self.session() as s:
            return s.scalar(
                select(Project)
                .join(ApiKey, ApiKey.project_id == Project.id)
                .where(ApiKey.key_hash == hash_key(key), ApiKey.revoked.is_(False))
            )

    # -- datasets --------------------------------------------------------------------------

    def add_dataset(self, project_id: str, name: str, samples: SampleSet) -> tuple[Dataset, bool]:
        """Store ``samples``; re-uploading the same content returns the existing dataset.

        Returns:
            The dataset and whether it was created now.

        """
        with self.session() as s:
            found = s.scalar(
                select(Dataset).where(Dataset.project_id == project_id, Dataset.fingerprint == samples.fingerprint)
            )
            if found is not None:
                return found, False
            body = "".join(json.dumps(to_canonical(x), ensure_ascii=False, default=str) + "\n" for x in samples)
            info = {
                "slices": samples.slices,
                "models": samples.models,
                "has_reference": samples.has_reference,
            }
            ds = Dataset(
                project_id=project_id,
                name=name,
                fingerprint=samples.fingerprint,
                n_samples=len(samples),
                info=info,
                content=gzip.compress(body.encode(), compresslevel=5),
            )
            s.add(ds)
        return ds, True

    def get_dataset(self, project_id: str, dataset_id: str) -> Dataset:
        """The dataset (without its content) if it is the project's."""
        with self.session() as s:
            ds = s.get(Dataset, dataset_id, options=[defer(Dataset.content)])
            if ds is None or ds.project_id != project_id:
                raise NotFoundError(f"no dataset '{dataset_id}' in this project; list them with GET /v1/datasets")
            return ds

    def list_datasets(self, project_id: str, *, limit: int = 100, offset: int = 0) -> list[Dataset]:
        """The project's datasets, newest first."""
        with self.session() as s:
            q = (
                select(Dataset)
                .options(defer(Dataset.content))
                .where(Dataset.project_id == project_id)
                .order_by(Dataset.created_at.desc(), Dataset.id)
                .limit(limit)
                .offset(offset)
            )
            return list(s.scalars(q))

    def load_dataset_samples(self, dataset_id: str) -> SampleSet:
        """The dataset's samples, as uploaded (already mapped and validated)."""
        with self.session() as s:
            ds = s.get(Dataset, dataset_id)
            if ds is None:
                raise NotFoundError(f"no dataset '{dataset_id}'")
            content, name = ds.content, ds.name
        lines = gzip.decompress(content).decode().splitlines()
        return parse_rows(((i, json.loads(line)) for i, line in enumerate(lines, 1)), source=name)

    # -- model configs ---------------------------------------------------------------------

    def add_model_config(self, project_id: str, name: str, spec: dict[str, Any]) -> ModelConfig:
        """Register a model config under a name unique in the project."""
        with self.session() as s:
            if s.scalar(select(ModelConfig).where(ModelConfig.project_id == project_id, ModelConfig.name == name)):
                raise ConflictError(f"a model config named '{name}' exists in this project; pick another name")
            mc = ModelConfig(project_id=project_id, name=name, spec=spec)
            s.add(mc)
        return mc

    def get_model_config(self, project_id: str, ref: str) -> ModelConfig:
        """A model config by id or name."""
        with self.session() as s:
            mc = s.scalar(
                select(ModelConfig).where(
                    ModelConfig.project_id == project_id, (ModelConfig.id == ref) | (ModelConfig.name == ref)
                )
            )
            if mc is None:
                raise NotFoundError(f"no model config '{ref}' in this project; register it with POST /v1/models")
            return mc

    def list_model_configs(self, project_id: str) -> list[ModelConfig]:
        """The project's model configs by name."""
        with self.session() as s:
            q = select(ModelConfig).where(ModelConfig.project_id == project_id).order_by(ModelConfig.name)
            return list(s.scalars(q))

    # -- runs --------------------------------------------------------------------------------

    def create_run(self, project_id: str, dataset_id: str, spec: dict[str, Any], worker_id: str) -> Run:
        """A queued run, already held by ``worker_id``."""
        self.get_dataset(project_id, dataset_id)
        with self.session() as s:
            run = Run(
                project_id=project_id,
                dataset_id=dataset_id,
                spec=spec,
                status="queued",
                worker_id=worker_id,
                heartbeat_at=time.time(),
                attempts=1,
            )
            s.add(run)
        return run

    def get_run(self, project_id: str | None, run_id: str) -> Run:
        """The run if it is the project's (any project when ``project_id`` is None)."""
        with self.session() as s:
            run = s.get(Run, run_id)
            if run is None or (project_id is not None and run.project_id != project_id):
                raise NotFoundError(f"no run '{run_id}' in this project; list them with GET /v1/runs")
            return run

    def list_runs(self, project_id: str, *, limit: int = 100, offset: int = 0) -> list[Run]:
        """The project's runs, newest first."""
        with self.session() as s:
            q = (
                select(Run)
                .where(Run.project_id == project_id)
                .order_by(Run.created_at.desc(), Run.id)
                .limit(limit)
                .offset(offset)
            )
            return list(s.scalars(q))

    def request_cancel(self, project_id: str, run_id: str) -> Run:
        """Ask a run to stop; a queued run is cancelled at once.

        Raises:
            ConflictError: the run has already finished.

        """
        with self.session() as s:
            run = s.get(Run, run_id, with_for_update=True)
            if run is None or run.project_id != project_id:
                raise NotFoundError(f"no run '{run_id}' in this project; list them with GET /v1/runs")
            if run.status in FINAL_STATUSES:
                raise ConflictError(f"run '{run_id}' has already finished ({run.status}); nothing to cancel")
            run.cancel_requested = True
            if run.status == "queued":
                run.status = "cancelled"
                run.finished_at = time.time()
        return run

    def claim_stale_runs(self, worker_id: str, lease_s: float, *, limit: int = 10) -> list[str]:
        """Take over active runs whose worker stopped sending heartbeats; return their ids."""
        now = time.time()
        with self.session() as s:
            candidates = list(
                s.scalars(
                    select(Run.id)
                    .where(Run.status.in_(ACTIVE_STATUSES), Run.heartbeat_at < now - lease_s)
                    .order_by(Run.created_at)
                    .limit(limit)
                )
            )
        claimed: list[str] = []
        for run_id in candidates:
            with self.session() as s:
                res = s.execute(
                    update(Run)
                    .where(
                        Run.id == run_id,
                        Run.status.in_(ACTIVE_STATUSES),
                        Run.heartbeat_at < now - lease_s,
                    )
                    .values(worker_id=worker_id, heartbeat_at=time.time(), attempts=Run.attempts + 1)
                )
                if res.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(run_id)
        return claimed

    def heartbeat(self, run_ids: Sequence[str], worker_id: str) -> None:
        """Mark runs as still held by ``worker_id``."""
        if not run_ids:
            return
        with self.session() as s:
            s.execute(
                update(Run).where(Run.id.in_(run_ids), Run.worker_id == worker_id).values(heartbeat_at=time.time())
            )

    def mark_running(self, run_id: str, worker_id: str) -> bool:
        """Start (or resume) a run; False when it was cancelled or taken by another worker."""
        with self.session() as s:
            res = s.execute(
                update(Run)
                .where(Run.id == run_id, Run.worker_id == worker_id, Run.status.in_(ACTIVE_STATUSES))
                .values(status="running", started_at=time.time(), heartbeat_at=time.time(), error=None)
            )
            return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def update_progress(self, run_id: str, worker_id: str, stage: str, done: int, total: int) -> bool:
        """Record progress; return whether a cancel was requested (or the run was taken over)."""
        with self.session() as s:
            s.execute(
                update(Run)
                .where(Run.id == run_id, Run.worker_id == worker_id)
                .values(stage=stage[:300], done=done, total=total, heartbeat_at=time.time())
            )
            row = s.execute(select(Run.cancel_requested, Run.worker_id).where(Run.id == run_id)).one()
        return bool(row[0]) or row[1] != worker_id

    def finish_run(
        self,
        run_id: str,
        worker_id: str,
        status: str,
        *,
        error: str | None = None,
        verdict: dict[str, Any] | None = None,
        files: Sequence[tuple[str, str, str, bytes]] = (),
    ) -> None:
        """Close a run with its final status and (on success) its report files."""
        with self.session() as s:
            run = s.get(Run, run_id, with_for_update=True)
            if run is None or run.worker_id != worker_id or run.status in FINAL_STATUSES:
                return
            for fmt, filename, media_type, content in files:
                s.merge(
                    ReportFile(run_id=run_id, format=fmt, filename=filename, media_type=media_type, content=content)
                )
            run.status = status
            run.error = error
            run.verdict = verdict
            run.finished_at = time.time()
            if status == "succeeded":
                run.done = run.total

    # -- reports --------------------------------------------------------------

    def report_files(self, project_id: str, run_id: str) -> list[ReportFileInfo]:
        """The formats a run's report was written in."""
        self.get_run(project_id, run_id)
        with self.session() as s:
            rows = s.execute(
                select(
                    ReportFile.format,
                    ReportFile.filename,
                    ReportFile.media_type,
                    func.length(ReportFile.content),
                )
                .where(ReportFile.run_id == run_id)
                .order_by(ReportFile.format)
            )
            return [ReportFileInfo(f, n, m, int(size)) for f, n, m, size in rows]

    def report_file(self, project_id: str, run_id: str, fmt: str) -> ReportFile:
        """One report file of the project's run."""
        run = self.get_run(project_id, run_id)
        with self.session() as s:
            rf = s.get(ReportFile, (run_id, fmt))
        if rf is None:
            if run.status != "succeeded":
                raise ConflictError(
                    f"run '{run_id}' is {run.status}; its report exists once it has succeeded "
                    f"(poll GET /v1/runs/{run_id})"
                )
            raise NotFoundError(
                f"run '{run_id}' has no '{fmt}' report; list formats with GET /v1/runs/{run_id}/reports"
            )
        return rf
