"""The sandbox's wired clients talk to it end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from jet_orderhive.testing import JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)


def test_wired_client_lists_and_reads_orders() -> None:
    sandbox = JetSandbox(seed=2, clock=lambda: NOW)
    ids = sandbox.generate_orders(3)

    with sandbox.client() as client:
        listed = list(client.list_order_ids("ready"))
        order = client.get_order(ids[0])

    assert listed == ids
    assert order.merchant_order_id == ids[0]
    assert sandbox.count("token") == 1


async def test_wired_async_client_lists_orders() -> None:
    sandbox = JetSandbox(seed=2, clock=lambda: NOW)
    ids = sandbox.generate_orders(2)

    async with sandbox.async_client() as client:
        listed = list(await client.list_order_ids("ready"))

    assert listed == ids


def test_the_request_log_keeps_headers_and_arrival_time_but_never_the_token() -> None:
    sandbox = JetSandbox(seed=2, clock=lambda: NOW)
    sandbox.add_sku("SKU-1")

    with sandbox.client(rate_limit=None) as client:
        client.update_price("SKU-1", Decimal("9.99"))
        sandbox.advance(timedelta(seconds=30))
        client.archive_sku("SKU-1")

    token, price, archive = sandbox.requests
    assert (token.kind, token.authorized, token.received) == ("token", False, NOW)
    assert (price.kind, price.authorized, price.received) == ("price", True, NOW)
    assert price.headers["content-type"] == "application/json"
    assert "authorization" not in price.headers
    assert archive.received == NOW + timedelta(seconds=30)
    assert all("Bearer" not in repr(request) for request in sandbox.requests)


def test_wired_client_does_not_pace_unless_asked() -> None:
    from jet_orderhive.jet import RateLimit

    sandbox = JetSandbox(seed=2, clock=lambda: NOW)
    sandbox.generate_orders(1)
    waits: list[float] = []

    with sandbox.client(sleep=waits.append) as client:
        for _ in range(30):
            client.list_order_ids("ready")
    assert waits == []

    with sandbox.client(sleep=waits.append, rate_limit=RateLimit(rate=1, burst=1)) as client:
        for _ in range(3):
            client.list_order_ids("ready")
    assert sum(waits) > 0
