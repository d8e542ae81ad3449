"""Adaptive rate control through both clients, against the sandbox's requests-per-second limit,
on a fake clock that only the clients' sleeps move."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from client_fixtures import KINDS, FakeClock

from jet_orderhive.jet import (
    AdaptiveRateLimit,
    ClientHooks,
    ClientStats,
    RateChangeEvent,
    RateLimit,
)
from jet_orderhive.jet._hooks import ThrottleEvent
from jet_orderhive.testing import JetSandbox


def sandbox_on(clock: FakeClock, per_second: float, burst: int) -> JetSandbox:
    sandbox = JetSandbox(secret="fixed-secret", seed=1, clock=clock.now)
    sandbox.limit_rate(
        per_second, burst=burst, kind="order_list", clock=lambda: clock.now().timestamp()
    )
    return sandbox


async def list_many(
    kind: str, sandbox: JetSandbox, clock: FakeClock, n: int, **options: Any
) -> ClientStats:
    if kind == "sync":
        with sandbox.client(clock=clock.now, sleep=clock.sleep, **options) as client:
            for _ in range(n):
                client.list_order_ids("ready")
            return client.stats
    async with sandbox.async_client(clock=clock.now, sleep=clock.asleep, **options) as aclient:
        for _ in range(n):
            await aclient.list_order_ids("ready")
        return aclient.stats


@pytest.mark.parametrize("kind", KINDS)
def test_the_default_client_sends_unpaced_until_jet_throttles(kind: str) -> None:
    clock = FakeClock()
    sandbox = JetSandbox(secret="fixed-secret", seed=1, clock=clock.now)
    stats = asyncio.run(list_many(kind, sandbox, clock, 200, rate_limit=AdaptiveRateLimit()))
    assert clock.sleeps == []
    assert stats.throttle_waits == 0
    assert stats.rate_limit is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_throttle_turns_on_pacing_and_the_client_settles_below_the_limit(kind: str) -> None:
    clock = FakeClock()
    sandbox = sandbox_on(clock, per_second=10, burst=10)
    cuts: list[RateChangeEvent] = []
    waits: list[ThrottleEvent] = []
    hooks = ClientHooks(on_rate_change=cuts.append, on_throttle=waits.append)
    stats = asyncio.run(
        list_many(kind, sandbox, clock, 200, rate_limit=AdaptiveRateLimit(), hooks=hooks)
    )
    lists = [r for r in sandbox.requests if r.kind == "order_list"]
    refused = [r for r in lists if r.status == 429]
    assert len(lists) - len(refused) == 200  # every call succeeded in the end
    assert 1 <= len(refused) <= 10  # throttled now and then, never a storm
    assert stats.throttled == len(refused)
    assert cuts[0].previous is None
    assert cuts[0].status == 429
    assert cuts[0].retry_after == 1.0
    assert cuts[0].rate < 10
    assert all(cut.rate < cut.previous for cut in cuts[1:] if cut.previous is not None)
    assert stats.rate_limit is not None
    assert stats.throttle_waits == len(waits) > 0
    assert all(event.rate is not None for event in waits)
    first = lists[0].received
    assert first is not None
    elapsed = (clock.current - first).total_seconds()
    # 200 requests at 10/s take 19 s at best (10 from the burst); paced, it stays near that.
    assert 19 <= elapsed <= 19 / 0.8


@pytest.mark.parametrize("kind", KINDS)
def test_a_fixed_rate_limit_still_caps_the_client(kind: str) -> None:
    clock = FakeClock()
    sandbox = JetSandbox(secret="fixed-secret", seed=1, clock=clock.now)
    stats = asyncio.run(list_many(kind, sandbox, clock, 9, rate_limit=RateLimit(rate=5, burst=5)))
    # 10 requests (the token and 9 lists): 5 from the burst, then one every 0.2 s.
    assert clock.sleeps == pytest.approx([0.2] * 5)
    assert stats.rate_limit == 5
    assert stats.throttled == 0


@pytest.mark.parametrize("kind", KINDS)
def test_no_rate_limit_means_jets_throttles_are_only_retried(kind: str) -> None:
    clock = FakeClock()
    sandbox = sandbox_on(clock, per_second=10, burst=2)
    stats = asyncio.run(list_many(kind, sandbox, clock, 4, rate_limit=None))
    assert stats.throttle_waits == 0
    assert stats.throttled == stats.retries > 0
    assert stats.rate_limit is None


def test_a_503_with_retry_after_counts_as_a_throttle() -> None:
    clock = FakeClock()
    sandbox = JetSandbox(secret="fixed-secret", seed=1, clock=clock.now)
    cuts: list[RateChangeEvent] = []
    with sandbox.client(
        clock=clock.now,
        sleep=clock.sleep,
        rate_limit=AdaptiveRateLimit(),
        hooks=ClientHooks(on_rate_change=cuts.append),
    ) as client:
        client.authenticate()
        sandbox.fail_next(1, status=503, kind="order_list", retry_after=2)
        client.list_order_ids("ready")
        sandbox.fail_next(1, status=503, kind="order_list")  # no Retry-After: a server error
        client.list_order_ids("ready")
        assert [(cut.status, cut.retry_after) for cut in cuts] == [(503, 2.0)]
        assert client.stats.throttled == 1
