"""Every request body the library sends validates against Jet's own published schema for it.

Jet's schemas are draft-03 style (``"required": true`` on properties) and Jet validated them in
its own dialect (its README): ``additionalProperties`` is false unless stated, ``exclusiveMinimum``
is a number, and ``date-time`` means ``yyyy-MM-ddTHH:mm:ss.fffffff-HH:MM``. ``_jet_dialect``
rewrites a schema into standard draft-03 with those rules so ``jsonschema`` enforces them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from jet_orderhive.jet import (
    Acknowledgement,
    AcknowledgementItem,
    AckStatus,
    ArchiveStatus,
    Carrier,
    ChargeFeedback,
    CompleteReturn,
    CompleteReturnItem,
    FileType,
    FileUploaded,
    InventoryUpdate,
    ItemAckStatus,
    JetRequest,
    NodePrice,
    NodeQuantity,
    PriceUpdate,
    RedirectNotification,
    RefundAmount,
    RefundFeedback,
    RefundReason,
    RefundRequest,
    RefundRequestItem,
    ReturnLocation,
    ShipNotice,
    ShipNoticeItem,
    ShipNoticeShipment,
    TokenRequest,
)
from jet_orderhive.jet._time import is_request_form

EASTERN = timezone(timedelta(hours=-4))
NODE = "f670d2c5c326464a9253a848553e62c3"


def _jet_dialect(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_jet_dialect(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _jet_dialect(value) for key, value in schema.items()}
    if result.get("type") == "object" and "additionalProperties" not in result:
        result["additionalProperties"] = False
    bound = result.get("exclusiveMinimum")
    if isinstance(bound, (int, float, Decimal)) and not isinstance(bound, bool):
        result["minimum"] = max(bound, result.get("minimum", bound))
        result["exclusiveMinimum"] = True
    return result


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _jet_date_time(value: object) -> bool:
    return not isinstance(value, str) or is_request_form(value)


def _validator(schema: Any) -> jsonschema.Draft3Validator:
    return jsonschema.Draft3Validator(_jet_dialect(schema), format_checker=_FORMATS)


def _problems(schema: Any, body: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in _validator(schema).iter_errors(body)
    ]


def _ack_schema(jet_json: Callable[[str], Any]) -> Any:
    schema = copy.deepcopy(jet_json("orders/order-acknowledgement.schema.json"))
    # Jet's schema lists five statuses; production clients also sent these two (jet-api.md §3.4).
    schema["properties"]["acknowledgement_status"]["enum"] += [
        "rejected - other",
        "rejected - fraud",
    ]
    return schema


def _shipped_schema(jet_json: Callable[[str], Any]) -> Any:
    schema = copy.deepcopy(jet_json("orders/order-shippedNotification.schema.json"))
    # redirect_notification was added to the API in 2017, after the last schema was published.
    schema["properties"]["shipments"]["items"]["properties"]["redirect_notification"] = {
        "type": "object",
        "properties": {
            "redirect_node": {"type": "string", "required": True},
            "is_redirect_for_zero_inventory": {"type": "boolean", "required": True},
        },
    }
    return schema


def _amount(principal: str) -> RefundAmount:
    return RefundAmount(
        principal=Decimal(principal),
        tax=Decimal("0.89"),
        shipping_cost=Decimal("1.00"),
        shipping_tax=Decimal("0.07"),
    )


def _full_ship_notice() -> ShipNotice:
    shipped = datetime(2016, 5, 10, 15, 0, tzinfo=EASTERN)
    return ShipNotice(
        alt_order_id="100023",
        shipments=(
            ShipNoticeShipment(
                alt_shipment_id="SHIP-100023-1",
                shipment_tracking_number="1Z12345E0205271688",
                response_shipment_date=shipped,
                response_shipment_method="UPS Ground",
                expected_delivery_date=shipped + timedelta(days=3),
                ship_from_zip_code="10001",
                carrier_pick_up_date=shipped + timedelta(hours=2),
                carrier=Carrier.UPS,
                shipment_items=(
                    ShipNoticeItem(
                        merchant_sku="B289B4B",
                        response_shipment_sku_quantity=1,
                        response_shipment_cancel_qty=1,
                        rma_number="RMA-1",
                        days_to_return=30,
                        return_location=ReturnLocation(
                            address1="1 Main St", city="New York", state="NY", zip_code="10001"
                        ),
                    ),
                ),
                redirect_notification=RedirectNotification(
                    redirect_node=NODE, is_redirect_for_zero_inventory=True
                ),
            ),
            ShipNoticeShipment(
                alt_shipment_id="CANCEL-100023-1",
                shipment_items=(
                    ShipNoticeItem(
                        merchant_sku="C1",
                        response_shipment_sku_quantity=0,
                        response_shipment_cancel_qty=2,
                    ),
                ),
            ),
        ),
    )


def _bodies() -> dict[str, tuple[str, JetRequest]]:
    """Request model instances keyed by case name, with the schema file each must satisfy."""
    return {
        "token": ("token/token-get.schema.json", TokenRequest(user="api-user", password="s3cr3t")),
        "acknowledge-accept": (
            "orders/order-acknowledgement.schema.json",
            Acknowledgement(
                acknowledgement_status=AckStatus.ACCEPTED,
                alt_order_id="100023",
                order_items=(
                    AcknowledgementItem(
                        order_item_id="8f5ae15b6b414b00a1b9d6ad99166a00",
                        order_item_acknowledgement_status=ItemAckStatus.FULFILLABLE,
                        alt_order_item_id="100023-1",
                    ),
                ),
            ),
        ),
        "acknowledge-reject-fraud": (
            "orders/order-acknowledgement.schema.json",
            Acknowledgement(
                acknowledgement_status=AckStatus.REJECTED_FRAUD,
                order_items=(
                    AcknowledgementItem(
                        order_item_id="8f5ae15b6b414b00a1b9d6ad99166a00",
                        order_item_acknowledgement_status=ItemAckStatus.NONFULFILLABLE_NO_INVENTORY,
                    ),
                ),
            ),
        ),
        "shipped": ("orders/order-shippedNotification.schema.json", _full_ship_notice()),
        "price": (
            "merchant-skus/merchantSkus-price.schema.json",
            PriceUpdate(
                price=Decimal("29.99"),
                fulfillment_nodes=(
                    NodePrice(fulfillment_node_id=NODE, fulfillment_node_price=Decimal("30.50")),
                ),
            ),
        ),
        "price-only": (
            "merchant-skus/merchantSkus-price.schema.json",
            PriceUpdate(price=Decimal(9)),
        ),
        "inventory": (
            "merchant-skus/merchantSkus-inventory.schema.json",
            InventoryUpdate(
                fulfillment_nodes=(NodeQuantity(fulfillment_node_id=NODE, quantity=0),)
            ),
        ),
        "archive": (
            "merchant-skus/merchantSkus-archiveStatus.schema.json",
            ArchiveStatus(is_archived=True),
        ),
        "complete-return": (
            "returns/return-orderRefund.schema.json",
            CompleteReturn(
                merchant_order_id="9b13bdd68c314d1b9c8b93277dea4da1",
                alt_order_id="12345678",
                items=(
                    CompleteReturnItem(
                        order_item_id="ac62a44553734370b7ec90ee320f6eca",
                        total_quantity_returned=1,
                        order_return_refund_qty=1,
                        return_refund_feedback=RefundFeedback.CUSTOMER_OPENED_ITEM,
                        notes="opened",
                        refund_amount=_amount("12.75"),
                    ),
                ),
                agree_to_return_charge=False,
                return_charge_feedback=ChargeFeedback.NOT_MERCHANT_ERROR,
            ),
        ),
        "refund": (
            "refund/refund.schema.json",
            RefundRequest(
                items=(
                    RefundRequestItem(
                        alt_order_item_id="A1223456",
                        order_return_refund_qty=1,
                        refund_reason=RefundReason.PACKAGE_ARRIVED_LATE,
                        refund_feedback=RefundFeedback.ITEM_DAMAGED,
                        refund_amount=_amount("12.75"),
                    ),
                ),
            ),
        ),
        "file-uploaded": (
            "files/files-uploaded.schema.json",
            FileUploaded(
                url="https://jetupload.blob.core.windows.net/merchant-files/x?sig=abc",
                file_type=FileType.INVENTORY,
                file_name="inventory.json.gz",
            ),
        ),
    }


def _schema_for(relative: str, jet_json: Callable[[str], Any]) -> Any:
    if relative == "orders/order-acknowledgement.schema.json":
        return _ack_schema(jet_json)
    if relative == "orders/order-shippedNotification.schema.json":
        return _shipped_schema(jet_json)
    return jet_json(relative)


@pytest.mark.parametrize("case", sorted(_bodies()))
def test_request_body_validates_against_jets_schema(
    jet_json: Callable[[str], Any], case: str
) -> None:
    relative, model = _bodies()[case]
    body = model.to_dict()
    assert _problems(_schema_for(relative, jet_json), body) == []
    assert type(model).from_dict(body) == model


@pytest.mark.parametrize("case", sorted(_bodies()))
def test_an_unknown_key_in_a_request_body_fails_jets_schema(
    jet_json: Callable[[str], Any], case: str
) -> None:
    relative, model = _bodies()[case]
    body = {**model.to_dict(), "surprise": 1}
    assert any(
        "surprise" in problem for problem in _problems(_schema_for(relative, jet_json), body)
    )


def test_ship_dates_are_sent_in_jets_request_form(jet_json: Callable[[str], Any]) -> None:
    body = _full_ship_notice().to_dict()
    shipment = body["shipments"][0]
    assert isinstance(shipment, dict)
    assert shipment["response_shipment_date"] == "2016-05-10T15:00:00.0000000-04:00"
    # The dialect's date-time check is live: Jet's own timestamp form is refused in a request.
    shipment["response_shipment_date"] = "2016-05-10T19:00:00.0000000Z"
    problems = _problems(_shipped_schema(jet_json), body)
    assert any("response_shipment_date" in problem for problem in problems)


def test_utc_ship_date_is_sent_with_an_explicit_zero_offset() -> None:
    notice = ShipNotice(
        shipments=(
            ShipNoticeShipment(
                shipment_tracking_number="1Z1",
                response_shipment_date=datetime(2016, 5, 10, 19, 0, 0, 123456, tzinfo=UTC),
                carrier=Carrier.FEDEX,
                shipment_items=(
                    ShipNoticeItem(merchant_sku="A", response_shipment_sku_quantity=1),
                ),
            ),
        )
    )
    shipment = notice.to_dict()["shipments"]
    assert isinstance(shipment, list)
    assert shipment[0]["response_shipment_date"] == "2016-05-10T19:00:00.1234560+00:00"


@pytest.mark.parametrize(
    ("relative", "model", "legacy_keys"),
    [
        ("token/token-get.example.json", TokenRequest, ()),
        # "shipments" in Jet's acknowledgement example is the legacy Jet-defined-shipments form.
        ("orders/order-acknowledgement.example.json", Acknowledgement, ("shipments",)),
        ("orders/order-shippedNotification.example.json", ShipNotice, ()),
        ("merchant-skus/merchantSkus-price.example.json", PriceUpdate, ()),
        ("merchant-skus/merchantSkus-inventory.example.json", InventoryUpdate, ()),
        ("merchant-skus/merchantSkus-archiveStatus.example.json", ArchiveStatus, ()),
        ("returns/return-orderRefund.example.json", CompleteReturn, ()),
        ("refund/refund.example.json", RefundRequest, ()),
        ("files/files-uploaded.example.json", FileUploaded, ()),
    ],
)
def test_jets_request_examples_are_written_back_identically(
    jet_json: Callable[[str], Any],
    relative: str,
    model: type[JetRequest],
    legacy_keys: tuple[str, ...],
) -> None:
    example = {k: v for k, v in jet_json(relative).items() if k not in legacy_keys}
    assert model.from_dict(example).to_dict() == example
