"""Orderhive records: invariants on construction and an exact JSON round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from jet_orderhive import _json
from jet_orderhive.orderhive import (
    Address,
    Comment,
    CommentKind,
    Customer,
    ExtraItem,
    ExtraItemType,
    LineItem,
    OrderStatus,
    SalesOrder,
    Shipment,
    ShipmentLine,
)

EASTERN = timezone(timedelta(hours=-4))


def _order(**changes: object) -> SalesOrder:
    order = SalesOrder(
        channel_order_id="9b13bdd68c314d1b9c8b93277dea4da1",
        channel_order_number="123456789012",
        channel_status="inprogress",
        order_status=OrderStatus.PARTIALLY_SHIPPED,
        placed_at=datetime(2016, 5, 10, 13, 0, tzinfo=UTC),
        grand_total=Decimal("25.49"),
        billing_address=Address(name="Jane Doe", address1="1 Main St"),
        shipping_address=Address(name="Jane Doe", address1="1 Main St", address2="Apt 2"),
        line_items=(
            LineItem(
                sku="B289B4B",
                name="Socks",
                variant_id="8f5ae15b6b414b00a1b9d6ad99166a00",
                quantity_ordered=2,
                price=Decimal("10.00"),
                row_total=Decimal("20.00"),
                tax_value=Decimal("0.14"),
                quantity_shipped=1,
            ),
        ),
        extra_items=(
            ExtraItem(
                type=ExtraItemType.SHIPPING_COST,
                name="Shipping",
                price=Decimal("5.00"),
                tax_value=Decimal("0.35"),
            ),
        ),
        shipments=(
            Shipment(
                courier_name="UPS",
                tracking_number="1Z999",
                shipping_date=datetime(2016, 5, 11, 10, 0, tzinfo=EASTERN),
                lines=(ShipmentLine(sku="B289B4B", quantity_shipped=1),),
            ),
        ),
        comments=(Comment(key="jet:service_level", kind=CommentKind.SERVICE_LEVEL, text="x"),),
        customer_email="Jane@Customer.Jet.com",
    )
    return attrs.evolve(order, **changes) if changes else order


def test_round_trip_through_json_text_is_exact() -> None:
    order = _order()
    text = _json.dumps(order.to_dict(), sort_keys=True)
    back = SalesOrder.from_dict(_json.loads(text))  # type: ignore[arg-type]
    assert back == order
    assert back.shipments[0].shipping_date.utcoffset() == timedelta(hours=-4)  # type: ignore[union-attr]
    assert _json.dumps(back.to_dict(), sort_keys=True) == text


def test_to_dict_is_json_ready_with_decimals_kept() -> None:
    data = _order().to_dict()
    assert data["grand_total"] == Decimal("25.49")
    assert isinstance(data["grand_total"], Decimal)
    assert data["order_status"] == "PARTIAL_SHIP"
    assert type(data["order_status"]) is str
    assert data["placed_at"] == "2016-05-10T13:00:00+00:00"
    assert isinstance(data["line_items"], list)


def test_from_dict_names_the_bad_field() -> None:
    data = _order().to_dict()
    data["grand_total"] = 25.49  # type: ignore[assignment]
    with pytest.raises(ValueError, match=r"SalesOrder\.grand_total"):
        SalesOrder.from_dict(data)
    data = _order().to_dict()
    data["placed_at"] = "2016-05-10T13:00:00"
    with pytest.raises(ValueError, match="no offset"):
        SalesOrder.from_dict(data)


def test_from_dict_refuses_non_text_where_text_belongs() -> None:
    data = _order().to_dict()
    data["channel_order_number"] = None
    with pytest.raises(ValueError, match=r"SalesOrder\.channel_order_number"):
        SalesOrder.from_dict(data)
    with pytest.raises(ValueError, match=r"Customer\.email"):
        Customer.from_dict({"email": 123})


def test_money_must_be_decimal_and_datetimes_aware() -> None:
    with pytest.raises(TypeError, match="grand_total must be a Decimal"):
        _order(grand_total=25.49)
    with pytest.raises(ValueError, match="timezone-aware"):
        _order(placed_at=datetime(2016, 5, 10, 13, 0))
    with pytest.raises(ValueError, match="quantity_shipped must not be negative"):
        ShipmentLine(sku="x", quantity_shipped=-1)


def test_equal_content_means_equal_records() -> None:
    assert _order() == _order()
    assert _order() != _order(channel_status="complete")
    assert hash(_order().line_items[0]) == hash(_order().line_items[0])


def test_computed_total_sums_lines_taxes_and_extras() -> None:
    assert _order().computed_total == Decimal("20.00") + Decimal("0.14") + Decimal("5.35")


def test_quantity_open_excludes_shipped_and_cancelled() -> None:
    line = attrs.evolve(_order().line_items[0], quantity_shipped=1, quantity_cancelled=1)
    assert line.quantity_open == 0
    assert _order().line_items[0].quantity_open == 1


def test_customer_email_is_normalised_and_required() -> None:
    customer = Customer(email="  Jane@Customer.JET.com ", first_name="Jane")
    assert customer.email == "jane@customer.jet.com"
    assert Customer.from_dict(customer.to_dict()) == customer
    with pytest.raises(ValueError, match="non-blank email"):
        Customer(email="   ")


def test_order_customer_email_is_normalised() -> None:
    assert _order().customer_email == "jane@customer.jet.com"
    assert _order(customer_email="  ").customer_email is None
