"""The id inside a body must be the id it was fetched under; list entries must be plain ids."""

from __future__ import annotations

import logging

import httpx
import pytest
from client_fixtures import both_clients, harness, json_response, order_body, order_id

from jet_orderhive._json import dumps
from jet_orderhive.jet.errors import JetPayloadError

LISTED = order_id(1)
OTHER = order_id(2)
DETAIL = "/api/orders/withoutShipmentDetail/"


@both_clients
async def test_a_body_naming_another_order_is_a_payload_error_with_its_bytes(kind: str) -> None:
    swapped = dumps(order_body(OTHER)).encode()
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", DETAIL + LISTED, httpx.Response(200, content=swapped))
        fetched = await h.collect("fetch_orders", [LISTED, OTHER])
    assert [f.order_id for f in fetched] == [LISTED, OTHER]
    first, second = fetched
    assert isinstance(first.error, JetPayloadError)
    assert first.order is None
    assert first.raw == swapped
    assert "merchant_order_id" in str(first.error)
    assert LISTED in str(first.error)
    assert second.ok
    assert second.order is not None
    assert second.order.merchant_order_id == OTHER


@both_clients
async def test_get_order_refuses_a_body_naming_another_order(kind: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", DETAIL + LISTED, json_response(200, order_body(OTHER)))
        with pytest.raises(JetPayloadError, match="merchant_order_id"):
            await h.call("get_order", LISTED)


@both_clients
async def test_a_duplicated_id_key_is_a_payload_error_even_if_one_value_matches(kind: str) -> None:
    text = dumps(order_body(LISTED)).replace(
        '"merchant_order_id"', f'"merchant_order_id":"{OTHER}","merchant_order_id"', 1
    )
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", DETAIL + LISTED, httpx.Response(200, content=text.encode()))
        (fetched,) = await h.collect("fetch_orders", [LISTED])
    assert isinstance(fetched.error, JetPayloadError)
    assert fetched.raw == text.encode()


@both_clients
async def test_list_entries_that_are_not_plain_ids_are_left_out_and_reported(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="jet_orderhive")
    urls = [
        "/orders/withoutShipmentDetail/" + LISTED,
        "/orders/withoutShipmentDetail/" + OTHER + "?x=1",
        "/orders/withoutShipmentDetail/" + OTHER + "#frag",
        "/orders/withoutShipmentDetail/a%2Fb",
        "/orders/withoutShipmentDetail/%0Aevil",
        "/orders/withoutShipmentDetail/..",
        "/orders/withoutShipmentDetail/%ED%B3%80",
        "",
        "/orders/withoutShipmentDetail/" + order_id(3),
    ]
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", "/api/orders/ready", json_response(200, {"order_urls": urls}))
        ids = await h.call("list_order_ids", "ready")
        h.jet.script("GET", "/api/returns/created", json_response(200, {"return_urls": urls}))
        return_ids = await h.call("list_return_ids", "created")
    assert ids == [LISTED, order_id(3)]
    assert return_ids == [LISTED, order_id(3)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("7 entries" in w and "list_order_ids" in w for w in warnings), warnings
    assert any("7 entries" in w and "list_return_ids" in w for w in warnings), warnings
    assert all("evil" not in w for w in warnings)


@both_clients
async def test_sku_entries_that_cannot_be_sent_back_are_left_out(kind: str) -> None:
    urls = ["merchant-skus/A%2FB%201", "merchant-skus/bad%0Asku", "merchant-skus/ok"]
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", "/api/merchant-skus", json_response(200, {"sku_urls": urls}))
        skus = await h.collect("iter_skus", page_size=100)
    assert skus == ["A/B 1", "ok"]
