"""Jet's order state machine as pure functions over order JSON dicts.

The sandbox keeps each order as the JSON object Jet would serve, and these functions move it from
one status to the next. They are shared by the HTTP handlers and by the payload factories, so a
factory-made ``complete`` order looks exactly like one shipped through the API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from jet_orderhive.jet._time import format_jet_timestamp

__all__ = [
    "ORDER_STATUSES",
    "REJECTED_STATE",
    "SkuUnits",
    "acknowledge",
    "is_cancelled",
    "request_directed_cancel",
    "ship",
    "units_by_sku",
]

ORDER_STATUSES = ("created", "ready", "acknowledged", "inprogress", "complete")
REJECTED_STATE = "exception - order rejected"

Order = dict[str, Any]


class SkuUnits:
    """Ordered, shipped and cancelled units of one SKU across an order's lines and shipments."""

    __slots__ = ("cancelled", "ordered", "shipped")

    def __init__(self) -> None:
        self.ordered = 0
        self.shipped = 0
        self.cancelled = 0

    @property
    def open(self) -> int:
        """Units neither shipped nor cancelled yet."""
        return self.ordered - self.shipped - self.cancelled


def units_by_sku(order: Mapping[str, Any]) -> dict[str, SkuUnits]:
    """Tally every SKU of ``order``: what was ordered and what earlier shipments settled."""
    tally: dict[str, SkuUnits] = {}
    for item in order["order_items"]:
        tally.setdefault(item["merchant_sku"], SkuUnits()).ordered += item["request_order_quantity"]
    for shipment in order.get("shipments", ()):
        for line in shipment["shipment_items"]:
            units = tally.setdefault(line["merchant_sku"], SkuUnits())
            units.shipped += line.get("response_shipment_sku_quantity", 0)
            units.cancelled += line.get("response_shipment_cancel_qty", 0)
    return tally


def is_cancelled(order: Mapping[str, Any]) -> bool:
    """Whether Jet's ``isCancelled=true`` matches: rejected, wholly cancelled, or asked to."""
    if order.get("jet_request_directed_cancel"):
        return True
    if order.get("exception_state") == REJECTED_STATE:
        return True
    if not order.get("shipments"):
        return False  # units are cancelled only by shipments: none, none cancelled
    tally = units_by_sku(order).values()
    return all(u.open == 0 and u.shipped == 0 for u in tally) and any(u.cancelled for u in tally)


def acknowledge(order: Order, body: Mapping[str, Any], now: datetime) -> list[str]:
    """Apply a schema-valid acknowledgement; return the business-rule errors instead if any."""
    order_id = order["merchant_order_id"]
    if order["status"] != "ready":
        return [
            f"order {order_id} is '{order['status']}'; only orders in 'ready' can be acknowledged"
        ]
    items_by_id = {item["order_item_id"]: item for item in order["order_items"]}
    errors: list[str] = []
    seen: set[str] = set()
    for index, line in enumerate(body["order_items"]):
        item_id = line["order_item_id"]
        if item_id not in items_by_id:
            errors.append(
                f"order_items[{index}].order_item_id: {item_id!r} is not an item of order "
                f"{order_id}"
            )
        elif item_id in seen:
            errors.append(f"order_items[{index}].order_item_id: {item_id!r} is listed twice")
        seen.add(item_id)
    accepted = body["acknowledgement_status"] == "accepted"
    missing = [item_id for item_id in items_by_id if item_id not in seen]
    if accepted and missing and not errors:
        errors.append(
            f"order_items: an accepted acknowledgement must list every item; missing {missing}"
        )
    if errors:
        return errors

    stamp = format_jet_timestamp(now)
    order["acknowledgement_status"] = body["acknowledgement_status"]
    order["order_acknowledge_date"] = stamp
    if "alt_order_id" in body:
        order["alt_order_id"] = body["alt_order_id"]
    for line in body["order_items"]:
        item = items_by_id[line["order_item_id"]]
        item["order_item_acknowledgement_status"] = line["order_item_acknowledgement_status"]
        if "alt_order_item_id" in line:
            item["alt_order_item_id"] = line["alt_order_item_id"]
    if accepted:
        order["status"] = "acknowledged"
    else:
        # A rejection cancels the whole order at Jet: nothing is left to ship.
        order["status"] = "complete"
        order["exception_state"] = REJECTED_STATE
        for item in order["order_items"]:
            item["request_order_cancel_qty"] = item["request_order_quantity"]
    return []


def ship(
    order: Order, body: Mapping[str, Any], now: datetime, new_id: Callable[[], str]
) -> list[str]:
    """Apply a schema-valid shipped message; return the business-rule errors instead if any."""
    order_id = order["merchant_order_id"]
    if order["status"] not in ("acknowledged", "inprogress"):
        return [
            f"order {order_id} is '{order['status']}'; shipments and cancellations are accepted "
            "only for 'acknowledged' or 'inprogress' orders"
        ]
    tally = units_by_sku(order)
    known_alt_ids = {s.get("alt_shipment_id") for s in order.get("shipments", ())} - {None}
    errors: list[str] = []
    for s_index, shipment in enumerate(body["shipments"]):
        alt_id = shipment.get("alt_shipment_id")
        if alt_id is not None and alt_id in known_alt_ids:
            errors.append(
                f"shipments[{s_index}].alt_shipment_id: {alt_id!r} was already used on order "
                f"{order_id}"
            )
        known_alt_ids.add(alt_id)
        for i_index, line in enumerate(shipment["shipment_items"]):
            sku = line["merchant_sku"]
            path = f"shipments[{s_index}].shipment_items[{i_index}]"
            units = tally.get(sku)
            if units is None or units.ordered == 0:
                errors.append(f"{path}.merchant_sku: {sku!r} is not in order {order_id}")
                continue
            units.shipped += line["response_shipment_sku_quantity"]
            units.cancelled += line.get("response_shipment_cancel_qty", 0)
    for sku, units in tally.items():
        if units.ordered and units.open < 0:
            errors.append(
                f"too many units for SKU {sku!r} on order {order_id}: {units.ordered} ordered, "
                f"{units.shipped} shipped and {units.cancelled} cancelled in total"
            )
    if errors:
        return errors

    shipments = order.setdefault("shipments", [])
    for shipment in body["shipments"]:
        echoed = dict(shipment)
        alt_id = shipment.get("alt_shipment_id")
        # Stable for a merchant's shipment id, so a replayed scenario sees the same ids.
        stable = hashlib.sha256(f"{order_id}|{alt_id}".encode()).hexdigest()[:32]
        echoed.setdefault("shipment_id", stable if isinstance(alt_id, str) else new_id())
        echoed["shipment_items"] = [dict(line) for line in shipment["shipment_items"]]
        shipments.append(echoed)
    order["has_shipments"] = True
    if "alt_order_id" in body:
        order["alt_order_id"] = body["alt_order_id"]
    done = all(units.open <= 0 for units in tally.values())
    order["status"] = "complete" if done else "inprogress"
    return []


def request_directed_cancel(order: Order, quantities: Mapping[str, int] | None) -> None:
    """Mark ``order`` as asked by Jet to be cancelled (all units when ``quantities`` is None)."""
    order["jet_request_directed_cancel"] = True
    for item in order["order_items"]:
        sku = item["merchant_sku"]
        if quantities is None:
            item["request_order_cancel_qty"] = item["request_order_quantity"]
        elif sku in quantities:
            item["request_order_cancel_qty"] = quantities[sku]
