"""The order endpoints of the sandbox, driven through plain httpx on the in-process transport."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from jet_orderhive._json import dumps, loads
from jet_orderhive.testing import JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)
JET_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z")
HEX32 = re.compile(r"[0-9a-f]{32}")
ISO_MESSAGE = "Date is expected to be in ISO 8601 format yyyy-MM-ddTHH:mm:ss.fffffff-HH:MM"
SHIP_DATE = "2020-03-02T09:00:00.0000000-05:00"


@pytest.fixture
def sandbox() -> JetSandbox:
    return JetSandbox(seed=11, clock=lambda: NOW)


def put(api: httpx.Client, path: str, body: object) -> httpx.Response:
    return api.put(path, content=dumps(body), headers={"Content-Type": "application/json"})


def get_json(api: httpx.Client, path: str) -> Any:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return loads(response.content)


def listed_ids(api: httpx.Client, path: str) -> list[str]:
    return [url.rsplit("/", 1)[-1] for url in get_json(api, path)["order_urls"]]


def ack_body(order: dict[str, Any], status: str = "accepted", **extra: Any) -> dict[str, Any]:
    items = [
        {"order_item_id": item["order_item_id"], "order_item_acknowledgement_status": "fulfillable"}
        for item in order["order_items"]
    ]
    return {"acknowledgement_status": status, "order_items": items, **extra}


def one_line_order(sandbox: JetSandbox, quantity: int = 3) -> str:
    """An acknowledged order with a single line of ``quantity`` units of SKU-A."""
    payload = sandbox.factory.order(
        placed_at=NOW - timedelta(hours=1), quantities={"SKU-A": quantity}
    )
    order_id = sandbox.add_order(payload)
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url + "/") as client:
        token = client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
        client.headers["Authorization"] = f"Bearer {token.json()['id_token']}"
        response = put(client, f"orders/{order_id}/acknowledge", ack_body(sandbox.order(order_id)))
    assert response.status_code == 204
    return order_id


def shipment(sku: str, shipped: int, cancelled: int = 0, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "alt_shipment_id": f"S-{shipped}-{cancelled}",
        "shipment_tracking_number": "1Z999AA10123456784",
        "response_shipment_date": SHIP_DATE,
        "carrier": "UPS",
        "response_shipment_method": "UPS Ground",
        "shipment_items": [
            {
                "merchant_sku": sku,
                "response_shipment_sku_quantity": shipped,
                "response_shipment_cancel_qty": cancelled,
            }
        ],
    }
    body.update(extra)
    return body


def test_order_list_is_capped_at_1000_and_oldest_first(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    ids = sandbox.generate_orders(1001)

    listed = listed_ids(api, "orders/ready")

    assert len(listed) == 1000
    assert listed == ids[:1000]


def test_order_list_is_case_insensitive_and_returns_detail_urls(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)

    body = get_json(api, "Orders/Ready")

    assert body == {"order_urls": [f"/orders/withoutShipmentDetail/{order_id}"]}


def test_order_detail_has_every_field_and_exact_totals(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)

    order = get_json(api, f"orders/withoutShipmentDetail/{order_id}")

    for key in (
        "merchant_order_id",
        "reference_order_id",
        "customer_reference_order_id",
        "fulfillment_node",
        "hash_email",
        "status",
        "order_placed_date",
        "order_transmission_date",
        "order_ready_date",
        "has_shipments",
        "jet_request_directed_cancel",
        "buyer",
        "shipping_to",
        "order_detail",
        "order_items",
        "order_totals",
    ):
        assert key in order, key
    assert "acknowledgement_status" not in order
    assert "shipments" not in order
    assert HEX32.fullmatch(order["merchant_order_id"])
    assert re.fullmatch(r"\d{12}", order["reference_order_id"])
    assert order["hash_email"].endswith("@customer.jet.com")
    for stamp in ("order_placed_date", "order_transmission_date", "order_ready_date"):
        assert JET_STAMP.fullmatch(order[stamp])
    for key in ("base_price", "item_tax", "item_shipping_cost", "item_shipping_tax"):
        total = sum(item["item_price"][key] for item in order["order_items"])
        assert isinstance(order["order_totals"]["item_price"][key], Decimal)
        assert order["order_totals"]["item_price"][key] == total


def test_with_shipment_detail_serves_the_same_order(sandbox: JetSandbox, api: httpx.Client) -> None:
    (order_id,) = sandbox.generate_orders(1)

    without = get_json(api, f"orders/withoutShipmentDetail/{order_id}")
    with_detail = get_json(api, f"orders/withShipmentDetail/{order_id}")

    assert without == with_detail == loads(dumps(sandbox.order(order_id)))


def test_unknown_order_is_404(api: httpx.Client) -> None:
    response = api.get("orders/withoutShipmentDetail/" + "0" * 32)

    assert response.status_code == 404
    assert "0" * 32 in response.json()["errors"][0]


def test_accepted_acknowledgement_moves_order_to_acknowledged(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    body = ack_body(sandbox.order(order_id), alt_order_id="SO-1")

    response = put(api, f"orders/{order_id}/acknowledge", body)

    assert response.status_code == 204
    assert response.content == b""
    order = sandbox.order(order_id)
    assert order["status"] == "acknowledged"
    assert order["acknowledgement_status"] == "accepted"
    assert order["alt_order_id"] == "SO-1"
    assert order["order_acknowledge_date"] == "2020-03-02T12:00:00.0000000Z"
    assert {i["order_item_acknowledgement_status"] for i in order["order_items"]} == {"fulfillable"}
    assert listed_ids(api, "orders/ready") == []
    assert listed_ids(api, "orders/acknowledged") == [order_id]


def test_acknowledging_twice_is_400_naming_the_status(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    body = ack_body(sandbox.order(order_id))
    assert put(api, f"orders/{order_id}/acknowledge", body).status_code == 204

    again = put(api, f"orders/{order_id}/acknowledge", body)

    assert again.status_code == 400
    assert "'acknowledged'" in again.json()["errors"][0]


def test_created_orders_cannot_be_acknowledged_until_released(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1, status="created")
    body = ack_body(sandbox.order(order_id))

    assert put(api, f"orders/{order_id}/acknowledge", body).status_code == 400
    assert sandbox.release_created() == [order_id]
    assert put(api, f"orders/{order_id}/acknowledge", body).status_code == 204


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda b: b.update(acknowledgement_stat="accepted"),
            "acknowledgement_stat: unknown field",
        ),
        (
            lambda b: b.update(acknowledgement_status="rejected"),
            "acknowledgement_status: 'rejected' is not one of",
        ),
        (
            lambda b: b["order_items"][0].update(order_item_id="f" * 32),
            "order_items[0].order_item_id: 'ffffffffffffffffffffffffffffffff' is not an item",
        ),
        (
            lambda b: b["order_items"][0].update(
                order_item_acknowledgement_status="nonfulfillable - no inventory"
            ),
            "an accepted order needs every item 'fulfillable'",
        ),
        (lambda b: b.pop("order_items"), "order_items: required field is missing"),
    ],
    ids=["unknown-key", "bad-enum", "foreign-item", "accepted-unfulfillable", "missing-items"],
)
def test_invalid_acknowledgement_is_400_and_changes_nothing(
    sandbox: JetSandbox, api: httpx.Client, change: Any, expected: str
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    body = ack_body(sandbox.order(order_id))
    change(body)

    response = put(api, f"orders/{order_id}/acknowledge", body)

    assert response.status_code == 400
    assert any(expected in error for error in response.json()["errors"]), response.json()
    assert sandbox.order_status(order_id) == "ready"


def test_rejection_completes_the_order_with_every_unit_cancelled(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    body = ack_body(sandbox.order(order_id), status="rejected - fraud")

    assert put(api, f"orders/{order_id}/acknowledge", body).status_code == 204

    order = sandbox.order(order_id)
    assert order["status"] == "complete"
    assert order["exception_state"] == "exception - order rejected"
    for item in order["order_items"]:
        assert item["request_order_cancel_qty"] == item["request_order_quantity"]
    assert listed_ids(api, "orders/complete?isCancelled=true") == [order_id]
    assert listed_ids(api, "orders/complete?isCancelled=false") == []


def test_partial_then_final_shipment_moves_inprogress_then_complete(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    order_id = one_line_order(sandbox, quantity=3)

    first = put(api, f"orders/{order_id}/shipped", {"shipments": [shipment("SKU-A", 2)]})
    assert first.status_code == 204
    assert sandbox.order_status(order_id) == "inprogress"

    second = put(
        api,
        f"orders/{order_id}/shipped",
        {"shipments": [shipment("SKU-A", 1, alt_shipment_id="S-2")]},
    )
    assert second.status_code == 204
    order = get_json(api, f"orders/withShipmentDetail/{order_id}")
    assert order["status"] == "complete"
    assert order["has_shipments"] is True
    assert [s["alt_shipment_id"] for s in order["shipments"]] == ["S-2-0", "S-2"]
    echoed = order["shipments"][0]
    assert echoed["carrier"] == "UPS"
    assert echoed["shipment_tracking_number"] == "1Z999AA10123456784"
    assert echoed["response_shipment_date"] == SHIP_DATE
    assert echoed["shipment_items"][0]["response_shipment_sku_quantity"] == 2
    assert HEX32.fullmatch(echoed["shipment_id"])


def test_cancelling_the_rest_after_a_partial_shipment_completes_the_order(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    order_id = one_line_order(sandbox, quantity=3)
    put(api, f"orders/{order_id}/shipped", {"shipments": [shipment("SKU-A", 2)]})

    cancel = {
        "shipments": [
            {
                "alt_shipment_id": "CANCEL-1",
                "shipment_items": [
                    {
                        "merchant_sku": "SKU-A",
                        "response_shipment_sku_quantity": 0,
                        "response_shipment_cancel_qty": 1,
                    }
                ],
            }
        ]
    }

    assert put(api, f"orders/{order_id}/shipped", cancel).status_code == 204
    assert sandbox.order_status(order_id) == "complete"
    assert listed_ids(api, "orders/complete?isCancelled=false") == [order_id]


def test_overshipping_counts_earlier_shipments_and_is_400(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    order_id = one_line_order(sandbox, quantity=3)
    put(api, f"orders/{order_id}/shipped", {"shipments": [shipment("SKU-A", 2)]})

    response = put(
        api,
        f"orders/{order_id}/shipped",
        {"shipments": [shipment("SKU-A", 2, alt_shipment_id="X")]},
    )

    assert response.status_code == 400
    assert "too many units" in response.json()["errors"][0]
    assert sandbox.order_status(order_id) == "inprogress"


@pytest.mark.parametrize(
    ("shipment_body", "expected"),
    [
        (shipment("SKU-A", 1, response_shipment_date="2020-03-02T09:00:00.0000000"), ISO_MESSAGE),
        (shipment("SKU-A", 1, response_shipment_date="2020-03-02T09:00:00-05:00"), ISO_MESSAGE),
        (shipment("SKU-A", 1, carrier="Pony Express"), "carrier: 'Pony Express' is not one of"),
        (shipment("SKU-A", 1, shipment_tracking_number="1Z"), "tracking number of at least 3"),
        (shipment("SKU-B", 1), "merchant_sku: 'SKU-B' is not in order"),
        (shipment("SKU-A", 1, surprise=True), "shipments[0].surprise: unknown field"),
        (
            {
                "shipment_items": [
                    {
                        "merchant_sku": "SKU-A",
                        "response_shipment_sku_quantity": 0,
                        "response_shipment_cancel_qty": 1,
                    }
                ]
            },
            "cancel-only shipment needs a unique alt_shipment_id",
        ),
        (
            {
                "alt_shipment_id": "Q",
                "shipment_items": [{"merchant_sku": "SKU-A", "response_shipment_sku_quantity": -1}],
            },
            "response_shipment_sku_quantity: must be at least 0",
        ),
    ],
    ids=[
        "date-without-offset",
        "date-without-fraction",
        "bad-carrier",
        "short-tracking",
        "foreign-sku",
        "unknown-key",
        "cancel-without-alt-id",
        "negative-quantity",
    ],
)
def test_invalid_shipment_is_400_and_changes_nothing(
    sandbox: JetSandbox, api: httpx.Client, shipment_body: dict[str, Any], expected: str
) -> None:
    order_id = one_line_order(sandbox)

    response = put(api, f"orders/{order_id}/shipped", {"shipments": [shipment_body]})

    assert response.status_code == 400
    assert any(expected in error for error in response.json()["errors"]), response.json()
    assert sandbox.order_status(order_id) == "acknowledged"
    assert "shipments" not in sandbox.order(order_id)


def test_bad_date_answers_with_jets_exact_sentence(sandbox: JetSandbox, api: httpx.Client) -> None:
    order_id = one_line_order(sandbox)
    body = {"shipments": [shipment("SKU-A", 1, response_shipment_date="2020-03-02T09:00:00Z")]}

    response = put(api, f"orders/{order_id}/shipped", body)

    assert response.json() == {"errors": [ISO_MESSAGE]}


def test_shipping_a_ready_order_is_400(sandbox: JetSandbox, api: httpx.Client) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sku = sandbox.order(order_id)["order_items"][0]["merchant_sku"]

    response = put(api, f"orders/{order_id}/shipped", {"shipments": [shipment(sku, 1)]})

    assert response.status_code == 400
    assert "'ready'" in response.json()["errors"][0]


def test_directed_cancel_is_visible_on_the_order_and_the_legacy_list(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    order_id = sandbox.add_order(
        sandbox.factory.order(placed_at=NOW - timedelta(hours=2), quantities={"A": 2, "B": 1})
    )

    sandbox.request_directed_cancel(order_id, {"A": 1})

    order = get_json(api, f"orders/withoutShipmentDetail/{order_id}")
    assert order["jet_request_directed_cancel"] is True
    cancel_qty = {
        i["merchant_sku"]: i.get("request_order_cancel_qty") for i in order["order_items"]
    }
    assert cancel_qty == {"A": 1, "B": None}
    assert get_json(api, "orders/directedCancel") == {
        "order_cancel_urls": [f"/orders/withoutShipmentDetail/{order_id}"]
    }
    assert listed_ids(api, "orders/ready?isCancelled=true") == [order_id]
    assert listed_ids(api, "orders/ready?isCancelled=false") == []


def test_orders_older_than_90_days_drop_out_of_lists_but_keep_their_detail(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (old,) = sandbox.generate_orders(1, placed_at=NOW - timedelta(days=89))
    (new,) = sandbox.generate_orders(1, placed_at=NOW - timedelta(days=1))
    assert listed_ids(api, "orders/ready") == [old, new]

    sandbox.advance(timedelta(days=2))
    api.headers["Authorization"] = (
        "Bearer "
        + api.post("token", json={"user": sandbox.user, "pass": sandbox.secret}).json()["id_token"]
    )

    assert listed_ids(api, "orders/ready") == [new]
    assert api.get(f"orders/withoutShipmentDetail/{old}").status_code == 200


def test_fulfillment_node_filter_keeps_only_that_nodes_orders(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    ours = sandbox.generate_orders(2)
    other = sandbox.factory.order(placed_at=NOW - timedelta(hours=3))
    other["fulfillment_node"] = "a" * 32
    sandbox.add_order(other)

    listed = listed_ids(api, f"orders/ready?fulfillment_node={sandbox.fulfillment_node_id}")

    assert listed == ours


def test_corrupted_order_is_served_broken_while_the_state_stays_intact(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)

    sandbox.corrupt_order(order_id, lambda o: o["order_items"][0].update(item_price="oops"))

    served = get_json(api, f"orders/withoutShipmentDetail/{order_id}")
    assert served["order_items"][0]["item_price"] == "oops"
    assert isinstance(sandbox.order(order_id)["order_items"][0]["item_price"], dict)


def test_a_repaired_order_is_served_with_its_current_state(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.corrupt_order(order_id, lambda o: o.update(status="broken"))
    sandbox.set_order_status(order_id, "acknowledged")

    sandbox.repair_order(order_id)

    served = get_json(api, f"orders/withoutShipmentDetail/{order_id}")
    assert served["status"] == "acknowledged"
    assert served == sandbox.order(order_id)


def test_generate_endpoint_seeds_orders_from_jets_test_body(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    body = {
        "fulfillment_node": sandbox.fulfillment_node_id,
        "buyer": {"name": "Nick B", "phone_number": "123-456-7890"},
        "items": [
            {"sku": "ABC", "order_quantity": 5},
            {"sku": "DEF", "order_quantity": 2, "order_cancel_quantity": 1},
        ],
    }

    response = api.post("orders/generate/2", content=dumps(body))

    assert response.status_code == 201
    urls = response.json()["order_urls"]
    assert len(urls) == 2
    order = get_json(api, urls[0].lstrip("/"))
    assert order["buyer"]["name"] == "Nick B"
    assert {i["merchant_sku"]: i["request_order_quantity"] for i in order["order_items"]} == {
        "ABC": 5,
        "DEF": 2,
    }
    assert order["jet_request_directed_cancel"] is True


def test_tagging_filters_the_tagged_list(sandbox: JetSandbox, api: httpx.Client) -> None:
    first, second = sandbox.generate_orders(2)

    assert put(api, f"orders/{first}/tag", {"tag": "batch-7"}).status_code == 204

    assert listed_ids(api, "orders/ready/batch-7/true") == [first]
    assert listed_ids(api, "orders/ready/batch-7/false") == [second]
    assert put(api, f"orders/{first}/tag", {"tag": "x" * 51}).status_code == 400


def test_generated_statuses_match_their_shipments(sandbox: JetSandbox) -> None:
    (inprogress,) = sandbox.generate_orders(1, status="inprogress", skus=["A", "B"])
    (complete,) = sandbox.generate_orders(1, status="complete")

    assert sandbox.order_status(complete) == "complete"
    assert sandbox.order(complete)["has_shipments"] is True
    assert sandbox.order_status(inprogress) == "inprogress"
    assert sandbox.order(inprogress)["has_shipments"] is True


def test_unknown_endpoint_is_404_and_wrong_method_is_405(api: httpx.Client) -> None:
    assert api.get("nothing/here").status_code == 404
    wrong = api.delete("orders/ready")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET"
