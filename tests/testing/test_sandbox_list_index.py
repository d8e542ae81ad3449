"""The sandbox files its orders by (status, cancelled) so a list costs what it returns; after
every kind of change an order can go through, the index says what a scan of every order says,
and each list answers what the scan of every order answered."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from jet_orderhive._json import dumps, loads
from jet_orderhive.testing import JetSandbox
from jet_orderhive.testing._sandbox import orders as order_rules
from jet_orderhive.testing._sandbox.order_handlers import LIST_WINDOW
from jet_orderhive.testing._sandbox.state import StoredOrder

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)
SHIP_DATE = "2020-03-02T09:00:00.0000000-05:00"
CAP = 4


@pytest.fixture
def sandbox() -> JetSandbox:
    sandbox = JetSandbox(seed=5, clock=lambda: NOW, order_list_cap=CAP)
    # Placed out of creation order, some past the 90-day window, in every status.
    for index, status in enumerate(["ready", "acknowledged", "created", "inprogress"] * 3):
        placed = NOW - timedelta(days=(index * 37) % 120, minutes=index)
        sandbox.generate_orders(1, status=status, placed_at=placed)  # type: ignore[arg-type]
    sandbox.generate_orders(3, status="ready")
    sandbox.generate_orders(2, status="acknowledged", placed_at=NOW - timedelta(hours=1))
    return sandbox


def _orders(sandbox: JetSandbox) -> dict[str, StoredOrder]:
    orders: dict[str, StoredOrder] = sandbox._state.orders
    return orders


def _scan_index(sandbox: JetSandbox) -> dict[tuple[str, bool], list[str]]:
    """The index as a scan of every order files it: by key, oldest first."""
    found: dict[tuple[str, bool], list[str]] = {}
    for order in sorted(_orders(sandbox).values(), key=lambda o: (o.placed_at, o.seq)):
        key = (order.payload["status"], order_rules.is_cancelled(order.payload))
        found.setdefault(key, []).append(order.payload["merchant_order_id"])
    return found


def _scan_list(sandbox: JetSandbox, status: str, keep: Callable[[StoredOrder], bool]) -> list[str]:
    """What the list answered when it scanned every order, oldest first, up to the cap."""
    cutoff = NOW - LIST_WINDOW
    oldest = sorted(_orders(sandbox).values(), key=lambda o: (o.placed_at, o.seq))
    matching = (
        o.payload["merchant_order_id"]
        for o in oldest
        if o.payload["status"] == status and o.placed_at >= cutoff and keep(o)
    )
    return list(itertools.islice(matching, CAP))


def _ids(api: httpx.Client, path: str, field: str = "order_urls") -> list[str]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return [url.rsplit("/", 1)[-1] for url in loads(response.content)[field]]


def _check(sandbox: JetSandbox, api: httpx.Client) -> None:
    assert sandbox._state.index_snapshot() == _scan_index(sandbox)
    node = sandbox.fulfillment_node_id
    for status in order_rules.ORDER_STATUSES:
        for flag in (None, False, True):

            def keep(o: StoredOrder, flag: bool | None = flag) -> bool:
                return flag is None or order_rules.is_cancelled(o.payload) == flag

            query = "" if flag is None else f"?isCancelled={str(flag).lower()}"
            assert _ids(api, f"orders/{status}{query}") == _scan_list(sandbox, status, keep)
        by_node = f"orders/{status}?isCancelled=false&fulfillment_node={node}"
        assert _ids(api, by_node) == _scan_list(
            sandbox,
            status,
            lambda o: (
                not order_rules.is_cancelled(o.payload) and o.payload["fulfillment_node"] == node
            ),
        )
        for wanted in (True, False):
            tagged = _ids(api, f"orders/{status}/gift/{str(wanted).lower()}")
            assert tagged == _scan_list(sandbox, status, lambda o, w=wanted: (o.tag == "gift") == w)
    oldest = sorted(_orders(sandbox).values(), key=lambda o: (o.placed_at, o.seq))
    directed = [
        o.payload["merchant_order_id"]
        for o in oldest
        if o.payload.get("jet_request_directed_cancel") and o.payload["status"] != "complete"
    ][:CAP]
    assert _ids(api, "orders/directedCancel", "order_cancel_urls") == directed


def _put(api: httpx.Client, path: str, body: object) -> None:
    response = api.put(path, content=dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 204, response.text


def _ack(api: httpx.Client, sandbox: JetSandbox, order_id: str, status: str) -> None:
    order = sandbox.order(order_id)
    items = [
        {"order_item_id": item["order_item_id"], "order_item_acknowledgement_status": "fulfillable"}
        for item in order["order_items"]  # type: ignore[union-attr]
    ]
    body = {"acknowledgement_status": status, "order_items": items}
    _put(api, f"orders/{order_id}/acknowledge", body)


def _ship(
    api: httpx.Client, sandbox: JetSandbox, order_id: str, *, ship: bool, share: int = 1
) -> None:
    """Ship (or cancel) every open unit (``share`` 1), or all but one (``share`` 2)."""
    order: Any = sandbox.order(order_id)
    lines = []
    for number, (sku, units) in enumerate(order_rules.units_by_sku(order).items()):
        left = units.open - (1 if share == 2 and number == 0 else 0)
        if left <= 0:
            continue
        field = "response_shipment_sku_quantity" if ship else "response_shipment_cancel_qty"
        line = {"merchant_sku": sku, "response_shipment_sku_quantity": 0}
        line[field] = left
        lines.append(line)
    shipment = {
        "alt_shipment_id": f"S-{order_id[:6]}-{ship}-{share}",
        "shipment_tracking_number": "1Z999",
        "response_shipment_date": SHIP_DATE,
        "carrier": "UPS",
        "shipment_items": lines,
    }
    _put(api, f"orders/{order_id}/shipped", {"shipments": [shipment]})


def _first(sandbox: JetSandbox, status: str, n: int = 0) -> str:
    ids = [i for i, o in _orders(sandbox).items() if o.payload["status"] == status]
    return ids[n]


def test_every_kind_of_change_keeps_the_index_and_the_lists_true(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    _check(sandbox, api)
    # Acknowledged, rejected (complete and cancelled), through Jet's API.
    _ack(api, sandbox, _first(sandbox, "ready"), "accepted")
    _check(sandbox, api)
    _ack(api, sandbox, _first(sandbox, "ready"), "rejected - other")
    _check(sandbox, api)
    # Shipped in part (inprogress), in whole (complete), cancelled in whole (cancelled).
    _ship(api, sandbox, _first(sandbox, "acknowledged"), ship=True, share=2)
    _check(sandbox, api)
    _ship(api, sandbox, _first(sandbox, "inprogress"), ship=True)
    _check(sandbox, api)
    _ship(api, sandbox, _first(sandbox, "acknowledged"), ship=False)
    _check(sandbox, api)
    # Jet asks to cancel; the sandbox's escape hatches; the release of created orders.
    sandbox.request_directed_cancel(_first(sandbox, "acknowledged"))
    _check(sandbox, api)
    sandbox.set_order_status(_first(sandbox, "ready"), "inprogress")
    _check(sandbox, api)
    sandbox.set_order_status(_first(sandbox, "complete"), "acknowledged")
    _check(sandbox, api)
    assert sandbox.release_created()
    _check(sandbox, api)
    # A tag, a new order from the seeding endpoint with units Jet asks to cancel, an added one.
    _put(api, f"orders/{_first(sandbox, 'acknowledged')}/tag", {"tag": "gift"})
    _check(sandbox, api)
    sku = sandbox.order(_first(sandbox, "ready"))["order_items"][0]["merchant_sku"]  # type: ignore[index, call-overload]
    body = {
        "fulfillment_node": sandbox.fulfillment_node_id,
        "items": [{"sku": sku, "order_quantity": 2, "order_cancel_quantity": 2}],
    }
    response = api.post("orders/generate/2", content=dumps(body))
    assert response.status_code == 201, response.text
    _check(sandbox, api)
    sandbox.add_order(sandbox.factory.order(status="acknowledged", placed_at=NOW))
    _check(sandbox, api)
    assert any(key[1] for key in sandbox._state.index_snapshot())  # cancelled lists were read


class _Counted(dict[str, Any]):
    """An order payload that counts how often its fields are read."""

    reads = 0

    def __getitem__(self, key: str) -> Any:
        _Counted.reads += 1
        return super().__getitem__(key)


def test_a_list_reads_only_the_orders_it_returns(sandbox: JetSandbox, api: httpx.Client) -> None:
    """The reason for the index: a list looks at the orders it returns, not at every order
    (the scan read each order's status for each of the eight lists of an import)."""
    sandbox.generate_orders(300, status="acknowledged")
    for order in _orders(sandbox).values():
        order.payload = _Counted(order.payload)
    _Counted.reads = 0
    assert _ids(api, "orders/complete?isCancelled=false") == []
    assert _Counted.reads == 0
    assert len(_ids(api, "orders/acknowledged?isCancelled=false")) == CAP
    assert _Counted.reads <= 2 * CAP  # the id of each order returned, and its payload
