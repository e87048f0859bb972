"""Runs as jobs: execute a stored run, report progress, honour cancel, resume after a restart.

A run is held by one worker at a time (``runs.worker_id``), which sends heartbeats. A worker
that stops (a killed server) stops sending them; after ``lease_s`` any server's sweeper
claims the run and executes it again from its stored spec and dataset. Paid teacher calls
already answered are read from the project's response cache (``advisor.cache``), so a
resumed run does not pay for them twice, and finished reports live in the store.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .config import Settings
from .errors import AdvisorError
from .spec import RunSpec, parse_spec
from .store import Store

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5
DATASET_PATH_PREFIX = "dataset:"
_MEDIA_TYPES = {
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


class RunCancelledError(AdvisorError):
    """The run was cancelled (or taken over by another worker) while it ran."""


class Executor(Protocol):
    """Where runs execute: in this process, or on a Ray cluster."""

    def submit(self, run_id: str, worker_id: str) -> None:
        """Start executing the run (held by ``worker_id``) in the background."""
        ...

    def held(self) -> list[str]:
        """Runs this executor has queued or is running (their heartbeats are kept up)."""
        ...

    def shutdown(self) -> None:
        """Stop accepting runs; runs in flight are left to finish or to be resumed."""
        ...


def new_worker_id() -> str:
    """A worker id unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def media_type(filename: str) -> str:
    """The HTTP media type of a report file, by its suffix."""
    suffix = Path(filename).suffix.lower()
    return _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"


def cache_dir_for(settings: Settings, project_id: str) -> Path:
    """The response cache of a project: shared by its runs, never by another project's."""
    return (settings.data_dir / "cache" / project_id).resolve()


class _Heartbeat:
    """Marks one run as alive every ``lease_s / 3`` seconds from a background thread."""

    def __init__(self, store: Store, run_id: str, worker_id: str, lease_s: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(store, run_id, worker_id, lease_s / 3), daemon=True)

    def _loop(self, store: Store, run_id: str, worker_id: str, every_s: float) -> None:
        while not self._stop.wait(every_s):
            try:
                store.heartbeat([run_id], worker_id)
            except Exception:  # a database blip must not kill the run; the next beat retries
                log.warning("heartbeat for run %s failed", run_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _progress_reporter(store: Store, run_id: str, worker_id: str) -> Callable[[str, int, int], None]:
    last = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_EVERY_S and done not in (0, total):
            return
        last = now
        if store.update_progress(run_id, worker_id, stage, done, total):
            raise RunCancelledError(f"run '{run_id}' was cancelled")

    return progress


def _report_files(out: Path, paths: dict[str, Path]) -> list[tuple[str, str, str, bytes]]:
    """Every file the report writers produced, keyed by format."""
    files = []
    for fmt, path in sorted(paths.items()):
        if path.is_file():
            files.append((fmt, path.name, media_type(path.name), path.read_bytes()))
    return files


def execute_run(
    store: Store,
    settings: Settings,
    run_id: str,
    worker_id: str,
    *,
    prepare: Callable[[RunSpec], RunSpec] | None = None,
) -> str:
    """Execute (or resume) a run end to end and record its outcome; return the final status.

    Args:
        store: the store holding the run.
        settings: service settings (the cache folder, the lease).
        run_id: the run.
        worker_id: the worker that claimed it; the run is left alone if another holds it.
        prepare: a last change to the spec before it runs (the Ray executor's teacher fan-out).

    """
    from .pipeline import run_pipeline  # heavy (numpy, scipy): imported when a run starts
    from .report import write_reports
    from .report.write import write_jsonl_atomic

    if not store.mark_running(run_id, worker_id):
        return store.get_run(None, run_id).status
    run = store.get_run(None, run_id)
    try:
        with _Heartbeat(store, run_id, worker_id, settings.lease_s):
            samples = store.load_dataset_samples(run.dataset_id)
            spec = parse_spec(run.spec)
            spec = spec.model_copy(update={"cache_dir": str(cache_dir_for(settings, run.project_id))})
            if prepare is not None:
                spec = prepare(spec)
            rows: list[dict[str, Any]] = []
            report = asyncio.run(
                run_pipeline(
                    spec,
                    progress=_progress_reporter(store, run_id, worker_id),
                    samples=samples,
                    on_predictions=rows.extend,
                )
            )
            if store.update_progress(run_id, worker_id, "writing reports", 1, 1):
                raise RunCancelledError(f"run '{run_id}' was cancelled")
            with tempfile.TemporaryDirectory(prefix=f"advisor-run-{run_id}-") as tmp:
                out = Path(tmp)
                paths = dict(write_reports(report, out))
                paths["predictions"] = out / "predictions.jsonl"
                write_jsonl_atomic(paths["predictions"], rows)
                files = _report_files(out, paths)
        store.finish_run(run_id, worker_id, "succeeded", verdict=report.verdict.model_dump(mode="json"), files=files)
        return "succeeded"
    except RunCancelledError:
        store.finish_run(run_id, worker_id, "cancelled")
        return "cancelled"
    except AdvisorError as e:
        store.finish_run(run_id, worker_id, "failed", error=str(e))
        return "failed"
    except Exception as e:  # the run fails, the service goes on; the trace goes to the log
        log.exception("run %s failed", run_id)
        store.finish_run(run_id, worker_id, "failed", error=f"internal error ({type(e).__name__}): {e}")
        return "failed"


class JobManager:
    """Starts runs on an executor and resumes runs whose worker stopped (the sweeper)."""

    def __init__(self, store: Store, settings: Settings, executor: Executor) -> None:
        self.store = store
        self.settings = settings
        self.executor = executor
        self.worker_id = new_worker_id()
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def start(self) -> None:
        """Resume stale runs now and every ``lease_s / 2`` seconds from then on."""
        self._sweeper = threading.Thread(target=self._sweep_loop, name="advisor-sweeper", daemon=True)
        self._sweeper.start()

    def sweep(self) -> list[str]:
        """Keep this worker's queued runs alive; claim and resubmit runs whose worker stopped."""
        self.store.heartbeat(self.executor.held(), self.worker_id)
        claimed = self.store.claim_stale_runs(self.worker_id, self.settings.lease_s)
        for run_id in claimed:
            log.info("resuming run %s", run_id)
            self.executor.submit(run_id, self.worker_id)
        return claimed

    def _sweep_loop(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:  # keep sweeping through database blips
                log.warning("sweep failed", exc_info=True)
            if self._stop.wait(self.settings.lease_s / 2):
                return

    def submit(self, run_id: str) -> None:
        """Execute a run this manager created (already held by its worker id)."""
        self.executor.submit(run_id, self.worker_id)

    def shutdown(self) -> None:
        """Stop sweeping and stop the executor."""
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
        self.executor.shutdown()
