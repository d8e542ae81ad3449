"""Merchant SKUs in the sandbox: product, price, inventory, archive and listing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from jet_orderhive._json import dumps, loads
from jet_orderhive.testing import JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)
NODE_A, NODE_B = "a" * 32, "b" * 32
PRODUCT = {
    "product_title": "Blue Cotton Socks, 3 Pack",
    "brand": "Acme",
    "multipack_quantity": 1,
    "mfr_part_number": "AC-SOCK-3",
    "main_image_url": "https://example.com/img/sock.jpg",
}


@pytest.fixture
def sandbox() -> JetSandbox:
    return JetSandbox(seed=5, clock=lambda: NOW, fulfillment_node_ids=(NODE_A, NODE_B))


def send(api: httpx.Client, method: str, path: str, body: object) -> httpx.Response:
    return api.request(method, path, content=dumps(body))


def inventory(api: httpx.Client, path: str) -> dict[str, Any]:
    nodes = loads(api.get(path + "/inventory").content)["fulfillment_nodes"]
    return {n["fulfillment_node_id"]: n["quantity"] for n in nodes}


def test_sku_with_slash_and_space_round_trips_through_an_encoded_path(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    created = send(api, "PUT", "merchant-skus/A%2FB%201", PRODUCT)
    updated = send(api, "PUT", "merchant-skus/A%2FB%201", {**PRODUCT, "brand": "Acme Two"})

    assert (created.status_code, updated.status_code) == (201, 204)
    body = api.get("merchant-skus/A%2FB%201").json()
    assert body["merchant_sku"] == "A/B 1"
    assert body["brand"] == "Acme Two"
    assert body["sku_last_update"] == "2020-03-02T12:00:00.0000000+00:00"
    assert api.get("merchant-skus").json() == {"sku_urls": ["merchant-skus/A%2FB%201"]}
    assert sandbox.requests[-3].path == "/merchant-skus/A/B 1"


def test_status_follows_price_inventory_and_archive(sandbox: JetSandbox, api: httpx.Client) -> None:
    send(api, "PUT", "merchant-skus/S1", PRODUCT)
    assert api.get("merchant-skus/S1").json()["status"] == "Missing Listing Data"

    assert (
        send(api, "PUT", "merchant-skus/S1/price", {"price": Decimal("19.99")}).status_code == 204
    )
    inv = {"fulfillment_nodes": [{"fulfillment_node_id": NODE_A, "quantity": 4}]}
    assert send(api, "PATCH", "merchant-skus/S1/inventory", inv).status_code == 204
    assert api.get("merchant-skus/S1").json()["status"] == "Under Jet Review"

    assert (
        send(api, "PUT", "merchant-skus/S1/status/archive", {"is_archived": True}).status_code
        == 204
    )
    document = loads(api.get("merchant-skus/S1").content)
    assert document["status"] == "Archived"
    assert document["price"] == Decimal("19.99")


def test_put_inventory_replaces_and_patch_changes_only_listed_nodes(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    sandbox.add_sku("S1", quantities={NODE_A: 5, NODE_B: 7})

    send(
        api,
        "PATCH",
        "merchant-skus/S1/inventory",
        {"fulfillment_nodes": [{"fulfillment_node_id": NODE_A, "quantity": 1}]},
    )
    assert inventory(api, "merchant-skus/S1") == {NODE_A: 1, NODE_B: 7}

    send(
        api,
        "PUT",
        "merchant-skus/S1/inventory",
        {"fulfillment_nodes": [{"fulfillment_node_id": NODE_B, "quantity": 2}]},
    )
    assert inventory(api, "merchant-skus/S1") == {NODE_B: 2}


def test_inventory_for_a_foreign_node_is_400(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.add_sku("S1")

    response = send(
        api,
        "PATCH",
        "merchant-skus/S1/inventory",
        {"fulfillment_nodes": [{"fulfillment_node_id": "c" * 32, "quantity": 1}]},
    )

    assert response.status_code == 400
    assert "is not one of the merchant's fulfillment nodes" in response.json()["errors"][0]


def test_archived_sku_ignores_inventory_updates(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.add_sku("S1", quantities={NODE_A: 5})
    sandbox.archive_sku("S1")

    response = send(
        api,
        "PATCH",
        "merchant-skus/S1/inventory",
        {"fulfillment_nodes": [{"fulfillment_node_id": NODE_A, "quantity": 0}]},
    )

    assert response.status_code == 204
    assert inventory(api, "merchant-skus/S1") == {NODE_A: 5}
    assert sandbox.sku("S1")["status"] == "Archived"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"price": 0}, "price: must be greater than 0"),
        ({"price": "9.99"}, "price: expected a number, got a string"),
        (
            {
                "price": 5,
                "fulfillment_nodes": [
                    {"fulfillment_node_id": "c" * 32, "fulfillment_node_price": 5}
                ],
            },
            "is not one of the merchant's fulfillment nodes",
        ),
        ({"price": 5, "currency": "USD"}, "currency: unknown field"),
    ],
)
def test_invalid_price_is_400(
    sandbox: JetSandbox, api: httpx.Client, body: dict[str, Any], expected: str
) -> None:
    sandbox.add_sku("S1", price=Decimal("3.50"))

    response = send(api, "PUT", "merchant-skus/S1/price", body)

    assert response.status_code == 400
    assert any(expected in e for e in response.json()["errors"]), response.json()
    assert sandbox.sku("S1")["price"] == Decimal("3.50")


def test_node_prices_round_trip(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.add_sku("S1")
    body = {
        "price": Decimal("10.00"),
        "fulfillment_nodes": [
            {"fulfillment_node_id": NODE_B, "fulfillment_node_price": Decimal("10.50")}
        ],
    }

    send(api, "PUT", "merchant-skus/S1/price", body)

    price = loads(api.get("merchant-skus/S1/price").content)
    assert price["fulfillment_nodes"] == body["fulfillment_nodes"]
    assert price["price"] == Decimal("10.00")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p.update(product_title="Hat"), "product_title: must be at least 5"),
        (lambda p: p.pop("mfr_part_number"), "You must supply either an ASIN"),
        (lambda p: p.update(multipack_quantity=0), "multipack_quantity: must be at least 1"),
        (lambda p: p.pop("main_image_url"), "main_image_url: required field is missing"),
    ],
)
def test_invalid_product_is_400(api: httpx.Client, change: Any, expected: str) -> None:
    body = dict(PRODUCT)
    change(body)

    response = send(api, "PUT", "merchant-skus/S1", body)

    assert response.status_code == 400
    assert any(expected in e for e in response.json()["errors"]), response.json()
    assert api.get("merchant-skus/S1").status_code == 404


def test_deleted_sku_is_404_everywhere(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.add_sku("S1", price=5)

    sandbox.delete_sku("S1")

    assert api.get("merchant-skus/S1").status_code == 404
    assert api.get("merchant-skus/S1/price").status_code == 404
    assert send(api, "PUT", "merchant-skus/S1/price", {"price": 5}).status_code == 404


def test_listing_pages_with_offset_and_limit(sandbox: JetSandbox, api: httpx.Client) -> None:
    for index in range(5):
        sandbox.add_sku(f"S{index}")

    page = api.get("merchant-skus", params={"offset": 1, "limit": 2}).json()

    assert page == {"sku_urls": ["merchant-skus/S1", "merchant-skus/S2"]}
    assert api.get("merchant-skus", params={"offset": 5}).json() == {"sku_urls": []}
    assert api.get("merchant-skus", params={"limit": "ten"}).status_code == 400


def test_fulfillment_nodes_lists_the_merchants_nodes(api: httpx.Client) -> None:
    nodes = api.get("setup/fulfillmentNodes").json()["fulfillment_nodes"]

    assert [n["jet_fulfillment_node_id"] for n in nodes] == [NODE_A, NODE_B]


@pytest.mark.parametrize(
    ("kind", "code", "needed"),
    [
        ("UPC", "123456789012", None),
        ("UPC", "123", 12),
        ("UPC", "12345678901A", 12),
        ("EAN", "4006381333931", None),
        ("EAN", "400638133393", 13),
        ("ISBN-10", "080442957X", None),
        ("ISBN-13", "9780804429573", None),
        ("GTIN-14", "10012345678902", None),
        ("GTIN-14", "1001234567890", 14),
        ("PLU", "4011", None),
    ],
)
def test_product_codes_need_the_digit_count_of_their_type(
    api: httpx.Client, kind: str, code: str, needed: int | None
) -> None:
    codes = [{"standard_product_code": code, "standard_product_code_type": kind}]
    response = send(api, "PUT", "merchant-skus/CODED", {**PRODUCT, "standard_product_codes": codes})

    if needed is None:
        assert response.status_code == 201
    else:
        assert response.status_code == 400
        assert response.json()["errors"] == [
            f"standard_product_codes[0].standard_product_code: a {kind} must be {needed} digits, "
            f"got {code!r}"
        ]
