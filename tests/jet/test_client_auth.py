"""Bearer tokens: cached, refreshed ahead of expiry and once on a 401, single-flight, shareable."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from client_fixtures import (
    FakeClock,
    FakeJet,
    Harness,
    both_clients,
    harness,
    order_id,
)

from jet_orderhive.jet.errors import JetAuthError
from jet_orderhive.jet.models import Token

LIST = "/api/orders/ready"


@both_clients
async def test_token_is_fetched_once_and_reused(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        for _ in range(3):
            await h.call("list_order_ids", "ready")
        assert h.jet.token_requests() == 1
        assert h.jet.last("GET", LIST).headers["authorization"].startswith("Bearer eyJ0eXAi.")


@both_clients
async def test_token_is_refreshed_ahead_of_expiry_once(kind: str) -> None:
    async with harness(kind, rate_limit=None, token_refresh_margin=timedelta(minutes=5)) as h:
        await h.call("list_order_ids", "ready")
        h.clock.advance(timedelta(hours=9, minutes=54).total_seconds())
        await h.call("list_order_ids", "ready")
        assert h.jet.token_requests() == 1  # 6 minutes left: still good
        h.clock.advance(120)
        await h.call("list_order_ids", "ready")
        await h.call("list_order_ids", "ready")
        assert h.jet.token_requests() == 2  # 4 minutes left: refreshed, then reused
        assert h.client.stats.token_fetches == 2


@both_clients
async def test_a_lifetime_shorter_than_the_margin_does_not_fetch_a_token_per_request(
    kind: str,
) -> None:
    jet = FakeJet(FakeClock(), token_ttl=timedelta(minutes=2))
    async with Harness(kind, jet, rate_limit=None) as h:
        for _ in range(3):
            await h.call("list_order_ids", "ready")
        assert jet.token_requests() == 1
        h.clock.advance(61)  # past half the lifetime: refreshed before Jet would refuse it
        await h.call("list_order_ids", "ready")
        assert jet.token_requests() == 2
        assert jet.count("GET", LIST) == 4


@both_clients
async def test_a_401_triggers_one_refresh_and_one_retry(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        await h.call("list_order_ids", "ready")
        h.jet.revoked.update(h.jet.tokens)  # Jet drops the token before its expiry
        assert await h.call("list_order_ids", "ready") == []
        assert h.jet.token_requests() == 2
        assert h.jet.count("GET", LIST) == 3
        assert h.client.stats.retries == 0


@both_clients
async def test_a_second_401_raises_auth_error(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        denied = httpx.Response(401, json={"Message": "Authorization has been denied"})
        h.jet.script("GET", LIST, denied, denied, denied)
        with pytest.raises(JetAuthError) as caught:
            await h.call("list_order_ids", "ready")
        assert caught.value.status == 401
        assert h.jet.token_requests() == 2
        assert h.jet.count("GET", LIST) == 2


@both_clients
async def test_forbidden_is_not_retried_with_a_new_token(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", LIST, httpx.Response(403))
        with pytest.raises(JetAuthError):
            await h.call("list_order_ids", "ready")
        assert h.jet.token_requests() == 1


@both_clients
async def test_bad_credentials_raise_auth_error_without_retrying(kind: str) -> None:
    jet = FakeJet(FakeClock())
    h = Harness(kind, jet, rate_limit=None, secret="wrong-secret")
    with pytest.raises(JetAuthError) as caught:
        await h.call("list_order_ids", "ready")
    assert caught.value.path == "/token"
    assert "credentials" in str(caught.value)
    assert jet.token_requests() == 1
    await h.close()


class MemoryTokenStore:
    def __init__(self, token: Token | None = None) -> None:
        self.token = token
        self.loads = 0
        self.saves: list[Token] = []

    def load(self) -> Token | None:
        self.loads += 1
        return self.token

    def save(self, token: Token) -> None:
        self.saves.append(token)
        self.token = token


@both_clients
async def test_token_store_shares_one_token_between_clients(kind: str) -> None:
    store = MemoryTokenStore()
    clock = FakeClock()
    jet = FakeJet(clock)
    first = Harness(kind, jet, rate_limit=None, token_store=store)
    second = Harness(kind, jet, rate_limit=None, token_store=store)
    await first.call("list_order_ids", "ready")
    await second.call("list_order_ids", "ready")
    assert jet.token_requests() == 1
    assert len(store.saves) == 1
    assert second.client.stats.token_fetches == 0
    await first.close()
    await second.close()


@both_clients
async def test_an_expired_stored_token_is_replaced_and_saved(kind: str) -> None:
    clock = FakeClock()
    stale = Token(id_token="old-token-value", expires_on=clock.current)
    store = MemoryTokenStore(stale)
    async with harness(kind, clock_obj=clock, rate_limit=None, token_store=store) as h:
        await h.call("list_order_ids", "ready")
        assert h.jet.token_requests() == 1
        assert store.token is not None
        assert store.token.id_token != "old-token-value"


@both_clients
async def test_explicit_authenticate_fetches_a_token(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        await h.call("authenticate")
        await h.call("authenticate")
        assert h.jet.token_requests() == 2


def _gate_until(clock: FakeClock, callers: int) -> None:
    # Hold the one token request until every worker has found the token expired.
    assert clock.wait_for_callers(callers), "workers never met at the token"


def test_twenty_threads_meeting_an_expired_token_cause_one_token_request() -> None:
    clock = FakeClock()
    jet = FakeJet(clock)
    h = Harness("sync", jet, rate_limit=None)
    list(h.client.fetch_orders([order_id(0)]))  # type: ignore[arg-type]
    clock.advance(timedelta(hours=11).total_seconds())
    clock.forget_callers()
    jet.token_gate = lambda: _gate_until(clock, 20)
    results = list(h.client.fetch_orders([order_id(n) for n in range(20)], concurrency=20))  # type: ignore[arg-type]
    assert all(r.error is None for r in results)
    assert jet.token_requests() == 2
    assert clock.callers() >= 20
    assert len({t for t in threading.enumerate() if t.name.startswith("jet-fetch")}) == 0


async def test_twenty_tasks_meeting_an_expired_token_cause_one_token_request() -> None:
    clock = FakeClock()
    jet = FakeJet(clock)
    waiting = asyncio.Event()

    async def gated(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token" and jet.token_requests() >= 1:
            for _ in range(10_000):
                if clock.callers() >= 20:
                    waiting.set()
                    break
                await asyncio.sleep(0)
        return jet(request)

    h = Harness("async", jet, rate_limit=None, transport=httpx.MockTransport(gated))
    await h.call("list_order_ids", "ready")
    clock.advance(timedelta(hours=11).total_seconds())
    clock.forget_callers()
    fetched = await h.collect("fetch_orders", [order_id(n) for n in range(20)], concurrency=20)
    assert waiting.is_set()
    assert all(r.error is None for r in fetched)
    assert jet.token_requests() == 2
    await h.close()
