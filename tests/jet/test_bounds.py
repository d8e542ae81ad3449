"""Quantities and amounts outside plausible ranges are payload errors naming their path."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from client_fixtures import both_clients, harness, order_body, order_id

from jet_orderhive._json import dumps
from jet_orderhive.jet._convert import MAX_AMOUNT, MAX_INTEGER, MAX_QUANTITY, from_json
from jet_orderhive.jet.errors import JetPayloadError
from jet_orderhive.jet.models import JetOrder, MerchantSku

OID = order_id(9)


def _order(quantity: str = "1", base_price: str = "10.00") -> str:
    body = order_body(OID)
    text = dumps(body)
    items = body["order_items"]
    first = items[0]
    old_quantity = f'"request_order_quantity":{first["request_order_quantity"]}'
    text = text.replace(old_quantity, f'"request_order_quantity":{quantity}', 1)
    old_price = f'"base_price":{first["item_price"]["base_price"]}'
    return text.replace(old_price, f'"base_price":{base_price}', 1)


def _errors(text: str) -> list[str]:
    with pytest.raises(JetPayloadError) as caught:
        from_json(text, JetOrder)
    return list(caught.value.errors)


@pytest.mark.parametrize(
    "quantity", ["-1", str(MAX_QUANTITY + 1), str(10**18), "1" + "0" * 4000, "1.5", "1e3"]
)
def test_an_implausible_quantity_is_a_payload_error_at_its_path(quantity: str) -> None:
    errors = _errors(_order(quantity=quantity))
    assert any(e.startswith("order_items[0].request_order_quantity:") for e in errors), errors
    assert all(len(e) < 300 for e in errors), "a 4,000-digit number is not quoted whole"


@pytest.mark.parametrize("quantity", ["0", "1", str(MAX_QUANTITY)])
def test_a_plausible_quantity_is_read(quantity: str) -> None:
    order = from_json(_order(quantity=quantity), JetOrder)
    assert order.order_items[0].request_order_quantity == int(quantity)


@pytest.mark.parametrize(
    "amount",
    [str(MAX_AMOUNT + 1), "-" + str(MAX_AMOUNT + 1), "1e400", "1" + "0" * 4000, "0.0000000000001"],
)
def test_an_implausible_amount_is_a_payload_error_at_its_path(amount: str) -> None:
    errors = _errors(_order(base_price=amount))
    assert any(e.startswith("order_items[0].item_price.base_price:") for e in errors), errors
    assert all(len(e) < 300 for e in errors)


@pytest.mark.parametrize("amount", ["0", "0.01", "-5.25", "999999999.99", "12.345678"])
def test_a_plausible_amount_is_read(amount: str) -> None:
    order = from_json(_order(base_price=amount), JetOrder)
    assert order.order_items[0].item_price.base_price == Decimal(amount)


def test_any_other_integer_is_bounded_too() -> None:
    with pytest.raises(JetPayloadError, match="jet_browse_node_id"):
        from_json(f'{{"jet_browse_node_id": {MAX_INTEGER + 1}}}', MerchantSku)
    sku = from_json(f'{{"jet_browse_node_id": {MAX_INTEGER}}}', MerchantSku)
    assert sku.jet_browse_node_id == MAX_INTEGER


@both_clients
async def test_an_order_with_an_implausible_quantity_is_quarantined_with_its_bytes(
    kind: str,
) -> None:
    text = _order(quantity=str(10**18)).encode()
    async with harness(kind, rate_limit=None) as h:
        h.jet.script(
            "GET", "/api/orders/withoutShipmentDetail/" + OID, httpx.Response(200, content=text)
        )
        (fetched,) = await h.collect("fetch_orders", [OID])
    assert isinstance(fetched.error, JetPayloadError)
    assert fetched.raw == text


@pytest.mark.parametrize("value", ["null", '"3"', "true"])
def test_a_required_quantity_of_the_wrong_type_is_a_payload_error(value: str) -> None:
    errors = _errors(_order(quantity=value))
    assert any(e.startswith("order_items[0].request_order_quantity:") for e in errors), errors
