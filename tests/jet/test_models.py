"""Request models enforce Jet's local rules at construction; secrets never reach a repr."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jet_orderhive.jet import (
    Acknowledgement,
    AcknowledgementItem,
    AckStatus,
    Carrier,
    FileType,
    FileUploaded,
    InventoryUpdate,
    ItemAckStatus,
    JetFile,
    JetPayloadError,
    NodePrice,
    NodeQuantity,
    OrderUrls,
    PriceUpdate,
    RefundAmount,
    RefundReason,
    RefundRequestItem,
    RefundUrls,
    ReturnUrls,
    ShipNotice,
    ShipNoticeItem,
    ShipNoticeShipment,
    SkuUrls,
    Token,
    TokenRequest,
    UploadToken,
)

WHEN = datetime(2016, 5, 10, 15, tzinfo=UTC)


def _item(sku: str = "A", shipped: int = 1, cancelled: int | None = None) -> ShipNoticeItem:
    return ShipNoticeItem(
        merchant_sku=sku,
        response_shipment_sku_quantity=shipped,
        response_shipment_cancel_qty=cancelled,
    )


def _ack_item(status: ItemAckStatus) -> AcknowledgementItem:
    return AcknowledgementItem(order_item_id="i1", order_item_acknowledgement_status=status)


def test_accepting_an_order_requires_every_item_fulfillable() -> None:
    with pytest.raises(ValueError, match="rejected - item level error"):
        Acknowledgement(
            acknowledgement_status=AckStatus.ACCEPTED,
            order_items=(_ack_item(ItemAckStatus.NONFULFILLABLE_NO_INVENTORY),),
        )
    rejected = Acknowledgement(
        acknowledgement_status=AckStatus.REJECTED_ITEM_LEVEL_ERROR,
        order_items=(_ack_item(ItemAckStatus.NONFULFILLABLE_NO_INVENTORY),),
    )
    assert rejected.to_dict()["acknowledgement_status"] == "rejected - item level error"


def test_an_acknowledgement_needs_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="order_items: Jet needs at least one entry"):
        Acknowledgement(acknowledgement_status=AckStatus.ACCEPTED, order_items=())


def test_an_unknown_enum_value_is_refused_in_a_request_naming_field_and_allowed_values() -> None:
    with pytest.raises(ValueError, match="acknowledgement_status: 'on hold'") as caught:
        Acknowledgement(
            acknowledgement_status=AckStatus("on hold"),
            order_items=(_ack_item(ItemAckStatus.FULFILLABLE),),
        )
    assert "'rejected - fraud'" in str(caught.value)
    with pytest.raises(ValueError, match="carrier: 'Pony Express' is not a documented Carrier"):
        ShipNoticeShipment(
            shipment_tracking_number="1Z1",
            response_shipment_date=WHEN,
            carrier=Carrier("Pony Express"),
            shipment_items=(_item(),),
        )


def test_an_unknown_enum_value_in_a_request_payload_is_a_payload_error_with_a_path() -> None:
    with pytest.raises(JetPayloadError) as caught:
        Acknowledgement.from_dict(
            {
                "acknowledgement_status": "accepted",
                "order_items": [
                    {"order_item_id": "i1", "order_item_acknowledgement_status": "maybe"}
                ],
            }
        )
    (problem,) = caught.value.errors
    assert problem.startswith("order_items[0]: order_item_acknowledgement_status: 'maybe'")


def test_a_request_payload_with_an_unknown_key_is_refused() -> None:
    with pytest.raises(JetPayloadError, match="unknown keys \\['colour'\\]"):
        PriceUpdate.from_dict({"price": Decimal("9.99"), "colour": "red"})


def test_a_cancel_only_shipment_needs_its_own_alt_shipment_id() -> None:
    with pytest.raises(ValueError, match="alt_shipment_id"):
        ShipNoticeShipment(shipment_items=(_item(shipped=0, cancelled=1),))
    cancel = ShipNoticeShipment(
        alt_shipment_id="CANCEL-1", shipment_items=(_item(shipped=0, cancelled=1),)
    )
    assert cancel.to_dict() == {
        "alt_shipment_id": "CANCEL-1",
        "shipment_items": [
            {
                "merchant_sku": "A",
                "response_shipment_sku_quantity": 0,
                "response_shipment_cancel_qty": 1,
            }
        ],
    }


@pytest.mark.parametrize("tracking", [None, "", "1Z"])
def test_shipped_units_need_a_tracking_number_of_three_characters(tracking: str | None) -> None:
    with pytest.raises(ValueError, match="shipment_tracking_number"):
        ShipNoticeShipment(
            shipment_tracking_number=tracking,
            response_shipment_date=WHEN,
            shipment_items=(_item(),),
        )


def test_shipped_units_need_a_ship_date() -> None:
    with pytest.raises(ValueError, match="response_shipment_date"):
        ShipNoticeShipment(shipment_tracking_number="1Z1", shipment_items=(_item(),))


def test_naive_ship_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        ShipNoticeShipment(
            shipment_tracking_number="1Z1",
            response_shipment_date=datetime(2016, 5, 10, 15),
            shipment_items=(_item(),),
        )


def test_quantities_and_zip_codes_follow_jets_bounds() -> None:
    with pytest.raises(ValueError, match="response_shipment_sku_quantity: must be 0 or more"):
        _item(shipped=-1)
    with pytest.raises(ValueError, match="days_to_return"):
        ShipNoticeItem(merchant_sku="A", response_shipment_sku_quantity=1, days_to_return=31)
    with pytest.raises(ValueError, match="ship_from_zip_code: must be exactly 5"):
        ShipNoticeShipment(
            shipment_tracking_number="1Z1",
            response_shipment_date=WHEN,
            ship_from_zip_code="1000",
            shipment_items=(_item(),),
        )
    with pytest.raises(ValueError, match="shipments: Jet needs at least one entry"):
        ShipNotice(shipments=())
    with pytest.raises(ValueError, match="quantity: must be 0 or more"):
        NodeQuantity(fulfillment_node_id="n", quantity=-1)
    with pytest.raises(ValueError, match="fulfillment_nodes"):
        InventoryUpdate(fulfillment_nodes=())


@pytest.mark.parametrize("price", [Decimal(0), Decimal("-1.00")])
def test_prices_must_be_positive(price: Decimal) -> None:
    with pytest.raises(ValueError, match="price: must be greater than 0"):
        PriceUpdate(price=price)
    with pytest.raises(ValueError, match="fulfillment_node_price: must be greater than 0"):
        NodePrice(fulfillment_node_id="n", fulfillment_node_price=price)


def test_a_float_price_is_refused_at_construction() -> None:
    with pytest.raises(TypeError, match="money must be a Decimal"):
        PriceUpdate(price=9.99)  # type: ignore[arg-type]


def test_a_refund_line_must_name_its_order_item() -> None:
    amount = RefundAmount(
        principal=Decimal(1), tax=Decimal(0), shipping_cost=Decimal(0), shipping_tax=Decimal(0)
    )
    with pytest.raises(ValueError, match="order_item_id or alt_order_item_id"):
        RefundRequestItem(
            order_return_refund_qty=1,
            refund_reason=RefundReason.ACCIDENTAL_ORDER,
            refund_amount=amount,
        )


def test_secrets_are_not_in_reprs() -> None:
    request = TokenRequest(user="api-user", password="hunter2-secret")
    token = Token(id_token="eyJ.secret.token", access_token="other-secret")
    sas = "https://jetupload.blob.core.windows.net/merchant-files/f1?sig=SIGNATURE"
    upload = UploadToken(url=sas, jet_file_id="f1", expires_in_seconds=1800)
    uploaded = FileUploaded(url=sas, file_type=FileType.PRICE, file_name="p.json.gz")
    status = JetFile.from_dict({"status": "Acknowledged", "url": sas})
    for value, secret in [
        (request, "hunter2-secret"),
        (token, "eyJ.secret.token"),
        (token, "other-secret"),
        (upload, "SIGNATURE"),
        (uploaded, "SIGNATURE"),
        (status, "SIGNATURE"),
    ]:
        assert secret not in repr(value)
        assert secret not in str(value)
    assert request.to_dict() == {"user": "api-user", "pass": "hunter2-secret"}
    assert TokenRequest.from_dict({"user": "u", "pass": "p"}).password == "p"


def test_list_answers_give_ids_from_their_urls() -> None:
    orders = OrderUrls.from_dict({"order_urls": ["/orders/withoutShipmentDetail/abc123"]})
    assert orders.order_ids == ("abc123",)
    returns = ReturnUrls.from_dict({"return_urls": ["/returns/state/r1", "/return/state/r2"]})
    assert returns.return_ids == ("r1", "r2")
    skus = SkuUrls.from_dict({"sku_urls": ["merchant-skus/RED%2FXL%20shirt", "merchant-skus/B"]})
    assert skus.skus == ("RED/XL shirt", "B")


def test_refund_lists_read_either_key_and_write_refund_urls() -> None:
    documented = RefundUrls.from_dict({"sku_urls": ["refunds/1", "refunds/2"]})
    observed = RefundUrls.from_dict({"refund_urls": ["/refunds/state/1", "/refunds/state/2"]})
    assert documented.refund_ids == observed.refund_ids == ("1", "2")
    assert documented.to_dict() == {"refund_urls": ["refunds/1", "refunds/2"]}


def test_upload_token_falls_back_to_the_blob_name_for_its_file_id() -> None:
    token = UploadToken.from_dict(
        {"url": "https://jetupload.blob.core.windows.net/merchant-files/dca10a?sv=1&sig=x"}
    )
    assert token.jet_file_id is None
    assert token.file_id == "dca10a"
    assert UploadToken(url="https://x/y/z?sig=1", jet_file_id="given").file_id == "given"


def test_models_are_frozen_and_hashable() -> None:
    item = _item()
    with pytest.raises(AttributeError):
        item.merchant_sku = "B"  # type: ignore[misc]
    assert hash(item) == hash(_item())
