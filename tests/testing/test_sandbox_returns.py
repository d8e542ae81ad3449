"""Returns and refunds in the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from jet_orderhive._json import dumps, loads
from jet_orderhive.testing import JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> JetSandbox:
    return JetSandbox(seed=4, clock=lambda: NOW)


@pytest.fixture
def order_id(sandbox: JetSandbox) -> str:
    payload = sandbox.factory.order(
        status="complete", placed_at=NOW - timedelta(days=3), quantities={"A": 2, "B": 1}
    )
    return sandbox.add_order(payload)


def test_seeded_return_is_listed_and_has_the_refund_it_asks_for(
    sandbox: JetSandbox, api: httpx.Client, order_id: str
) -> None:
    return_id = sandbox.add_return(order_id, {"A": 1})

    assert api.get("returns/created").json() == {"return_urls": [f"/returns/state/{return_id}"]}
    detail = loads(api.get(f"returns/state/{return_id}").content)
    base = sandbox.order(order_id)["order_items"][0]["item_price"]["base_price"]
    line = detail["return_merchant_SKUs"][0]
    assert line["merchant_sku"] == "A"
    assert line["return_quantity"] == 1
    assert line["requested_refund_amount"]["principal"] == (Decimal(base) / 2).quantize(
        Decimal("0.01")
    )
    assert detail["reference_return_authorization_id"].endswith("-01")


def test_completing_a_return_moves_it_to_completed_by_merchant(
    sandbox: JetSandbox, api: httpx.Client, order_id: str
) -> None:
    return_id = sandbox.add_return(order_id, {"A": 1})
    item_id = sandbox.return_state(return_id)["return_merchant_SKUs"][0]["order_item_id"]
    amount = {"principal": Decimal("5.00"), "tax": 0, "shipping_cost": 0, "shipping_tax": 0}
    body = {
        "merchant_order_id": order_id,
        "items": [
            {
                "order_item_id": item_id,
                "total_quantity_returned": 1,
                "order_return_refund_qty": 1,
                "refund_amount": amount,
            }
        ],
        "agree_to_return_charge": True,
    }

    response = api.put(f"returns/{return_id}/complete", content=dumps(body))

    assert response.status_code == 204
    for spelling in ("completed%20by%20merchant", "completedByMerchant"):
        listed = api.get(f"returns/{spelling}").json()
        assert listed == {"return_urls": [f"/returns/state/{return_id}"]}
    assert api.get("returns/created").json() == {"return_urls": []}
    assert sandbox.return_state(return_id)["completed_date"] == "2020-03-02T12:00:00.0000000Z"
    again = api.put(f"returns/{return_id}/complete", content=dumps(body))
    assert again.status_code == 400


def test_refunding_more_than_was_returned_is_400(
    sandbox: JetSandbox, api: httpx.Client, order_id: str
) -> None:
    return_id = sandbox.add_return(order_id, {"A": 1})
    item_id = sandbox.return_state(return_id)["return_merchant_SKUs"][0]["order_item_id"]
    amount = {"principal": 1, "tax": 0, "shipping_cost": 0, "shipping_tax": 0}
    body = {
        "items": [
            {
                "order_item_id": item_id,
                "total_quantity_returned": 1,
                "order_return_refund_qty": 2,
                "refund_amount": amount,
            }
        ],
        "agree_to_return_charge": True,
    }

    response = api.put(f"returns/{return_id}/complete", content=dumps(body))

    assert response.status_code == 400
    assert "order_return_refund_qty: 2 exceeds" in response.json()["errors"][0]


def test_refund_is_created_listed_and_readable(
    sandbox: JetSandbox, api: httpx.Client, order_id: str
) -> None:
    item_id = sandbox.order(order_id)["order_items"][1]["order_item_id"]
    body = {
        "items": [
            {
                "order_item_id": item_id,
                "order_return_refund_qty": 1,
                "refund_reason": "Package arrived late",
                "refund_amount": {"principal": 2, "tax": 0, "shipping_cost": 0, "shipping_tax": 0},
            }
        ]
    }

    created = api.post(f"refunds/{order_id}/REF-00001", content=dumps(body))

    assert created.status_code == 201
    refund_id = created.json()["refund_authorization_id"]
    assert created.json()["refund_status"] == "created"
    assert api.get("refunds/created").json() == {"refund_urls": [f"/refunds/state/{refund_id}"]}
    assert api.get(f"refunds/state/{refund_id}").json()["alt_refund_id"] == "REF-00001"
    duplicate = api.post(f"refunds/{order_id}/REF-00001", content=dumps(body))
    assert duplicate.status_code == 400


def test_add_return_refuses_more_units_than_ordered(sandbox: JetSandbox, order_id: str) -> None:
    with pytest.raises(ValueError, match="cannot return 3"):
        sandbox.add_return(order_id, {"A": 3})
