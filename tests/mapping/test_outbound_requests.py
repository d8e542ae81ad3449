"""Requests built from Orderhive changes validate against Jet's schemas and work on the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest
from mapping_data import schema_problems

from jet_orderhive.jet import AckStatus, ItemAckStatus
from jet_orderhive.jet.client import JetClient
from jet_orderhive.mapping import (
    MappingContext,
    MappingError,
    build_acknowledgement,
    build_cancel_notice,
    build_rejection,
    build_ship_notice,
    map_order,
)
from jet_orderhive.orderhive import OrderStatus, SalesOrder, Shipment, ShipmentLine
from jet_orderhive.testing import JetSandbox

SHIPPED_AT = datetime(2019, 6, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> JetSandbox:
    return JetSandbox(seed=7, clock=lambda: datetime(2019, 6, 4, 9, 0, tzinfo=UTC))


@pytest.fixture
def client(sandbox: JetSandbox) -> Iterator[JetClient]:
    with sandbox.client() as jet:
        yield jet


@pytest.fixture
def ctx() -> MappingContext:
    return MappingContext(clock=lambda: SHIPPED_AT)


def _three_units(sandbox: JetSandbox) -> str:
    return sandbox.add_order(sandbox.factory.order(status="ready", quantities={"SKU-3": 3}))


def _fetch(client: JetClient, order_id: str, ctx: MappingContext) -> SalesOrder:
    return map_order(client.get_order(order_id), ctx)


def test_accept_validates_and_sandbox_acknowledges(
    sandbox: JetSandbox, client: JetClient, ctx: MappingContext
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    order = _fetch(client, order_id, ctx)
    ack = build_acknowledgement(order, ctx)
    assert schema_problems("ack", ack.to_dict()) == []
    assert {item.order_item_id for item in ack.order_items} == {
        line.variant_id for line in order.line_items
    }
    client.acknowledge_order(order_id, ack)
    assert sandbox.order_status(order_id) == "acknowledged"
    assert _fetch(client, order_id, ctx).order_status is OrderStatus.CONFIRMED


def test_reject_validates_and_sandbox_cancels(
    sandbox: JetSandbox, client: JetClient, ctx: MappingContext
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    order = _fetch(client, order_id, ctx)
    rejection = build_rejection(order, ctx)
    assert rejection.acknowledgement_status is AckStatus.REJECTED_OTHER
    assert schema_problems("ack", rejection.to_dict()) == []
    client.acknowledge_order(order_id, rejection)
    assert sandbox.order_status(order_id) == "complete"
    assert _fetch(client, order_id, ctx).order_status is OrderStatus.CANCELLED


def test_item_level_rejection_marks_items_nonfulfillable(ctx: MappingContext) -> None:
    sandbox = JetSandbox(seed=1)
    with sandbox.client() as client:
        order = _fetch(client, sandbox.generate_orders(1)[0], ctx)
    ack = build_rejection(order, ctx, reason=AckStatus.REJECTED_ITEM_LEVEL_ERROR)
    assert {i.order_item_acknowledgement_status for i in ack.order_items} == {
        ItemAckStatus.NONFULFILLABLE_NO_INVENTORY
    }
    with pytest.raises(MappingError, match="not a rejection"):
        build_rejection(order, ctx, reason=AckStatus.ACCEPTED)


def test_ship_two_of_three_and_cancel_one_completes_the_order(
    sandbox: JetSandbox, client: JetClient, ctx: MappingContext
) -> None:
    order_id = _three_units(sandbox)
    client.acknowledge_order(order_id, build_acknowledgement(_fetch(client, order_id, ctx), ctx))
    order = _fetch(client, order_id, ctx)
    shipment = Shipment(
        courier_name="UPS",
        tracking_number="1Z999AA10123456784",
        shipping_date=SHIPPED_AT,
        lines=(ShipmentLine(sku="SKU-3", quantity_shipped=2, quantity_cancelled=1),),
    )
    notice = build_ship_notice(order, shipment, ctx)
    assert schema_problems("ship", notice.to_dict()) == []
    (item,) = notice.shipments[0].shipment_items
    assert (item.response_shipment_sku_quantity, item.response_shipment_cancel_qty) == (2, 1)
    client.ship_order(order_id, notice)
    assert sandbox.order_status(order_id) == "complete"
    after = _fetch(client, order_id, ctx)
    assert after.order_status is OrderStatus.SHIPPED
    (line,) = after.line_items
    assert (line.quantity_shipped, line.quantity_cancelled) == (2, 1)
    assert after.shipments[0].tracking_number == "1Z999AA10123456784"


def test_cancel_all_before_shipping_completes_as_cancelled(
    sandbox: JetSandbox, client: JetClient, ctx: MappingContext
) -> None:
    order_id = _three_units(sandbox)
    client.acknowledge_order(order_id, build_acknowledgement(_fetch(client, order_id, ctx), ctx))
    order = _fetch(client, order_id, ctx)
    notice = build_cancel_notice(order, None, ctx)
    body = notice.to_dict()
    assert schema_problems("ship", body) == []
    (shipment,) = body["shipments"]  # type: ignore[misc]
    assert "shipment_tracking_number" not in shipment
    assert shipment["alt_shipment_id"]
    client.ship_order(order_id, notice)
    assert sandbox.order_status(order_id) == "complete"
    assert _fetch(client, order_id, ctx).order_status is OrderStatus.CANCELLED


def test_shipping_more_than_is_open_is_refused_before_sending(ctx: MappingContext) -> None:
    sandbox = JetSandbox(seed=3)
    order_id = _three_units(sandbox)
    with sandbox.client() as client:
        order = _fetch(client, order_id, ctx)
    too_many = Shipment(
        courier_name="UPS",
        tracking_number="1Z999",
        lines=(ShipmentLine(sku="SKU-3", quantity_shipped=4),),
    )
    with pytest.raises(MappingError, match=r"SKU-3.*4 units.*3 open"):
        build_ship_notice(order, too_many, ctx)
    unknown_sku = attrs.evolve(too_many, lines=(ShipmentLine(sku="NOPE", quantity_shipped=1),))
    with pytest.raises(MappingError, match="NOPE"):
        build_ship_notice(order, unknown_sku, ctx)
    bad_carrier = attrs.evolve(
        too_many,
        courier_name="Pony Express",
        lines=(ShipmentLine(sku="SKU-3", quantity_shipped=1),),
    )
    with pytest.raises(MappingError, match="Pony Express"):
        build_ship_notice(order, bad_carrier, ctx)
    no_tracking = attrs.evolve(bad_carrier, courier_name="UPS", tracking_number=None)
    with pytest.raises(MappingError, match="tracking"):
        build_ship_notice(order, no_tracking, ctx)


def test_missing_shipping_date_uses_the_context_clock(ctx: MappingContext) -> None:
    sandbox = JetSandbox(seed=4)
    order_id = _three_units(sandbox)
    with sandbox.client() as client:
        order = _fetch(client, order_id, ctx)
    shipment = Shipment(
        courier_name="USPS",
        tracking_number="9400100000000000000000",
        lines=(ShipmentLine(sku="SKU-3", quantity_shipped=1),),
    )
    notice = build_ship_notice(order, shipment, ctx)
    assert notice.shipments[0].response_shipment_date == SHIPPED_AT


def test_ship_from_zip_plus_four_is_sent_as_its_five_digit_zip(ctx: MappingContext) -> None:
    sandbox = JetSandbox(seed=5)
    order_id = _three_units(sandbox)
    with sandbox.client() as client:
        order = _fetch(client, order_id, ctx)
    shipment = Shipment(
        courier_name="UPS",
        tracking_number="1Z999",
        ship_from_zip_code="07030-1234",
        lines=(ShipmentLine(sku="SKU-3", quantity_shipped=1),),
    )
    notice = build_ship_notice(order, shipment, ctx)
    assert notice.shipments[0].ship_from_zip_code == "07030"
    with pytest.raises(MappingError, match=order_id) as caught:
        build_ship_notice(order, attrs.evolve(shipment, ship_from_zip_code="SW1A 1AA"), ctx)
    assert caught.value.order_id == order_id
