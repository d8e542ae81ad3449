"""Both clients against the Jet sandbox: real Jet flows, its validation and its fault injection."""

from __future__ import annotations

import inspect
import random
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from client_fixtures import FakeClock

from jet_orderhive.jet._retry import RetryPolicy
from jet_orderhive.jet.client import AsyncJetClient, JetClient
from jet_orderhive.jet.enums import AckStatus, FileStatus, FileType, ItemAckStatus, OrderStatus
from jet_orderhive.jet.errors import JetServerError, JetTransportError, JetValidationError
from jet_orderhive.jet.models import (
    Acknowledgement,
    AcknowledgementItem,
    JetOrder,
    NodeQuantity,
)
from jet_orderhive.testing import JetSandbox

SECRET = "S3cr3t-XYZZY"
NO_JITTER = RetryPolicy(jitter=0, base_delay=0.5)


class SandboxHarness:
    """A sandbox plus a sync or async client on it, with a fake clock shared by both."""

    def __init__(self, kind: str, **options: Any) -> None:
        self.clock = FakeClock()
        self.sandbox = JetSandbox(secret=SECRET, seed=11, clock=self.clock.now)
        options.setdefault("retry", NO_JITTER)
        options.setdefault("rate_limit", None)
        options.setdefault("rng", random.Random(1))
        self.client: JetClient | AsyncJetClient
        if kind == "sync":
            self.client = self.sandbox.client(sleep=self.clock.sleep, **options)
        else:
            self.client = self.sandbox.async_client(sleep=self.clock.asleep, **options)

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, name)(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    async def collect(self, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        items = getattr(self.client, name)(*args, **kwargs)
        if hasattr(items, "__aiter__"):
            return [item async for item in items]
        return list(items)

    def kinds(self, kind: str) -> int:
        return self.sandbox.count(kind)

    async def close(self) -> None:
        if isinstance(self.client, AsyncJetClient):
            await self.client.aclose()
        else:
            self.client.close()


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def accept(order: JetOrder) -> Acknowledgement:
    return Acknowledgement(
        acknowledgement_status=AckStatus.ACCEPTED,
        order_items=tuple(
            AcknowledgementItem(
                order_item_id=item.order_item_id,
                order_item_acknowledgement_status=ItemAckStatus.FULFILLABLE,
            )
            for item in order.order_items
        ),
    )


async def test_orders_are_listed_fetched_and_acknowledged(kind: str) -> None:
    h = SandboxHarness(kind)
    ids = h.sandbox.generate_orders(6)
    orders = await h.collect("iter_orders", OrderStatus.READY, concurrency=3)
    assert sorted(o.merchant_order_id for o in orders) == sorted(ids)
    for order in orders:
        await h.call("acknowledge_order", order.merchant_order_id, accept(order))
    assert await h.call("list_order_ids", "ready") == []
    assert sorted(await h.call("list_order_ids", "acknowledged")) == sorted(ids)
    await h.close()


async def test_injected_5xx_and_429_are_retried_within_budget(kind: str) -> None:
    h = SandboxHarness(kind)
    h.sandbox.generate_orders(1)
    h.sandbox.fail_next(2, status=503, kind="order_list")
    assert len(await h.call("list_order_ids", "ready")) == 1
    h.sandbox.fail_next(1, status=429, kind="order_list", retry_after=4)
    assert len(await h.call("list_order_ids", "ready")) == 1
    assert h.clock.sleeps == [0.5, 1.0, 4.0]
    assert h.client.stats.retries == 3
    await h.close()


async def test_exhausted_retries_raise_with_the_attempt_count(kind: str) -> None:
    h = SandboxHarness(kind, max_retries=2)
    h.sandbox.fail_next(5, status=500, kind="order_list")
    with pytest.raises(JetServerError) as caught:
        await h.call("list_order_ids", "ready")
    assert caught.value.attempts == 3
    assert h.kinds("order_list") == 3
    await h.close()


async def test_an_acknowledge_whose_answer_was_lost_is_not_resent(kind: str) -> None:
    h = SandboxHarness(kind)
    (oid,) = h.sandbox.generate_orders(1)
    order = await h.call("get_order", oid)
    h.sandbox.drop_connections(1, after_apply=True, kind="acknowledge")
    with pytest.raises(JetTransportError):
        await h.call("acknowledge_order", oid, accept(order))
    assert h.kinds("acknowledge") == 1
    # Jet did act on it: re-sending blindly would have been refused as a wrong-state write.
    assert h.sandbox.order_status(oid) == "acknowledged"
    await h.close()


async def test_an_acknowledge_that_never_arrived_is_resent(kind: str) -> None:
    h = SandboxHarness(kind)
    (oid,) = h.sandbox.generate_orders(1)
    order = await h.call("get_order", oid)
    h.sandbox.drop_connections(1, after_apply=False, kind="acknowledge")
    await h.call("acknowledge_order", oid, accept(order))
    assert h.sandbox.order_status(oid) == "acknowledged"
    assert h.client.stats.retries == 1
    assert h.clock.sleeps == [0.5]
    await h.close()


async def test_a_500_on_acknowledge_is_not_retried(kind: str) -> None:
    h = SandboxHarness(kind)
    (oid,) = h.sandbox.generate_orders(1)
    order = await h.call("get_order", oid)
    h.sandbox.fail_next(1, status=500, kind="acknowledge")
    with pytest.raises(JetServerError):
        await h.call("acknowledge_order", oid, accept(order))
    assert h.kinds("acknowledge") == 1
    await h.close()


async def test_expired_tokens_are_refreshed_once(kind: str) -> None:
    h = SandboxHarness(kind)
    await h.call("list_order_ids", "ready")
    h.sandbox.expire_tokens()
    await h.call("list_order_ids", "ready")
    h.clock.advance(timedelta(hours=11).total_seconds())
    await h.call("list_order_ids", "ready")
    assert h.kinds("token") == 3
    assert h.client.stats.token_fetches == 3
    await h.close()


async def test_a_sku_with_a_slash_round_trips_price_inventory_and_archive(kind: str) -> None:
    h = SandboxHarness(kind)
    sku = "A/B 1"
    node = h.sandbox.fulfillment_node_id
    h.sandbox.add_sku(sku, price=Decimal("5.00"), quantities={node: 1})
    await h.call("update_price", sku, Decimal("19.99"))
    await h.call("update_inventory", sku, [NodeQuantity(fulfillment_node_id=node, quantity=7)])
    fetched = await h.call("get_sku", sku)
    assert fetched.price == Decimal("19.99")
    assert [(n.fulfillment_node_id, n.quantity) for n in fetched.inventory_by_fulfillment_node] == [
        (node, 7)
    ]
    await h.call("archive_sku", sku)
    assert (await h.call("get_sku", sku)).is_archived is True
    assert sku in await h.collect("iter_skus", page_size=1)
    await h.close()


async def test_jets_validation_errors_come_back_typed(kind: str) -> None:
    h = SandboxHarness(kind)
    sku = "SKU-1"
    h.sandbox.add_sku(sku)
    with pytest.raises(JetValidationError) as caught:
        await h.call(
            "update_inventory", sku, [NodeQuantity(fulfillment_node_id="0" * 32, quantity=1)]
        )
    assert caught.value.errors
    assert caught.value.status == 400
    await h.close()


async def test_bulk_price_file_is_uploaded_and_processed(kind: str) -> None:
    h = SandboxHarness(kind)
    for sku in ("S1", "S2"):
        h.sandbox.add_sku(sku)
    records = {"S1": {"price": Decimal("3.50")}, "S2": {"price": Decimal("4.25")}}
    uploaded = await h.call("upload_file", FileType.PRICE, records)
    assert uploaded.jet_file_id
    done = await h.call("wait_for_file", uploaded.jet_file_id, timeout=600, poll_interval=5)
    assert done.status is FileStatus.PROCESSED_SUCCESSFULLY
    assert (await h.call("get_sku", "S2")).price == Decimal("4.25")
    await h.close()


async def test_fulfillment_nodes_and_returns_are_read(kind: str) -> None:
    h = SandboxHarness(kind)
    nodes = await h.call("list_fulfillment_nodes")
    assert [n.jet_fulfillment_node_id for n in nodes] == list(h.sandbox.fulfillment_node_ids)
    (oid,) = h.sandbox.generate_orders(1)
    order = await h.call("get_order", oid)
    return_id = h.sandbox.add_return(oid, {order.order_items[0].merchant_sku: 1})
    assert await h.call("list_return_ids", "created") == [return_id]
    detail = await h.call("get_return", return_id)
    assert detail.merchant_order_id == oid
    await h.close()


@pytest.fixture
def served() -> Iterator[tuple[JetSandbox, str]]:
    sandbox = JetSandbox(secret=SECRET, seed=3)
    with sandbox.serve() as url:
        yield sandbox, url


def test_sync_client_talks_to_the_sandbox_over_loopback_http(
    served: tuple[JetSandbox, str],
) -> None:
    sandbox, url = served
    ids = sandbox.generate_orders(3)
    with JetClient(sandbox.user, SECRET, base_url=url, timeout=5) as client:
        fetched = list(client.fetch_orders(ids, concurrency=3))
    assert [f.order_id for f in fetched] == ids
    assert all(f.ok for f in fetched)


async def test_async_client_talks_to_the_sandbox_over_loopback_http(
    served: tuple[JetSandbox, str],
) -> None:
    sandbox, url = served
    ids = sandbox.generate_orders(3)
    async with AsyncJetClient(sandbox.user, SECRET, base_url=url, timeout=5) as client:
        orders = [order async for order in client.iter_orders("ready")]
    assert sorted(o.merchant_order_id for o in orders) == sorted(ids)
