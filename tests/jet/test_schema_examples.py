"""Every response example Jet published (and every recorded body) reads into its model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jet_orderhive.jet import (
    FulfillmentNodes,
    JetFile,
    JetModel,
    JetOrder,
    JetPayloadError,
    JetRefund,
    JetReturn,
    MerchantSku,
    OrderUrls,
    RefundCreated,
    RefundUrls,
    ReturnUrls,
    SkuInventory,
    SkuPrice,
    SkuUrls,
    Token,
    UploadToken,
)

# Payloads the library reads, mapped explicitly to the model that reads them.
READ_EXAMPLES: dict[str, type[JetModel]] = {
    "orders/order-links.example.json": OrderUrls,
    "returns/return-links.example.json": ReturnUrls,
    "returns/return-notification.example.json": JetReturn,
    "refund/refund-links.example.json": RefundUrls,
    "refund/refund-response.example.json": RefundCreated,
    "refund/refund-status.example.json": JetRefund,
    "merchant-skus/links.example.json": SkuUrls,
    "merchant-skus/merchantSkus-get.example.json": MerchantSku,
    "merchant-skus/merchantSkus-price.example.json": SkuPrice,
    "merchant-skus/merchantSkus-inventory.example.json": SkuInventory,
    "files/files-token.example.json": UploadToken,
    "token/token-return.example.json": Token,
    "extra-schema/setup-fulfillmentNode.example.json": FulfillmentNodes,
    "merchant-sku-get.sandbox-2015-10-12.json": MerchantSku,
    "ruby-jet.files-uploadToken-response.json": UploadToken,
    "ruby-jet.files-uploaded-response.json": JetFile,
    "ruby-jet.refund-create-response.json": RefundCreated,
    "ruby-jet.refund-state-response.json": JetRefund,
    "ruby-jet.refunds-list-response.json": RefundUrls,
    "ruby-jet.token-response.json": Token,
}

# Jet's hand-written examples that carry the documented broken date "2014-07-26T:04:00...":
# each must fail, and name every broken field by its JSON path.
BROKEN_EXAMPLES: dict[str, tuple[type[JetModel], set[str]]] = {
    "orders/order-only.example.json": (JetOrder, {"order_detail.request_ship_by"}),
    "orders/order.example.json": (JetOrder, {"shipments[0].request_ship_by"}),
    "files/files-status.example.json": (
        JetFile,
        {"received", "processing_start", "processing_end"},
    ),
}


@pytest.mark.parametrize(("relative", "model"), READ_EXAMPLES.items())
def test_published_response_example_reads_into_its_model(
    jet_json: Callable[[str], Any], relative: str, model: type[JetModel]
) -> None:
    data = jet_json(relative)
    parsed = model.from_dict(data)
    assert isinstance(parsed, model)
    # Reading and writing back loses nothing the example said (key spellings included).
    assert model.from_dict(parsed.to_dict()) == parsed


@pytest.mark.parametrize(("relative", "expected"), BROKEN_EXAMPLES.items())
def test_documented_broken_dates_fail_with_their_json_paths(
    jet_json: Callable[[str], Any], relative: str, expected: tuple[type[JetModel], set[str]]
) -> None:
    model, paths = expected
    with pytest.raises(JetPayloadError) as caught:
        model.from_dict(jet_json(relative))
    error = caught.value
    assert error.model == model.__name__
    assert {line.split(":", 1)[0] for line in error.errors} == paths
    assert all("2014-07-26T:04:0" in line for line in error.errors)


@pytest.mark.parametrize(
    "relative", ["orders/order-only.example.json", "orders/order.example.json"]
)
def test_order_examples_read_once_the_documented_date_typo_is_fixed(
    jet_json: Callable[[str], Any], relative: str
) -> None:
    data = jet_json(relative)
    text_fix = "2014-07-26T04:00:00.0000000Z"
    if "order_detail" in data:
        data["order_detail"]["request_ship_by"] = text_fix
    for shipment in data.get("shipments", []):
        shipment["request_ship_by"] = text_fix
    order = JetOrder.from_dict(data)
    assert order.merchant_order_id == "9b13bdd68c314d1b9c8b93277dea4da1"
    assert (
        order.order_items[0].item_price.item_shipping_tax
        == data["order_items"][0]["item_price"]["item_shipping_tax"]
    )
    assert JetOrder.from_dict(order.to_dict()) == order


def test_order_with_shipment_detail_reads_jets_planned_shipment(
    jet_json: Callable[[str], Any],
) -> None:
    data = jet_json("orders/order.example.json")
    data["shipments"][0]["request_ship_by"] = "2014-07-26T04:00:00.0000000Z"
    order = JetOrder.from_dict(data)
    (shipment,) = order.shipments
    assert shipment.request_shipping_box == "C01"
    assert shipment.shipment_items[0].request_shipment_sku_quantity == 2
    # "item" is not among Jet's documented adjustment types: read, but marked unknown.
    adjustment_type = order.order_items[0].fee_adjustments[0].adjustment_type
    assert adjustment_type is not None
    assert not adjustment_type.is_known
    assert str(adjustment_type) == "item"


def test_schema_folder_is_where_the_tests_look(seller_schema: Path) -> None:
    missing = [
        name for name in (*READ_EXAMPLES, *BROKEN_EXAMPLES) if not (seller_schema / name).exists()
    ]
    assert missing == []
