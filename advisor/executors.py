"""Where runs execute: threads in the server process (default) or a Ray cluster (scale-out).

On Ray (``pip install "distillation-advisor[ray]"``, ``ADVISOR_EXECUTOR=ray``):

- a run executes as a Ray task placed on a node that has the accelerator its students are
  benchmarked on (``accelerator_type:<name>``, from each student's ``hardware`` instance in
  the pricing catalogue), so measured latency is measured on that hardware;
- paid teacher calls are fanned out to Ray workers (backend kind ``ray``, which wraps the
  spec's own backend), and every call, from every run, first takes a slot from one named
  rate-limiter actor: one global requests-per-minute limit for the whole deployment.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .backends.base import Backend, GenerateRequest, Generation
from .backends.registry import backend, backend_class
from .config import Settings
from .errors import AdvisorError, SpecError
from .jobs import execute_run
from .pricing import instance_price
from .samples import SampleSet
from .spec import ModelSpec, RunSpec
from .store import Store

log = logging.getLogger(__name__)
RAY_NAMESPACE = "distillation-advisor"
LIMITER_ACTOR = "advisor-teacher-rate-limit"
ACCELERATOR_RESOURCE = "accelerator_type:{}"


class InProcessExecutor:
    """Runs execute in a pool of threads of the server process."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._pool = ThreadPoolExecutor(settings.max_concurrent_runs, thread_name_prefix="advisor-run")
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, run_id: str, worker_id: str) -> None:
        """Queue the run on the thread pool (once: a run already queued or running here is skipped)."""
        with self._lock:
            if run_id in self._held:
                return
            self._held.add(run_id)
        future = self._pool.submit(execute_run, self.store, self.settings, run_id, worker_id)
        future.add_done_callback(lambda _f: self._release(run_id))

    def _release(self, run_id: str) -> None:
        with self._lock:
            self._held.discard(run_id)

    def held(self) -> list[str]:
        """Runs queued or running in this process."""
        with self._lock:
            return sorted(self._held)

    def shutdown(self) -> None:
        """Stop taking runs; runs in flight finish in the background or are resumed later."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def placement_resources(spec: RunSpec) -> dict[str, float]:
    """Ray resources a run needs: the accelerator of each student's ``hardware`` instance.

    Raises:
        SpecError: a student's hardware is not in the pricing catalogue.

    """
    needed: dict[str, float] = {}
    for student in spec.students:
        if not student.hardware:
            continue
        accel = instance_price(student.hardware).accelerator
        if accel:
            needed[ACCELERATOR_RESOURCE.format(accel)] = 0.001
    return needed


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise AdvisorError(
            "the Ray executor needs Ray: pip install 'distillation-advisor[ray]' (or set ADVISOR_EXECUTOR=inprocess)"
        ) from None
    return ray


@functools.cache
def _limiter_class() -> Any:
    ray = _ray()

    @ray.remote(num_cpus=0)
    class GlobalRateLimiter:
        """Hands out start times so that all teacher calls together stay under one limit."""

        def __init__(self, requests_per_minute: float) -> None:
            self.interval_s = 60.0 / requests_per_minute
            self.next_at = 0.0
            self.granted = 0

        def reserve(self) -> float:
            """Seconds the caller must wait before starting its call."""
            now = time.time()
            start = max(now, self.next_at)
            self.next_at = start + self.interval_s
            self.granted += 1
            return start - now

        def count(self) -> int:
            """Slots granted so far."""
            return self.granted

    return GlobalRateLimiter


def global_limiter(requests_per_minute: float | None) -> Any:
    """The deployment's one rate-limiter actor (created on first use), or None when unlimited."""
    if requests_per_minute is None:
        return None
    return (
        _limiter_class()
        .options(name=LIMITER_ACTOR, namespace=RAY_NAMESPACE, get_if_exists=True, lifetime="detached")
        .remote(requests_per_minute)
    )


@functools.cache
def _remote_call() -> Any:
    ray = _ray()

    @ray.remote(num_cpus=0, max_retries=0)  # type: ignore[untyped-decorator]
    def call(spec_json: str, request: GenerateRequest, limiter: Any) -> Generation:
        if limiter is not None:
            time.sleep(ray.get(limiter.reserve.remote()))
        inner = ModelSpec.model_validate_json(spec_json)
        backend_obj = backend_class(inner.backend).from_spec(inner, SampleSet((), "", "<ray>"))

        async def once() -> Generation:
            try:
                return await backend_obj.generate(request)
            finally:
                await backend_obj.aclose()

        return asyncio.run(once())

    return call


class RayFanoutBackend(Backend):
    """Sends each call of another backend to a Ray worker, under the global rate limit.

    The spec's ``options`` hold ``inner`` (the wrapped model spec) and optionally
    ``requests_per_minute`` (the deployment-wide limit).
    """

    def __init__(self, name: str, inner: ModelSpec, requests_per_minute: float | None = None) -> None:
        self.name = name
        self._inner_spec = inner
        self._local = backend_class(inner.backend).from_spec(inner, SampleSet((), "", "<ray>"))
        if self._local.local or self._local.recorded:
            raise SpecError(f"model '{name}': only remote (paid API) backends are fanned out on Ray")
        self._spec_json = inner.model_dump_json()
        self._limiter = global_limiter(requests_per_minute)
        self._call = _remote_call()

    @classmethod
    def from_spec(cls, spec: ModelSpec, samples: SampleSet) -> RayFanoutBackend:
        """Build from ``options.inner`` and ``options.requests_per_minute``."""
        inner = ModelSpec.model_validate(spec.options.get("inner") or {})
        return cls(spec.name, inner, spec.options.get("requests_per_minute"))

    def cache_identity(self) -> Mapping[str, Any]:
        """The wrapped backend's identity: fanned-out answers share its cache entries."""
        ident = getattr(self._local, "cache_identity", None)
        return dict(ident()) if ident is not None else {"kind": self._inner_spec.backend, "name": self.name}

    def should_retry(self, ex: Exception) -> bool:
        """Whatever the wrapped backend retries (Ray re-raises the worker's exception)."""
        cause = getattr(ex, "cause", None)
        return self._local.should_retry(cause if isinstance(cause, Exception) else ex)

    async def generate(self, request: GenerateRequest) -> Generation:
        """Run the wrapped backend's ``generate`` as a Ray task."""
        ref = self._call.remote(self._spec_json, request, self._limiter)
        result: Generation = await ref
        return result

    async def aclose(self) -> None:
        """Close the local copy of the wrapped backend."""
        await self._local.aclose()


@backend("ray")
def _ray_backend() -> type[Backend]:
    return RayFanoutBackend


def fan_out_teacher(spec: RunSpec, requests_per_minute: float | None) -> RunSpec:
    """The spec with a paid teacher wrapped in the ``ray`` backend (others are left as they are)."""
    teacher = spec.teacher
    if teacher.backend in ("recorded", "distill", "ray") or teacher.path:
        return spec
    wrapped = ModelSpec(
        name=teacher.name,
        backend="ray",
        price=teacher.price,
        max_concurrency=teacher.max_concurrency,
        timeout_s=teacher.timeout_s,
        max_retries=teacher.max_retries,
        options={"inner": teacher.model_dump(mode="json"), "requests_per_minute": requests_per_minute},
    )
    return spec.model_copy(update={"teacher": wrapped})


@functools.cache
def _ray_execute_fn() -> Any:
    ray = _ray()

    @ray.remote(num_cpus=1, max_retries=0)  # type: ignore[untyped-decorator]
    def ray_execute(settings_json: str, run_id: str, worker_id: str) -> str:
        settings = Settings.model_validate_json(settings_json)
        store = Store(settings.db_url(), run_migrations=False)
        try:
            return execute_run(
                store,
                settings,
                run_id,
                worker_id,
                prepare=lambda s: fan_out_teacher(s, settings.teacher_requests_per_minute),
            )
        finally:
            store.close()

    return ray_execute


class RayExecutor:
    """Runs execute as Ray tasks; teacher calls fan out to Ray workers under one rate limit."""

    def __init__(self, store: Store, settings: Settings, *, init_kwargs: Mapping[str, Any] | None = None) -> None:
        ray = _ray()
        self.store = store
        self.settings = settings
        if not ray.is_initialized():
            ray.init(
                address=settings.ray_address,
                namespace=RAY_NAMESPACE,
                include_dashboard=False,
                log_to_driver=False,
                **dict(init_kwargs or {}),
            )
        self._ray: Any = ray
        self._execute = _ray_execute_fn()
        # Workers may start elsewhere: give them an absolute data folder.
        self._settings_json = settings.model_copy(update={"data_dir": settings.data_dir.resolve()}).model_dump_json()
        self._refs: dict[str, Any] = {}

    def submit(self, run_id: str, worker_id: str) -> None:
        """Place the run on a node that has its students' accelerators.

        A run whose accelerator no node offers fails at once, saying which resource is missing.
        """
        from .spec import parse_spec

        run = self.store.get_run(None, run_id)
        try:
            resources = placement_resources(parse_spec(run.spec))
        except AdvisorError as e:
            self.store.finish_run(run_id, worker_id, "failed", error=str(e))
            return
        have = self._ray.cluster_resources()
        missing = sorted(r for r in resources if r not in have)
        if missing:
            self.store.finish_run(
                run_id,
                worker_id,
                "failed",
                error=(
                    f"no Ray node offers {', '.join(missing)}; start a node with that accelerator "
                    "(ray start --resources=...) or drop the student's hardware to project its latency"
                ),
            )
            return
        self._refs[run_id] = self._execute.options(resources=resources or None).remote(
            self._settings_json, run_id, worker_id
        )

    def held(self) -> list[str]:
        """Runs submitted from here that have not ended on the cluster."""
        if not self._refs:
            return []
        ready, _ = self._ray.wait(list(self._refs.values()), num_returns=len(self._refs), timeout=0)
        done = set(ready)
        for run_id in [r for r, ref in self._refs.items() if ref in done]:
            del self._refs[run_id]
        return sorted(self._refs)

    def wait(self, run_ids: Sequence[str], timeout_s: float) -> list[str]:
        """Wait for submitted runs to end (for tests and batch use); return their final statuses."""
        refs = [self._refs[r] for r in run_ids]
        return list(self._ray.get(refs, timeout=timeout_s))

    def shutdown(self) -> None:
        """Forget submitted runs; they finish on the cluster or are resumed after their lease."""
        self._refs.clear()
