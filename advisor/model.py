"""``Model``: a backend plus concurrency, rate limits, retries, timeouts, cache and cost cap, written once."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .backends.base import Backend, GenerateRequest, Generation
from .cache import Cacheable, ResponseCache, request_key
from .costs import TokenPrice, api_cost_per_call
from .errors import BackendError, CostCapError, SpecError
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from .spec import ModelSpec

ProgressFn = Callable[[int, int], None]
DEFAULT_OUTPUT_TOKENS_ESTIMATE = 256
"""Output tokens assumed for a call with no ``max_tokens`` before any answer was seen."""
BUDGET_CHARS_PER_TOKEN = 3.0
"""Characters per token when estimating a call's size for budgets and limits (an over-count for English)."""


def estimate_tokens(text: str, chars_per_token: float = 4.0) -> int:
    """A rough token count of ``text``: UTF-8 bytes / ``chars_per_token``, rounded up."""
    return math.ceil(len(text.encode()) / chars_per_token) if text else 0


class CostBudget:
    """A per-run cost cap shared by every model of the run.

    Each call reserves its estimated cost before it starts and settles the real cost after.
    A call that would take spent plus reserved past the cap waits for calls in flight to
    settle; if it still does not fit, :class:`CostCapError` stops the run before the money
    is spent.
    """

    def __init__(self, max_usd: float) -> None:
        if max_usd < 0:
            raise ValueError("max_usd must be >= 0")
        self.max_usd = max_usd
        self.spent_usd = 0.0
        """Known costs, plus the estimate of calls whose outcome is unknown (timeouts, resets)."""
        self.reserved_usd = 0.0
        self._in_flight = 0
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def reserve(self, usd: float, model: str) -> None:
        """Reserve ``usd`` for one call of ``model``.

        Raises:
            CostCapError: when the call cannot fit under the cap.

        """
        cond = self._condition()
        async with cond:
            while self.spent_usd + self.reserved_usd + usd > self.max_usd + 1e-12:
                if self._in_flight == 0:
                    raise CostCapError(
                        f"stopped before overspending: the next call to '{model}' (about ${usd:.6f}) "
                        f"would take the run past max_cost_usd=${self.max_usd:.4f} "
                        f"(${self.spent_usd:.6f} spent). Answers so far are kept in the response cache "
                        "when cache_dir is set; raise max_cost_usd and run again to resume."
                    )
                await cond.wait()
            self.reserved_usd += usd
            self._in_flight += 1

    async def settle(self, reserved_usd: float, actual_usd: float) -> None:
        """Release a reservation and record what the call cost."""
        cond = self._condition()
        async with cond:
            self._in_flight -= 1
            self.reserved_usd = max(0.0, self.reserved_usd - reserved_usd) if self._in_flight else 0.0
            self.spent_usd += actual_usd
            cond.notify_all()


class Model:
    """Calls a :class:`Backend` safely, with every policy written once.

    Bounded concurrency; requests/tokens-per-minute pacing; retries of transient failures
    (the backend's :meth:`~Backend.should_retry`, plus timeouts) with exponential backoff and
    jitter, or after the ``retry_after_s`` an exception carries (a server's ``Retry-After``,
    which also pauses every other call of this model); a per-call timeout; a content-addressed
    cache (backends that are :class:`~advisor.cache.Cacheable`) with identical calls in flight
    made once; and a run-wide cost cap.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        max_concurrency: int = 8,
        max_retries: int = 4,
        timeout_s: float = 120.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 60.0,
        batch_size: int = 64,
        rng: random.Random | None = None,
        limiter: RateLimiter | None = None,
        cache: ResponseCache | None = None,
        budget: CostBudget | None = None,
        price: TokenPrice | None = None,
        usd_per_call: float | None = None,
    ) -> None:
        self.backend = backend
        self.name = backend.name
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.batch_size = batch_size
        self.limiter = limiter or RateLimiter()
        self.cache = cache if isinstance(backend, Cacheable) else None
        self.budget = budget
        self.price = price
        self.usd_per_call = usd_per_call
        self.attempts = 0
        """HTTP/backend calls made (retries included; cache hits excluded)."""
        self._sem = asyncio.Semaphore(max_concurrency)
        self._rng = rng or random.Random(0)
        self._pending: dict[str, asyncio.Task[Generation]] = {}
        self._max_output_seen = 0

    @classmethod
    def for_spec(
        cls,
        backend: Backend,
        spec: ModelSpec,
        *,
        cache: ResponseCache | None = None,
        budget: CostBudget | None = None,
        price: TokenPrice | None = None,
    ) -> Model:
        """A model with the limits a run spec entry sets.

        Raises:
            SpecError: when a cost cap is set and a paid model has no price to enforce it with.

        """
        flat = spec.price.usd_per_call if spec.price is not None else None
        paid = not backend.local and not backend.recorded
        if budget is not None and paid and price is None and flat is None:
            raise SpecError(
                f"model '{spec.name}': max_cost_usd is set but the model has no price; set "
                "price.catalog, price.usd_per_mtok_input/output or price.usd_per_call"
            )
        limiter = RateLimiter(spec.requests_per_minute, spec.tokens_per_minute)
        return cls(
            backend,
            max_concurrency=spec.max_concurrency,
            max_retries=spec.max_retries,
            timeout_s=spec.timeout_s,
            limiter=limiter,
            cache=cache,
            budget=budget if paid else None,
            price=price,
            usd_per_call=flat,
        )

    # -- cost and size estimates ------------------------------------------------------------

    def _estimate(self, request: GenerateRequest) -> tuple[int, int]:
        """Input and output tokens a call may use (over-estimates, for limits and the budget).

        Output is bounded by the request's ``max_tokens``, else the backend's ``max_tokens``,
        else the longest answer seen so far (or a default before any).
        """
        tin = estimate_tokens(request.text, BUDGET_CHARS_PER_TOKEN)
        cap = request.max_tokens if request.max_tokens is not None else getattr(self.backend, "max_tokens", None)
        if isinstance(cap, int):
            tout = cap
        else:
            tout = self._max_output_seen or DEFAULT_OUTPUT_TOKENS_ESTIMATE
        return tin, tout

    def _cost(self, input_tokens: float, output_tokens: float) -> float:
        usd = self.usd_per_call or 0.0
        if self.price is not None:
            usd += api_cost_per_call(input_tokens, output_tokens, self.price)
        return usd

    def cost_of(self, gen: Generation) -> float:
        """What ``gen`` cost: the backend's own figure, else its tokens at this model's price."""
        if gen.cost_usd is not None:
            return gen.cost_usd
        return self._cost(gen.usage.input_tokens or 0, gen.usage.output_tokens or 0)

    # -- calls --------------------------------------------------------------------------------

    async def generate(self, request: GenerateRequest) -> Generation:
        """One answer: from the cache, from an identical call in flight, or from the backend."""
        if self.cache is None:
            return await self._call(request)
        key = request_key(self.backend.cache_identity(), request)  # type: ignore[attr-defined]
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._call_and_store(request, key))
            self._pending[key] = task
            task.add_done_callback(lambda _t: self._pending.pop(key, None))
        return await task

    async def _call_and_store(self, request: GenerateRequest, key: str) -> Generation:
        gen = await self._call(request)
        assert self.cache is not None
        self.cache.put(key, self.name, gen)
        return gen

    async def _call(self, request: GenerateRequest) -> Generation:
        """One call, retried while the failure is transient."""
        tin, tout = self._estimate(request)
        reserve = self._cost(tin, tout) if self.budget is not None else 0.0
        attempt = 0
        while True:
            if self.budget is not None:
                await self.budget.reserve(reserve, self.name)
            billed = reserve
            retry_after: float | None = None
            try:
                async with self._sem:
                    await self.limiter.acquire(tin + tout)
                    self.attempts += 1
                    start = time.perf_counter()
                    try:
                        async with asyncio.timeout(self.timeout_s):  # no extra task, unlike wait_for
                            gen = await self.backend.generate(request)
                    except Exception as ex:  # the backend decides what is transient
                        if getattr(ex, "not_billed", False):
                            billed = 0.0
                        transient = isinstance(ex, TimeoutError) or self.backend.should_retry(ex)
                        if not transient or attempt >= self.max_retries:
                            raise self._failure(request, ex, attempt + 1) from ex
                        retry_after = getattr(ex, "retry_after_s", None)
                    else:
                        if gen.latency_ms is None and not self.backend.local and not gen.cached:
                            gen = replace(gen, latency_ms=(time.perf_counter() - start) * 1000)
                        billed = self.cost_of(gen)
                        self._after_success(gen, tin + tout)
                        return gen
            finally:
                if self.budget is not None:
                    await self.budget.settle(reserve, billed)
            if retry_after is not None and retry_after >= 0:
                delay = min(retry_after, self.max_backoff_s) * (1.0 + 0.1 * self._rng.random())
                self.limiter.pause_for(delay)
            else:
                delay = min(self.max_backoff_s, self.backoff_s * 2**attempt) * (0.5 + self._rng.random())
            attempt += 1
            await asyncio.sleep(delay)

    def _after_success(self, gen: Generation, estimated_tokens: int) -> None:
        out = gen.usage.output_tokens
        if out is not None and out > self._max_output_seen:
            self._max_output_seen = out
        if self.limiter.active and gen.usage.input_tokens is not None and out is not None:
            self.limiter.settle_tokens(estimated_tokens, gen.usage.input_tokens + out)

    def _failure(self, request: GenerateRequest, ex: Exception, attempts: int) -> Exception:
        if isinstance(ex, CostCapError):
            return ex
        detail = str(ex) or type(ex).__name__
        msg = f"model '{self.name}' failed on sample '{request.sample_id}' after {attempts} attempt(s): {detail}"
        if isinstance(ex, BackendError):
            return BackendError(msg, status_code=ex.status_code, provider_message=ex.provider_message)
        return BackendError(f"{msg} ({type(ex).__name__})")

    async def generate_all(
        self, requests: Sequence[GenerateRequest], progress: ProgressFn | None = None
    ) -> list[Generation]:
        """Answer every request, in order. Local backends run in batches.

        On the first failure the calls still in flight are cancelled and the failure is raised.
        """
        total = len(requests)
        done = 0
        if self.backend.local:
            results: list[Generation] = []
            for i in range(0, total, self.batch_size):
                chunk = requests[i : i + self.batch_size]
                results.extend(await self.backend.generate_batch(chunk))
                done += len(chunk)
                if progress:
                    progress(done, total)
            return results

        async def one(req: GenerateRequest) -> Generation:
            nonlocal done
            gen = await self.generate(req)
            done += 1
            if progress:
                progress(done, total)
            return gen

        tasks = [asyncio.ensure_future(one(r)) for r in requests]
        if not tasks:
            return []
        finished, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        if pending:
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        errors = [e for t in tasks if not t.cancelled() and (e := t.exception()) is not None]
        if errors:
            raise errors[0]
        return [t.result() for t in tasks]

    async def aclose(self) -> None:
        """Close the backend."""
        await self.backend.aclose()
