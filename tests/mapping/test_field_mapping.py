"""Each field of Orderhive's Jet article lands exactly where the mapping guide says."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from mapping_data import known_order_data

from jet_orderhive.jet import JetOrder
from jet_orderhive.mapping import MappingContext, MappingError, map_customer, map_order
from jet_orderhive.orderhive import CommentKind, ExtraItemType, OrderStatus, SalesOrder


def _map(data: dict[str, object] | None = None, ctx: MappingContext | None = None) -> SalesOrder:
    return map_order(JetOrder.from_dict(data or known_order_data()), ctx or MappingContext())


def test_order_id_is_merchant_order_id() -> None:
    assert _map().channel_order_id == "9b13bdd68c314d1b9c8b93277dea4da1"


def test_order_number_is_reference_order_id() -> None:
    order = _map()
    assert order.channel_order_number == "123456789012"
    assert order.customer_reference_order_id == "512345678901"


def test_shipping_address_comes_from_shipping_to() -> None:
    address = _map().shipping_address
    assert (address.name, address.contact_number) == ("Tony Stark", "555-333-4444")
    assert address.address1 == "10880 Malibu Point"
    assert address.address2 is None  # Jet's "" means no second line
    assert address.company is None
    assert (address.city, address.state, address.zipcode) == ("Malibu", "CA", "90265")


def test_second_address_line_is_kept_when_present() -> None:
    data = known_order_data()
    data["shipping_to"]["address"]["address2"] = "Suite 4"  # type: ignore[index]
    assert _map(data).shipping_address.address2 == "Suite 4"


def test_billing_address_is_buyer_at_shipping_address() -> None:
    order = _map()
    billing = order.billing_address
    assert (billing.name, billing.contact_number) == ("Jane Q. Doe", "555-111-2222")
    assert billing.address1 == order.shipping_address.address1
    assert (billing.city, billing.state, billing.zipcode) == ("Malibu", "CA", "90265")


def test_payment_method_and_currency_come_from_context() -> None:
    assert (_map().payment_method, _map().currency) == ("Jet", "USD")
    custom = _map(ctx=MappingContext(payment_method="Jet.com", currency="USD"))
    assert custom.payment_method == "Jet.com"


def test_total_price_is_exact_sum_of_order_totals() -> None:
    # 30.00 + 0.97 + 5.00 + 0.35
    assert _map().grand_total == Decimal("36.32")


def test_service_level_becomes_a_comment() -> None:
    (comment,) = _map().comments
    assert comment.kind is CommentKind.SERVICE_LEVEL
    assert "Standard" in comment.text
    assert "UPS Ground" in comment.text


def test_exception_state_becomes_a_comment() -> None:
    data = known_order_data()
    data["exception_state"] = "exception - too many units shipped"
    keys = [c.key for c in _map(data).comments]
    assert "jet:exception:exception - too many units shipped" in keys


def test_line_sku_variant_and_name() -> None:
    line = _map().line_items[0]
    assert line.sku == "B289B4B"
    assert line.variant_id == "8f5ae15b6b414b00a1b9d6ad99166a00"
    assert line.alt_order_item_id == "100023-1"
    assert line.name == "Blue pair of socks"


def test_line_price_is_rounded_unit_price_and_row_total_exact() -> None:
    socks, mugs = _map().line_items
    assert (socks.price, socks.row_total) == (Decimal("10.00"), Decimal("20.00"))
    assert (mugs.price, mugs.row_total) == (Decimal("3.33"), Decimal("10.00"))


def test_line_discount_comes_from_price_adjustment() -> None:
    socks, mugs = _map().line_items
    assert socks.discount == Decimal("1.50")
    assert mugs.discount == 0


def test_line_quantity_ordered() -> None:
    assert [line.quantity_ordered for line in _map().line_items] == [2, 3]


def test_line_quantity_shipped_and_cancelled_come_from_shipments() -> None:
    data = known_order_data()
    data["status"] = "inprogress"
    data["shipments"] = [
        {
            "shipment_id": "aa" * 16,
            "alt_shipment_id": "S-1",
            "carrier": "UPS",
            "shipment_tracking_number": "1Z999",
            "response_shipment_date": "2016-05-11T10:00:00.0000000-04:00",
            "shipment_items": [
                {"merchant_sku": "C-300", "response_shipment_sku_quantity": 2,
                 "response_shipment_cancel_qty": 1},
            ],
        }
    ]  # fmt: skip
    socks, mugs = _map(data).line_items
    assert (mugs.quantity_shipped, mugs.quantity_cancelled) == (2, 1)
    assert (socks.quantity_shipped, socks.quantity_cancelled) == (0, 0)


def test_line_quantity_returned_comes_from_completed_returns() -> None:
    from jet_orderhive.jet import JetReturn

    data = known_order_data()
    data["status"] = "complete"
    data["shipments"] = [
        {"carrier": "UPS", "shipment_tracking_number": "1Z999",
         "response_shipment_date": "2016-05-11T10:00:00.0000000-04:00",
         "shipment_items": [{"merchant_sku": "B289B4B", "response_shipment_sku_quantity": 2},
                            {"merchant_sku": "C-300", "response_shipment_sku_quantity": 3}]}
    ]  # fmt: skip
    jet_return = JetReturn.from_dict(
        {
            "merchant_return_authorization_id": "ff" * 16,
            "return_status": "completed by merchant",
            "merchant_order_id": "9b13bdd68c314d1b9c8b93277dea4da1",
            "return_merchant_SKUs": [
                {"order_item_id": "8f5ae15b6b414b00a1b9d6ad99166a00",
                 "merchant_sku": "B289B4B", "return_quantity": 1}
            ],
        }
    )  # fmt: skip
    order = map_order(JetOrder.from_dict(data), MappingContext(), [jet_return])
    assert [line.quantity_returned for line in order.line_items] == [1, 0]
    assert order.order_status is OrderStatus.RETURNED


def test_line_tax_and_tax_percent() -> None:
    socks, mugs = _map().line_items
    assert (socks.tax_value, socks.tax_percent) == (Decimal("0.14"), Decimal("0.7000"))
    assert (mugs.tax_value, mugs.tax_percent) == (Decimal("0.83"), Decimal("8.3000"))


def test_tax_percent_of_a_free_line_is_zero() -> None:
    data = known_order_data()
    item = data["order_items"][1]  # type: ignore[index]
    item["item_price"] = {"base_price": 0, "item_shipping_cost": 0, "item_tax": 0}
    data["order_totals"]["item_price"]["base_price"] = Decimal("20.00")  # type: ignore[index]
    data["order_totals"]["item_price"]["item_tax"] = Decimal("0.14")  # type: ignore[index]
    assert _map(data).line_items[1].tax_percent == 0


def test_shipping_extra_item_carries_shipping_tax() -> None:
    (shipping,) = _map().extra_items
    assert shipping.type is ExtraItemType.SHIPPING_COST
    assert (shipping.price, shipping.tax_value) == (Decimal("5.00"), Decimal("0.35"))


def test_tax_not_on_any_line_becomes_a_tax_extra_item() -> None:
    data = known_order_data()
    data["order_items"][1]["item_price"]["item_tax"] = None  # type: ignore[index]
    order = _map(data)
    tax = [extra for extra in order.extra_items if extra.type is ExtraItemType.TAX]
    assert [extra.price for extra in tax] == [Decimal("0.83")]
    assert order.computed_total == order.grand_total == Decimal("36.32")


def test_no_discount_extra_item_because_jet_has_no_order_discount() -> None:
    types = {extra.type for extra in _map().extra_items}
    assert ExtraItemType.DISCOUNT not in types


def test_inconsistent_base_price_is_refused_with_the_order_id() -> None:
    data = known_order_data()
    data["order_totals"]["item_price"]["base_price"] = Decimal("30.01")  # type: ignore[index]
    with pytest.raises(MappingError, match=r"9b13bdd68c314d1b9c8b93277dea4da1.*30\.01"):
        _map(data)


def test_shipment_tracking_company_number_and_time() -> None:
    data = known_order_data()
    data["status"] = "complete"
    data["shipments"] = [
        {"shipment_id": "ab" * 16, "alt_shipment_id": "S-9", "carrier": "FedEx",
         "shipment_tracking_number": "7777", "response_shipment_method": "FedEx Ground",
         "response_shipment_date": "2016-05-11T10:00:00.0000000-04:00",
         "shipment_items": [{"merchant_sku": "B289B4B", "response_shipment_sku_quantity": 2},
                            {"merchant_sku": "C-300", "response_shipment_sku_quantity": 3}]}
    ]  # fmt: skip
    (shipment,) = _map(data).shipments
    assert shipment.courier_name == "FedEx"
    assert shipment.tracking_number == "7777"
    assert shipment.shipping_date == datetime(2016, 5, 11, 14, 0, tzinfo=UTC)
    assert shipment.shipping_date.utcoffset() is not None
    assert (shipment.channel_shipment_id, shipment.alt_shipment_id) == ("ab" * 16, "S-9")
    assert [(x.sku, x.quantity_shipped) for x in shipment.lines] == [("B289B4B", 2), ("C-300", 3)]


def test_cancel_only_shipment_is_not_an_orderhive_shipment() -> None:
    data = known_order_data()
    data["status"] = "inprogress"
    data["shipments"] = [
        {"alt_shipment_id": "C-1", "shipment_items": [
            {"merchant_sku": "C-300", "response_shipment_sku_quantity": 0,
             "response_shipment_cancel_qty": 3}]}
    ]  # fmt: skip
    order = _map(data)
    assert order.shipments == ()
    assert order.line_items[1].quantity_cancelled == 3
    assert order.partially_cancel


def test_customer_email_name_phone_and_address(known_order: JetOrder) -> None:
    customer = map_customer(known_order, MappingContext())
    assert customer is not None
    assert customer.email == "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@customer.jet.com"
    assert (customer.first_name, customer.last_name) == ("Jane", "Q. Doe")
    assert customer.phone == "555-111-2222"
    (address,) = customer.addresses
    assert (address.address1, address.zipcode) == ("10880 Malibu Point", "90265")


def test_order_keeps_customer_email_normalised(known_order: JetOrder) -> None:
    order = map_order(known_order, MappingContext())
    assert order.customer_email == "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@customer.jet.com"


def test_placed_at_and_dates_are_aware(known_order: JetOrder) -> None:
    order = map_order(known_order, MappingContext())
    assert order.placed_at == datetime(2016, 5, 10, 13, 0, tzinfo=UTC)
    assert order.shipping_due_date == datetime(2016, 5, 11, 4, 0, tzinfo=UTC)


def test_mapping_is_deterministic_so_reimports_compare_equal(known_order: JetOrder) -> None:
    first = map_order(known_order, MappingContext(clock=lambda: datetime(2020, 1, 1, tzinfo=UTC)))
    again = map_order(known_order, MappingContext(clock=lambda: datetime(2021, 1, 1, tzinfo=UTC)))
    assert first == again
