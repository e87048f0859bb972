"""Rate limits with a fake clock: expectations worked out by hand."""

from __future__ import annotations

import asyncio

from advisor.ratelimit import RateLimiter, TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def test_bucket_refills_at_rate_and_allows_debt() -> None:
    b = TokenBucket(rate_per_s=2.0, capacity=4.0, now=0.0)
    assert b.wait_s(4, 0.0) == 0.0
    b.take(4, 0.0)
    assert b.wait_s(1, 0.0) == 0.5  # 1 token at 2/s
    b.take(10, 1.0)  # level 2 - 10 = -8 (bigger than capacity: allowed when full enough)
    assert b.wait_s(1, 1.0) == 4.5  # (1 - -8) / 2


def test_requests_per_minute_spreads_calls() -> None:
    t = FakeTime()
    lim = RateLimiter(requests_per_minute=120, clock=t.clock, sleep=t.sleep)  # 2/s, burst 2

    async def go() -> None:
        for _ in range(6):
            await lim.acquire()

    asyncio.run(go())
    # 2 at once, then one every 0.5 s: 4 more calls -> 2.0 s
    assert t.now == 2.0


def test_tokens_per_minute_and_settling() -> None:
    t = FakeTime()
    lim = RateLimiter(tokens_per_minute=600, clock=t.clock, sleep=t.sleep)  # 10 tokens/s, capacity 10

    async def go() -> None:
        await lim.acquire(10)
        await lim.acquire(5)  # waits 0.5 s
        lim.settle_tokens(estimated=5, actual=25)  # the call used 20 more than reserved
        await lim.acquire(1)  # level -20 -> needs 21 tokens = 2.1 s

    asyncio.run(go())
    assert abs(t.now - 2.6) < 1e-9


def test_pause_holds_every_caller() -> None:
    t = FakeTime()
    lim = RateLimiter(clock=t.clock, sleep=t.sleep)
    assert not lim.active

    async def go() -> float:
        lim.pause_for(1.5)
        lim.pause_for(0.5)  # never shortens
        return await lim.acquire()

    assert asyncio.run(go()) == 1.5 and t.now == 1.5
