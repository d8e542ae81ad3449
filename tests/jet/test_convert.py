"""The converter's wire rules: exact money, every Jet date form, null vs absent, extra keys,
path-qualified errors, and lossless round trips over generated models."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet import (
    Buyer,
    FulfillmentNodes,
    ItemPrice,
    JetAddress,
    JetFile,
    JetOrder,
    JetPayloadError,
    JetReturn,
    MerchantSku,
    OrderDetail,
    OrderItem,
    OrderShipment,
    OrderShipmentItem,
    OrderStatus,
    OrderTotals,
    PriceAdjustment,
    Recipient,
    ReturnSku,
    ShippingTo,
    from_json,
    structure,
    to_json,
    unstructure,
)
from jet_orderhive.jet.enums import Carrier, ExceptionState, FileStatus, ServiceLevel
from jet_orderhive.jet.models import SkuInventory, SkuPrice


def _order_payload() -> dict[str, Any]:
    money = {
        "base_price": 20,
        "item_tax": Decimal("0.14"),
        "item_shipping_cost": 5,
        "item_shipping_tax": Decimal("0.35"),
    }
    return {
        "merchant_order_id": "9b13bdd68c314d1b9c8b93277dea4da1",
        "reference_order_id": "123456789012",
        "fulfillment_node": "5e3c9f4e0b7a4e1c9d0a1b2c3d4e5f60",
        "hash_email": "a1b2@customer.jet.com",
        "status": "ready",
        "order_placed_date": "2016-05-10T13:00:00.0000000Z",
        "order_transmission_date": "2016-05-10T13:01:00.0000000Z",
        "buyer": {"name": "Jane Doe", "phone_number": "555-111-2222"},
        "shipping_to": {
            "recipient": {"name": "Jane Doe", "phone_number": "555-111-2222"},
            "address": {
                "address1": "10880 Malibu Point",
                "address2": "",
                "city": "Malibu",
                "state": "CA",
                "zip_code": "90265",
            },
        },
        "order_detail": {"request_service_level": "Standard"},
        "order_items": [
            {
                "order_item_id": f"item{index}",
                "merchant_sku": f"SKU{index}",
                "request_order_quantity": 1,
                "item_price": dict(money),
            }
            for index in range(3)
        ],
        "order_totals": {"item_price": dict(money)},
    }


# --- money -------------------------------------------------------------------------------------


def test_money_survives_parse_sum_and_serialise_exactly() -> None:
    payload = _order_payload()
    for item, amount in zip(payload["order_items"], ("0.1", "0.2", "10.10"), strict=True):
        item["item_price"]["base_price"] = Decimal(amount)
    payload["order_totals"]["item_price"]["base_price"] = Decimal("19.995")
    text = to_json(structure(payload, JetOrder))
    order = from_json(text, JetOrder)
    total = sum((item.item_price.base_price for item in order.order_items), Decimal(0))
    assert total == Decimal("10.40")
    assert str(total) == "10.40"
    assert order.order_totals.item_price.base_price == Decimal("19.995")
    assert '"base_price":19.995' in text
    assert '"base_price":10.10' in text
    assert '"base_price":0.1,' in text


def test_json_text_numbers_become_decimals_not_floats() -> None:
    price = from_json(
        b'{"base_price": 0.1, "item_tax": 0.2, "item_shipping_cost": 3, "item_shipping_tax": null}',
        ItemPrice,
    )
    assert price.base_price + price.item_tax == Decimal("0.3")  # type: ignore[operator]
    assert isinstance(price.item_shipping_cost, Decimal)


def test_a_float_is_refused_because_it_already_lost_exactness() -> None:
    with pytest.raises(JetPayloadError) as caught:
        structure({"base_price": 0.1, "item_shipping_cost": 1}, ItemPrice)
    (problem,) = caught.value.errors
    assert problem.startswith("base_price: expected an exact number, got the float 0.1")


@pytest.mark.parametrize("bad", ["10.00", True, None, [1]])
def test_money_must_be_a_json_number(bad: object) -> None:
    with pytest.raises(JetPayloadError) as caught:
        structure({"base_price": bad, "item_shipping_cost": 1}, ItemPrice)
    assert caught.value.errors[0].startswith("base_price: ")
    assert "number" in caught.value.errors[0] or "missing" in caught.value.errors[0]


def test_price_adjustment_reads_object_number_or_null_and_writes_the_same_form() -> None:
    base = _order_payload()["order_items"][0]
    forms: list[Any] = [
        {"principal": Decimal("1.50"), "tax": Decimal("0.10")},
        Decimal("2.25"),
        None,
    ]
    read = [structure({**base, "price_adjustment": form}, OrderItem) for form in forms]
    assert read[0].price_adjustment == PriceAdjustment(
        principal=Decimal("1.50"), tax=Decimal("0.10")
    )
    assert read[1].price_adjustment == Decimal("2.25")
    assert read[2].price_adjustment is None
    assert read[1].to_dict()["price_adjustment"] == Decimal("2.25")
    assert all(OrderItem.from_dict(item.to_dict()) == item for item in read)


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-01-01T21:00:00.0000000Z", datetime(2015, 1, 1, 21, tzinfo=UTC)),
        ("2016-04-06T17:25:06.4214060Z", datetime(2016, 4, 6, 17, 25, 6, 421406, tzinfo=UTC)),
        ("2015-10-12T09:35:11.6347408+00:00", datetime(2015, 10, 12, 9, 35, 11, 634740, UTC)),
        (
            "2014-06-11T15:00:00.0000000-07:00",
            datetime(2014, 6, 11, 15, tzinfo=timezone(timedelta(hours=-7))),
        ),
        ("2016-05-10T03:19:34Z", datetime(2016, 5, 10, 3, 19, 34, tzinfo=UTC)),
        ("2016-05-10T03:19:34", datetime(2016, 5, 10, 3, 19, 34, tzinfo=UTC)),
        ("05/10/2016", datetime(2016, 5, 10, tzinfo=UTC)),
    ],
)
def test_every_jet_date_form_reads_as_an_aware_datetime(text: str, expected: datetime) -> None:
    detail = OrderDetail.from_dict({"request_ship_by": text})
    assert detail.request_ship_by == expected
    assert detail.request_ship_by is not None
    assert detail.request_ship_by.utcoffset() == expected.utcoffset()


def test_response_dates_are_written_in_jets_own_form_and_keep_other_offsets() -> None:
    utc = OrderDetail(request_ship_by=datetime(2016, 5, 11, 4, tzinfo=UTC))
    assert utc.to_dict() == {"request_ship_by": "2016-05-11T04:00:00.0000000Z"}
    eastern = timezone(timedelta(hours=-4))
    local = OrderDetail(request_ship_by=datetime(2016, 5, 11, 0, tzinfo=eastern))
    assert local.to_dict() == {"request_ship_by": "2016-05-11T00:00:00.0000000-04:00"}
    again = OrderDetail.from_dict(local.to_dict()).request_ship_by
    assert again is not None
    assert again.utcoffset() == timedelta(hours=-4)


def test_a_malformed_date_names_its_path_and_value() -> None:
    with pytest.raises(JetPayloadError) as caught:
        OrderDetail.from_dict({"request_delivery_by": "tomorrow"})
    assert caught.value.errors == ("request_delivery_by: expected a Jet date-time, got 'tomorrow'",)


# --- null, absent, unknown ---------------------------------------------------------------------


def test_optional_fields_read_null_and_absent_alike() -> None:
    absent = _order_payload()
    nulls = copy.deepcopy(absent)
    nulls.update(alt_order_id=None, exception_state=None, order_acknowledge_date=None)
    nulls["shipping_to"]["address"]["address2"] = None
    nulls["order_items"][0]["item_price"]["item_tax"] = None
    del absent["shipping_to"]["address"]["address2"]
    del absent["order_items"][0]["item_price"]["item_tax"]
    from_nulls, from_absent = JetOrder.from_dict(nulls), JetOrder.from_dict(absent)
    assert from_nulls == from_absent
    assert from_nulls.alt_order_id is None
    assert from_nulls.order_items[0].item_price.item_tax is None
    assert "alt_order_id" not in from_nulls.to_dict()


def test_unknown_response_keys_are_kept_in_extra_and_written_back() -> None:
    payload = _order_payload()
    payload["loyalty_tier"] = {"name": "gold", "points": [1, 2]}
    payload["order_items"][1]["gift_wrap"] = True
    order = JetOrder.from_dict(payload)
    assert order.extra == {"loyalty_tier": {"name": "gold", "points": [1, 2]}}
    assert order.order_items[1].extra == {"gift_wrap": True}
    assert order.order_items[0].extra == {}
    assert "loyalty_tier" not in repr(order)
    written = order.to_dict()
    assert written["loyalty_tier"] == {"name": "gold", "points": [1, 2]}
    assert JetOrder.from_dict(written) == order


def test_node_entries_of_sku_responses_are_read_tolerantly() -> None:
    node = {"fulfillment_node_id": "n1", "fulfillment_node_price": Decimal(0), "thor_price": 1}
    price = SkuPrice.from_dict({"price": Decimal("9.99"), "fulfillment_nodes": [node]})
    assert price.fulfillment_nodes[0].fulfillment_node_price == 0
    assert price.fulfillment_nodes[0].extra == {"thor_price": 1}
    stock = {"fulfillment_node_id": "n1", "quantity": 3, "last_update": "2016-01-01"}
    inventory = SkuInventory.from_dict({"fulfillment_nodes": [stock]})
    assert inventory.fulfillment_nodes[0].quantity == 3
    sku = MerchantSku.from_dict(
        {"inventory_by_fulfillment_node": [stock], "price_by_fulfillment_node": [node]}
    )
    assert sku.inventory_by_fulfillment_node[0].extra == {"last_update": "2016-01-01"}
    assert MerchantSku.from_dict(sku.to_dict()) == sku


@pytest.mark.parametrize("model", [JetOrder, OrderItem, MerchantSku, JetReturn, JetFile])
def test_main_response_models_keep_unknown_keys(model: type[Any]) -> None:
    field = attrs.fields_dict(model)["extra"]
    assert field.repr is False


def test_unknown_order_status_reads_and_is_marked() -> None:
    payload = _order_payload()
    payload["status"] = "on hold"
    payload["exception_state"] = "exception - something new"
    order = JetOrder.from_dict(payload)
    assert order.status == "on hold"
    assert not order.status.is_known
    assert str(order.status) == "on hold"
    assert isinstance(order.status, OrderStatus)
    assert order.exception_state is not None
    assert not order.exception_state.is_known
    assert order.to_dict()["status"] == "on hold"


def test_known_values_read_to_members_whatever_their_spacing_or_case() -> None:
    assert ServiceLevel("NextDay") is ServiceLevel.NEXT_DAY
    assert ExceptionState("Resolved") is ExceptionState.RESOLVED
    assert FileStatus("processed successfully") is FileStatus.PROCESSED_SUCCESSFULLY


def test_shipments_read_as_an_array_and_also_from_the_schemas_object_form() -> None:
    shipment = {"shipment_id": "s1", "carrier": "UPS", "shipment_items": [{"merchant_sku": "A"}]}
    as_array = JetOrder.from_dict({**_order_payload(), "shipments": [shipment]})
    as_object = JetOrder.from_dict({**_order_payload(), "shipments": shipment})
    assert as_array == as_object
    assert as_object.shipments == (
        OrderShipment(
            shipment_id="s1",
            carrier=Carrier.UPS,
            shipment_items=(OrderShipmentItem(merchant_sku="A"),),
        ),
    )
    assert isinstance(as_object.to_dict()["shipments"], list)


def test_fulfillment_nodes_read_both_the_setup_and_the_pascal_case_forms() -> None:
    setup = FulfillmentNodes.from_dict(
        {"fulfillment_nodes": [{"jet_fulfillment_node_id": "n1", "location_name": "East"}]}
    )
    pascal = FulfillmentNodes.from_dict(
        [{"FulfillmentNodeId": "n1", "FulfillmentNodeName": "East"}]
    )
    assert setup == pascal
    assert pascal.fulfillment_nodes[0].jet_fulfillment_node_id == "n1"


# --- errors ------------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_json_path() -> None:
    payload = _order_payload()
    payload["order_items"][2]["item_price"]["base_price"] = "twenty"
    payload["order_items"][0]["request_order_quantity"] = "2"
    del payload["hash_email"]
    payload["shipping_to"]["address"]["zip_code"] = 90265
    payload["order_placed_date"] = "2014-07-26T:04:00.0000000Z"
    with pytest.raises(JetPayloadError) as caught:
        JetOrder.from_dict(payload)
    error = caught.value
    assert sorted(error.errors) == sorted(
        [
            "hash_email: required field is missing",
            "order_placed_date: expected a Jet date-time, got '2014-07-26T:04:00.0000000Z'",
            "shipping_to.address.zip_code: expected a string, got the number 90265",
            "order_items[0].request_order_quantity: expected an integer, got the string '2'",
            "order_items[2].item_price.base_price: expected a number, got the string 'twenty'",
        ]
    )
    assert error.model == "JetOrder"
    assert "JetOrder" in str(error)
    assert "5 problems" in str(error)


def test_renamed_keys_are_reported_by_their_wire_name() -> None:
    with pytest.raises(JetPayloadError) as caught:
        JetReturn.from_dict(
            {
                "merchant_return_authorization_id": "r1",
                "return_status": "created",
                "return_merchant_SKUs": [{"order_item_id": "i1", "return_quantity": "one"}],
            }
        )
    assert caught.value.errors == (
        "return_merchant_SKUs[0].return_quantity: expected an integer, got the string 'one'",
    )


def test_a_payload_that_is_not_an_object_is_refused_clearly() -> None:
    with pytest.raises(JetPayloadError) as caught:
        JetOrder.from_dict(["not", "an", "order"])
    assert caught.value.errors == ("expected a JSON object, got an array",)


def test_invalid_json_text_is_a_payload_error() -> None:
    with pytest.raises(JetPayloadError, match="not valid JSON"):
        from_json("{", JetOrder)


# --- round trips -------------------------------------------------------------------------------

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
)
_WHEN = st.datetimes(
    min_value=datetime(2014, 1, 1), max_value=datetime(2030, 1, 1), timezones=_ZONES
)
_MONEY = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
_TEXT = st.text(min_size=1, max_size=12)
_OPT_TEXT = st.none() | _TEXT


def _known(enum_type: Any) -> Any:
    return st.sampled_from(list(enum_type))


_PRICE = st.builds(
    ItemPrice,
    base_price=_MONEY,
    item_tax=st.none() | _MONEY,
    item_shipping_cost=_MONEY,
    item_shipping_tax=st.none() | _MONEY,
)
_ITEM = st.builds(
    OrderItem,
    order_item_id=_TEXT,
    merchant_sku=_TEXT,
    product_title=_OPT_TEXT,
    request_order_quantity=st.integers(1, 50),
    request_order_cancel_qty=st.none() | st.integers(0, 50),
    item_price=_PRICE,
    item_fees=st.none() | _MONEY,
    price_adjustment=st.none()
    | _MONEY
    | st.builds(PriceAdjustment, principal=st.none() | _MONEY, tax=st.none() | _MONEY),
    extra=st.dictionaries(st.sampled_from(["x_note", "x_flag"]), st.booleans() | _TEXT),
)
_SHIPMENT = st.builds(
    OrderShipment,
    shipment_id=_OPT_TEXT,
    shipment_tracking_number=_OPT_TEXT,
    response_shipment_date=st.none() | _WHEN,
    carrier=st.none() | _known(Carrier) | st.just(Carrier("Pony Express")),
    shipment_items=st.lists(
        st.builds(
            OrderShipmentItem,
            merchant_sku=_OPT_TEXT,
            response_shipment_sku_quantity=st.none() | st.integers(0, 9),
            rma_number=_OPT_TEXT,
        ),
        max_size=2,
    ).map(tuple),
)
_ORDERS = st.builds(
    JetOrder,
    merchant_order_id=st.text("0123456789abcdef", min_size=32, max_size=32),
    reference_order_id=st.text("0123456789", min_size=12, max_size=12),
    fulfillment_node=_TEXT,
    hash_email=_TEXT,
    alt_order_id=_OPT_TEXT,
    status=_known(OrderStatus) | st.just(OrderStatus("on hold")),
    exception_state=st.none() | _known(ExceptionState),
    order_placed_date=_WHEN,
    order_transmission_date=_WHEN,
    order_ready_date=st.none() | _WHEN,
    jet_request_directed_cancel=st.booleans(),
    buyer=st.builds(Buyer, name=_TEXT, phone_number=_OPT_TEXT),
    shipping_to=st.builds(
        ShippingTo,
        recipient=st.builds(Recipient, name=_TEXT),
        address=st.builds(
            JetAddress, address1=_TEXT, address2=_OPT_TEXT, city=_TEXT, state=_TEXT, zip_code=_TEXT
        ),
    ),
    order_detail=st.none()
    | st.builds(OrderDetail, request_service_level=st.none() | _known(ServiceLevel)),
    order_items=st.lists(_ITEM, min_size=1, max_size=4).map(tuple),
    order_totals=st.builds(OrderTotals, item_price=_PRICE),
    shipments=st.lists(_SHIPMENT, max_size=2).map(tuple),
)


@given(_ORDERS)
def test_orders_round_trip_through_dict_and_json(order: JetOrder) -> None:
    assert JetOrder.from_dict(order.to_dict()) == order
    assert from_json(to_json(order), JetOrder) == order


@given(
    st.builds(
        JetReturn,
        merchant_return_authorization_id=_TEXT,
        return_status=_known(
            type(
                JetReturn.from_dict(
                    {"merchant_return_authorization_id": "r", "return_status": "created"}
                ).return_status
            )
        ),
        return_date=st.none() | _WHEN,
        merchant_return_charge=st.none() | _MONEY,
        return_merchant_skus=st.lists(
            st.builds(ReturnSku, order_item_id=_TEXT, return_quantity=st.integers(0, 9)),
            max_size=3,
        ).map(tuple),
    )
)
def test_returns_round_trip(value: JetReturn) -> None:
    assert JetReturn.from_dict(value.to_dict()) == value


@given(
    st.builds(
        MerchantSku,
        merchant_sku=_OPT_TEXT,
        asin=_OPT_TEXT,
        price=st.none() | _MONEY,
        sku_last_update=st.none() | _WHEN,
        is_archived=st.none() | st.booleans(),
    )
)
def test_merchant_skus_round_trip(value: MerchantSku) -> None:
    written = value.to_dict()
    assert "asin" not in written
    assert MerchantSku.from_dict(written) == value


def test_unstructure_of_a_tuple_of_models_gives_a_list_of_objects() -> None:
    nodes = FulfillmentNodes.from_dict({"fulfillment_nodes": [{"jet_fulfillment_node_id": "n"}]})
    assert unstructure(nodes.fulfillment_nodes) == [{"jet_fulfillment_node_id": "n"}]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("10.99", True),
        ("0.000000000001", True),  # twelve places
        ("1.5000000000000", True),  # thirteen, but the last is a trailing zero
        ("-2E-3", True),
        ("0.0000000000001", False),  # thirteen places
        ("999999999.9999999999999", False),
    ],
)
def test_an_amount_keeps_at_most_twelve_decimal_places(text: str, ok: bool) -> None:
    from jet_orderhive.jet._convert import structure
    from jet_orderhive.jet.errors import JetPayloadError
    from jet_orderhive.jet.models import ItemPrice

    zero = Decimal(0)
    body = {"base_price": Decimal(text), "item_shipping_cost": zero}
    if ok:
        assert structure(body, ItemPrice).base_price == Decimal(text)
    else:
        with pytest.raises(JetPayloadError, match="decimal places"):
            structure(body, ItemPrice)
