"""The sandbox's wired clients talk to it end to end."""

from __future__ import annotations

from datetime import UTC, datetime

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
