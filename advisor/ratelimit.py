"""Client-side rate limits: requests and tokens per minute, and pauses a server asks for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """A bucket refilled at ``rate_per_s`` up to ``capacity``; taking more than it holds leaves debt.

    A request larger than the capacity is let through once the bucket is full, so a big call
    is delayed, never refused.
    """

    def __init__(self, rate_per_s: float, capacity: float, now: float) -> None:
        if rate_per_s <= 0 or capacity <= 0:
            raise ValueError("rate_per_s and capacity must be positive")
        self.rate_per_s = rate_per_s
        self.capacity = capacity
        self._level = capacity
        self._at = now

    def _refill(self, now: float) -> None:
        self._level = min(self.capacity, self._level + (now - self._at) * self.rate_per_s)
        self._at = now

    def wait_s(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` may be taken (0 when it may be taken now)."""
        self._refill(now)
        need = min(amount, self.capacity)
        return 0.0 if self._level >= need else (need - self._level) / self.rate_per_s

    def take(self, amount: float, now: float) -> None:
        """Take ``amount`` (the level may go negative: later callers wait it off)."""
        self._refill(now)
        self._level -= amount


class RateLimiter:
    """Paces calls to stay under requests-per-minute and tokens-per-minute limits.

    Callers are served first come, first served. :meth:`pause_for` holds every caller back, as a
    server's ``Retry-After`` asks. Buckets hold one second of the limit, so calls are spread
    evenly over the minute rather than sent in one burst.
    """

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        now = clock()
        self._clock = clock
        self._sleep = sleep
        self._requests = (
            TokenBucket(requests_per_minute / 60, max(1.0, requests_per_minute / 60), now)
            if requests_per_minute
            else None
        )
        self._tokens = (
            TokenBucket(tokens_per_minute / 60, max(1.0, tokens_per_minute / 60), now) if tokens_per_minute else None
        )
        self._resume_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        """Whether any limit is set (an inactive limiter only honours pauses)."""
        return self._requests is not None or self._tokens is not None

    def pause_for(self, seconds: float) -> None:
        """Start no call for ``seconds`` from now (extends, never shortens, a pause)."""
        self._resume_at = max(self._resume_at, self._clock() + seconds)

    async def acquire(self, tokens: float = 0.0) -> float:
        """Wait until a call of ``tokens`` tokens may start; return the seconds waited."""
        if not self.active and self._clock() >= self._resume_at:
            return 0.0
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                delay = max(0.0, self._resume_at - now)
                if self._requests is not None:
                    delay = max(delay, self._requests.wait_s(1.0, now))
                if self._tokens is not None and tokens > 0:
                    delay = max(delay, self._tokens.wait_s(tokens, now))
                if delay <= 0:
                    break
                await self._sleep(delay)
                waited += delay
            now = self._clock()
            if self._requests is not None:
                self._requests.take(1.0, now)
            if self._tokens is not None and tokens > 0:
                self._tokens.take(tokens, now)
        return waited

    def settle_tokens(self, estimated: float, actual: float) -> None:
        """Correct the token bucket once a call's real token count is known."""
        if self._tokens is not None:
            self._tokens.take(actual - estimated, self._clock())
