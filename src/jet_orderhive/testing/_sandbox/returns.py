"""Return and refund endpoints."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from jet_orderhive.jet._time import format_jet_timestamp
from jet_orderhive.testing._sandbox import validation as v
from jet_orderhive.testing._sandbox.messages import (
    Request,
    Response,
    empty_response,
    error_response,
    json_response,
    require_body,
)
from jet_orderhive.testing._sandbox.state import StoredRefund, StoredReturn

if TYPE_CHECKING:
    from jet_orderhive.testing._sandbox.app import SandboxApp

__all__ = [
    "new_return",
    "refund_create",
    "refund_detail",
    "refund_list",
    "return_complete",
    "return_detail",
    "return_generate",
    "return_list",
]

_CENT = Decimal("0.01")


# --- returns -------------------------------------------------------------------------------------

_RETURN_STATUSES = {
    "created": "created",
    "acknowledged": "acknowledged",
    "inprogress": "inprogress",
    "completedbymerchant": "completed by merchant",
    "refundcustomerwithoutreturn": "refund customer without return",
    "jetrefunded": "jet refunded",
}


def _share(amount: Decimal | int, part: int, whole: int) -> Decimal:
    return (Decimal(amount) * part / whole).quantize(_CENT, rounding=ROUND_HALF_EVEN)


def complete_in_portal(app: SandboxApp, return_id: str) -> None:
    """Complete a return with every returned unit received and refunded."""
    stored = app.state.returns.get(return_id)
    if stored is None:
        raise KeyError(f"return {return_id} is not in the sandbox")
    ret = stored.payload
    if ret["return_status"] == "completed by merchant":
        return
    ret["return_status"] = "completed by merchant"
    ret["completed_date"] = format_jet_timestamp(app.now())
    ret["agree_to_return_charge"] = True
    ret["items"] = [
        {
            "order_item_id": line["order_item_id"],
            "total_quantity_returned": line["return_quantity"],
            "order_return_refund_qty": line["return_quantity"],
            "return_refund_feedback": "item damaged",
            "refund_amount": copy.deepcopy(line["requested_refund_amount"]),
        }
        for line in ret["return_merchant_SKUs"]
    ]


def new_return(app: SandboxApp, order_id: str, quantities: Mapping[str, int]) -> str:
    """Open a return on an order for ``{sku: units}``; raise ``ValueError`` if it cannot exist."""
    stored = app.state.orders.get(order_id)
    if stored is None:
        raise KeyError(f"order {order_id} is not in the sandbox")
    order = stored.payload
    items = {item["merchant_sku"]: item for item in order["order_items"]}
    if not quantities:
        raise ValueError("a return needs at least one SKU")
    lines = []
    for sku, qty in quantities.items():
        item = items.get(sku)
        if item is None:
            raise ValueError(f"SKU {sku!r} is not in order {order_id}")
        ordered = item["request_order_quantity"]
        if not 1 <= qty <= ordered:
            raise ValueError(f"cannot return {qty} of {sku!r}: order {order_id} has {ordered}")
        price = item["item_price"]
        lines.append(
            {
                "order_item_id": item["order_item_id"],
                "merchant_sku": sku,
                "merchant_sku_title": item["product_title"],
                "return_quantity": qty,
                "reason": "No longer want this item",
                "requested_refund_amount": {
                    "principal": _share(price["base_price"], qty, ordered),
                    "tax": _share(price.get("item_tax") or 0, qty, ordered),
                    "shipping_cost": _share(price["item_shipping_cost"], qty, ordered),
                    "shipping_tax": _share(price.get("item_shipping_tax") or 0, qty, ordered),
                },
            }
        )
    existing = sum(
        1 for r in app.state.returns.values() if r.payload["merchant_order_id"] == order_id
    )
    return_id = app.state.new_id()
    payload: dict[str, Any] = {
        "merchant_return_authorization_id": return_id,
        "reference_return_authorization_id": f"{order['reference_order_id']}-{existing + 1:02d}",
        "return_status": "created",
        "refund_without_return": False,
        "merchant_order_id": order_id,
        "reference_order_id": order["reference_order_id"],
        "return_date": format_jet_timestamp(app.now()),
        "shipping_carrier": "UPS",
        "tracking_number": f"1Z{return_id[:16].upper()}",
        "merchant_return_charge": Decimal("0.00"),
        "agree_to_return_charge": True,
        "return_merchant_SKUs": lines,
    }
    if "alt_order_id" in order:
        payload["alt_order_id"] = order["alt_order_id"]
    app.state.returns[return_id] = StoredReturn(payload, app.state.next_seq())
    return return_id


def return_list(app: SandboxApp, req: Request) -> Response:
    """GET /returns/{status}: spaced (``completed by merchant``) and camelCase forms alike."""
    key = req.params["status"].replace(" ", "").lower()
    status = _RETURN_STATUSES.get(key)
    if status is None:
        return error_response(400, f"status: {req.params['status']!r} is not a Jet return status")
    found = sorted(
        (r for r in app.state.returns.values() if r.payload["return_status"] == status),
        key=lambda r: r.seq,
    )
    urls = [f"/returns/state/{r.payload['merchant_return_authorization_id']}" for r in found]
    return json_response(200, {"return_urls": urls})


def _find_return(app: SandboxApp, req: Request) -> tuple[Any, Response | None]:
    return_id = req.params["return_id"].lower()
    stored = app.state.returns.get(return_id)
    if stored is None:
        return None, error_response(404, f"return {return_id} not found")
    return stored, None


def return_detail(app: SandboxApp, req: Request) -> Response:
    """GET /returns/state/{id}."""
    stored, missing = _find_return(app, req)
    return missing or json_response(200, stored.payload)


def return_complete(app: SandboxApp, req: Request) -> Response:
    """PUT /returns/{id}/complete: say what was received and refunded."""
    stored, missing = _find_return(app, req)
    if missing:
        return missing
    problems = require_body(req, v.RETURN_COMPLETE)
    if problems:
        return error_response(400, *problems)
    ret, body = stored.payload, req.body
    if ret["return_status"] not in ("created", "acknowledged", "inprogress"):
        return error_response(
            400,
            f"return {ret['merchant_return_authorization_id']} is already '{ret['return_status']}'",
        )
    if body.get("merchant_order_id", ret["merchant_order_id"]) != ret["merchant_order_id"]:
        return error_response(
            400, f"merchant_order_id: this return belongs to order {ret['merchant_order_id']}"
        )
    lines = {line["order_item_id"]: line for line in ret["return_merchant_SKUs"]}
    for index, item in enumerate(body["items"]):
        line = lines.get(item.get("order_item_id", ""))
        if line is None:
            problems.append(f"items[{index}].order_item_id: not an item of this return")
            continue
        for key in ("total_quantity_returned", "order_return_refund_qty"):
            if item[key] > line["return_quantity"]:
                problems.append(
                    f"items[{index}].{key}: {item[key]} exceeds the {line['return_quantity']} "
                    "unit(s) returned"
                )
    if problems:
        return error_response(400, *problems)
    ret["return_status"] = "completed by merchant"
    ret["completed_date"] = format_jet_timestamp(app.now())
    ret["agree_to_return_charge"] = body["agree_to_return_charge"]
    if "return_charge_feedback" in body:
        ret["return_charge_feedback"] = body["return_charge_feedback"]
    ret["items"] = copy.deepcopy(body["items"])
    return empty_response(204)


def return_generate(app: SandboxApp, req: Request) -> Response:
    """GET /returns/generate/{order_id}: the sandbox-only return seeder (one unit per line)."""
    order_id = req.params["order_id"].lower()
    stored = app.state.orders.get(order_id)
    if stored is None:
        return error_response(404, f"order {order_id} not found")
    return_id = new_return(
        app, order_id, {item["merchant_sku"]: 1 for item in stored.payload["order_items"]}
    )
    return json_response(201, {"url": f"/returns/state/{return_id}"})


# --- refunds -------------------------------------------------------------------------------------


def refund_create(app: SandboxApp, req: Request) -> Response:
    """POST /refunds/{order_id}/{alt_refund_id}: a merchant-initiated refund."""
    order_id = req.params["order_id"].lower()
    stored = app.state.orders.get(order_id)
    if stored is None:
        return error_response(404, f"order {order_id} not found")
    alt_refund_id = req.params["alt_refund_id"]
    problems = require_body(req, v.REFUND)
    if len(alt_refund_id) < 5:
        problems.append("alt_refund_id: must be at least 5 characters long")
    if any(
        r.payload["alt_refund_id"] == alt_refund_id and r.payload["merchant_order_id"] == order_id
        for r in app.state.refunds.values()
    ):
        problems.append(f"alt_refund_id: {alt_refund_id!r} was already used on order {order_id}")
    if not problems:
        item_ids = {item["order_item_id"] for item in stored.payload["order_items"]}
        for index, item in enumerate(req.body["items"]):
            if "order_item_id" in item and item["order_item_id"] not in item_ids:
                problems.append(f"items[{index}].order_item_id: not an item of order {order_id}")
    if problems:
        return error_response(400, *problems)
    refund_id = app.state.new_id()
    payload: dict[str, Any] = {
        "refund_authorization_id": refund_id,
        "alt_refund_id": alt_refund_id,
        "refund_status": "created",
        "merchant_order_id": order_id,
        "reference_order_id": stored.payload["reference_order_id"],
        "items": copy.deepcopy(req.body["items"]),
    }
    if "alt_order_id" in stored.payload:
        payload["alt_order_id"] = stored.payload["alt_order_id"]
    app.state.refunds[refund_id] = StoredRefund(payload, app.state.next_seq())
    return json_response(201, {"refund_authorization_id": refund_id, "refund_status": "created"})


def refund_detail(app: SandboxApp, req: Request) -> Response:
    """GET /refunds/state/{id}."""
    refund_id = req.params["refund_id"].lower()
    stored = app.state.refunds.get(refund_id)
    if stored is None:
        return error_response(404, f"refund {refund_id} not found")
    return json_response(200, stored.payload)


def refund_list(app: SandboxApp, req: Request) -> Response:
    """GET /refunds/{status}: ``rejected`` matches every ``rejected - …`` status."""
    status = req.params["status"].lower()
    if status not in ("created", "processing", "accepted", "rejected"):
        return error_response(400, f"status: {status!r} is not a Jet refund status")
    found = sorted(
        (r for r in app.state.refunds.values() if r.payload["refund_status"].startswith(status)),
        key=lambda r: r.seq,
    )
    urls = [f"/refunds/state/{r.payload['refund_authorization_id']}" for r in found]
    return json_response(200, {"refund_urls": urls})
