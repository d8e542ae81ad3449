"""One function per Jet endpoint: a parsed request in, a response out, state changed in between.

Handlers run under the sandbox lock (``SandboxApp.process`` holds it), so they read and write
the state freely. Error bodies follow Jet: 400 ``{"errors": ["<json path>: <reason>", ...]}``.
"""

from __future__ import annotations

import copy
import gzip
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import attrs

from jet_orderhive import _json
from jet_orderhive.jet._time import format_jet_timestamp, format_request_datetime
from jet_orderhive.testing._sandbox import orders as order_rules
from jet_orderhive.testing._sandbox import validation as v
from jet_orderhive.testing._sandbox.state import StoredFile, StoredRefund, StoredReturn, StoredSku

if TYPE_CHECKING:
    from jet_orderhive.testing._sandbox.app import SandboxApp

__all__ = ["Request", "Response", "Route", "json_response", "new_return", "resolve"]

LIST_WINDOW = timedelta(days=90)
UPLOAD_LIFETIME = timedelta(seconds=1800)
_CENT = Decimal("0.01")


@attrs.frozen(kw_only=True)
class Request:
    """A routed request: decoded path parameters and the body already parsed."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes
    body: Any
    origin: str
    params: Mapping[str, str]


@attrs.frozen(kw_only=True)
class Response:
    """Status, headers and body bytes."""

    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""


Handler = Callable[["SandboxApp", Request], Response]


@attrs.frozen(kw_only=True)
class Route:
    """An endpoint: methods, a path pattern (``{name}`` captures a segment) and its request kind."""

    methods: tuple[str, ...]
    pattern: tuple[str, ...]
    kind: str
    handler: Handler
    auth: bool = True
    api: bool = True

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.pattern, segments, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got.lower():
                return None
        return params


def json_response(status: int, value: object) -> Response:
    """A JSON response with sorted keys, as Jet's recorded responses had."""
    body = _json.dumps(value, sort_keys=True).encode()
    return Response(
        status=status, headers={"Content-Type": "application/json; charset=utf-8"}, body=body
    )


def _errors(status: int, *messages: str) -> Response:
    return json_response(status, {"errors": list(messages)})


def _empty(status: int) -> Response:
    return Response(status=status)


def _needs(req: Request, check: v.Check) -> list[str]:
    if req.body is None:
        return ["body: a JSON object is required"]
    return v.validate(check, req.body)


# --- auth ---------------------------------------------------------------------------------------


def token(app: SandboxApp, req: Request) -> Response:
    """POST /token: trade the API user and secret for a bearer token."""
    problems = _needs(req, v.TOKEN)
    if problems:
        return _errors(400, *problems)
    if req.body["user"] != app.config.user or req.body["pass"] != app.config.secret:
        return _errors(400, "Invalid user or password")
    value = app.state.new_secret(64)
    expires = app.now() + app.config.token_ttl
    app.state.tokens[value] = expires
    return json_response(
        200,
        {
            "id_token": value,
            "token_type": "Bearer",
            "expires_on": expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )


def authcheck(app: SandboxApp, req: Request) -> Response:
    """GET /authcheck: 200 once the token is good (the 401 comes from the auth gate)."""
    return json_response(200, "This message is authorized.")


# --- orders -------------------------------------------------------------------------------------


def _order_url(order_id: str) -> str:
    return f"/orders/withoutShipmentDetail/{order_id}"


def _flag(req: Request, name: str) -> tuple[bool | None, str | None]:
    raw = req.query.get(name)
    if raw is None:
        return None, None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true", None
    return None, f"{name}: expected true or false, got {raw!r}"


def _listed_orders(app: SandboxApp, status: str) -> list[dict[str, Any]]:
    cutoff = app.now() - LIST_WINDOW
    stored = [
        o
        for o in app.state.orders.values()
        if o.payload["status"] == status and o.placed_at >= cutoff
    ]
    stored.sort(key=lambda o: (o.placed_at, o.seq))
    return [o.payload for o in stored]


def order_list(app: SandboxApp, req: Request) -> Response:
    """GET /orders/{status}: ids of orders in a status, oldest first, capped, last 90 days."""
    status = req.params["status"].lower()
    if status not in order_rules.ORDER_STATUSES:
        return _errors(
            400, f"status: {status!r} is not one of {', '.join(order_rules.ORDER_STATUSES)}"
        )
    cancelled, problem = _flag(req, "isCancelled")
    if problem:
        return _errors(400, problem)
    node = req.query.get("fulfillment_node")
    found = [
        o
        for o in _listed_orders(app, status)
        if (cancelled is None or order_rules.is_cancelled(o) == cancelled)
        and (node is None or o["fulfillment_node"] == node)
    ]
    urls = [_order_url(o["merchant_order_id"]) for o in found[: app.config.order_list_cap]]
    return json_response(200, {"order_urls": urls})


def order_list_tagged(app: SandboxApp, req: Request) -> Response:
    """GET /orders/{status}/{tag}/{true|false}: orders with (or without) a tag."""
    status = req.params["status"].lower()
    if status not in order_rules.ORDER_STATUSES:
        return _errors(400, f"status: {status!r} is not a Jet order status")
    wanted = req.params["with_tag"].lower()
    if wanted not in ("true", "false"):
        return _errors(400, f"expected true or false after the tag, got {wanted!r}")
    tag = req.params["tag"]
    ids = {o.payload["merchant_order_id"]: o.tag for o in app.state.orders.values()}
    found = [
        o["merchant_order_id"]
        for o in _listed_orders(app, status)
        if (ids[o["merchant_order_id"]] == tag) == (wanted == "true")
    ]
    urls = [_order_url(i) for i in found[: app.config.order_list_cap]]
    return json_response(200, {"order_urls": urls})


def _find_order(app: SandboxApp, req: Request) -> tuple[Any, Response | None]:
    order_id = req.params["order_id"].lower()
    stored = app.state.orders.get(order_id)
    if stored is None:
        return None, _errors(404, f"order {order_id} not found")
    return stored, None


def order_detail(app: SandboxApp, req: Request) -> Response:
    """GET /orders/withoutShipmentDetail/{id} and /orders/withShipmentDetail/{id}."""
    stored, missing = _find_order(app, req)
    if missing:
        return missing
    payload = stored.corrupt if stored.corrupt is not None else stored.payload
    return json_response(200, payload)


def acknowledge(app: SandboxApp, req: Request) -> Response:
    """PUT /orders/{id}/acknowledge: accept or reject a ``ready`` order."""
    stored, missing = _find_order(app, req)
    if missing:
        return missing
    problems = _needs(req, v.ACKNOWLEDGEMENT)
    if not problems:
        problems = order_rules.acknowledge(stored.payload, req.body, app.now())
    return _errors(400, *problems) if problems else _empty(204)


def shipped(app: SandboxApp, req: Request) -> Response:
    """PUT /orders/{id}/shipped: ship and/or cancel units."""
    stored, missing = _find_order(app, req)
    if missing:
        return missing
    problems = _needs(req, v.SHIPPED)
    if not problems:
        problems = order_rules.ship(stored.payload, req.body, app.now(), app.state.new_id)
    return _errors(400, *problems) if problems else _empty(204)


def tag(app: SandboxApp, req: Request) -> Response:
    """PUT /orders/{id}/tag: attach the merchant's tag to an order."""
    stored, missing = _find_order(app, req)
    if missing:
        return missing
    problems = _needs(req, v.TAG)
    if problems:
        return _errors(400, *problems)
    stored.tag = req.body["tag"]
    return _empty(204)


def directed_cancel_list(app: SandboxApp, req: Request) -> Response:
    """GET /orders/directedCancel: the legacy list of orders Jet asked to cancel."""
    stored = sorted(app.state.orders.values(), key=lambda o: (o.placed_at, o.seq))
    urls = [
        _order_url(o.payload["merchant_order_id"])
        for o in stored
        if o.payload.get("jet_request_directed_cancel") and o.payload["status"] != "complete"
    ]
    return json_response(200, {"order_cancel_urls": urls[: app.config.order_list_cap]})


def generate_orders(app: SandboxApp, req: Request) -> Response:
    """POST /orders/generate/{n}: the sandbox-only order seeder."""
    raw = req.params["count"]
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        return _errors(400, f"count: expected a whole number from 1 to 1000, got {raw!r}")
    if req.body is not None:
        problems = v.validate(v.GENERATE_ORDERS, req.body)
        if problems:
            return _errors(400, *problems)
    ids = app.generate(int(raw), req.body)
    return json_response(201, {"order_urls": [_order_url(i) for i in ids]})


# --- merchant SKUs -----------------------------------------------------------------------------


def _sku_stamp(value: datetime) -> str:
    # Merchant-SKU timestamps came back with "+00:00" rather than "Z".
    return format_request_datetime(value.astimezone(UTC))


def _find_sku(app: SandboxApp, req: Request) -> tuple[Any, Response | None]:
    sku = req.params["sku"]
    stored = app.state.skus.get(sku)
    if stored is None:
        return None, _errors(
            404, f"merchant SKU {sku!r} not found; create it with PUT /merchant-skus/{{sku}} first"
        )
    return stored, None


def _node_errors(app: SandboxApp, body: Mapping[str, Any], prefix: str = "") -> list[str]:
    errors = []
    for index, node in enumerate(body.get("fulfillment_nodes", ())):
        node_id = node["fulfillment_node_id"]
        if node_id not in app.config.node_ids:
            errors.append(
                f"{prefix}fulfillment_nodes[{index}].fulfillment_node_id: {node_id!r} is not one "
                "of the merchant's fulfillment nodes (see GET /setup/fulfillmentNodes)"
            )
    return errors


def apply_product(app: SandboxApp, sku: str, body: Any) -> tuple[list[str], bool]:
    """Create or replace a SKU's product data; return the problems and whether it was new."""
    problems = v.validate(v.PRODUCT, body)
    if problems:
        return problems, False
    stored = app.state.skus.get(sku)
    created = stored is None
    if stored is None:
        stored = app.state.skus[sku] = StoredSku(
            sku, seq=app.state.next_seq(), merchant_sku_id=app.state.new_id(), now=app.now()
        )
    stored.product = copy.deepcopy(body)
    stored.sku_last_update = app.now()
    return [], created


def apply_price(app: SandboxApp, stored: StoredSku, body: Any) -> list[str]:
    """Set a SKU's price and per-node prices."""
    problems = v.validate(v.PRICE, body) or _node_errors(app, body)
    if problems:
        return problems
    stored.price = body["price"]
    stored.node_prices = {
        node["fulfillment_node_id"]: node["fulfillment_node_price"]
        for node in body.get("fulfillment_nodes", ())
    }
    stored.price_last_update = app.now()
    return []


def apply_inventory(app: SandboxApp, stored: StoredSku, body: Any, *, replace: bool) -> list[str]:
    """PUT replaces every node's quantity; PATCH changes only the nodes listed."""
    problems = v.validate(v.INVENTORY, body) or _node_errors(app, body)
    if problems:
        return problems
    if stored.archived:
        # Jet ignored inventory for archived SKUs rather than refusing it.
        return []
    listed = {node["fulfillment_node_id"]: node["quantity"] for node in body["fulfillment_nodes"]}
    stored.inventory = listed if replace else {**stored.inventory, **listed}
    stored.inventory_last_update = app.now()
    return []


def apply_archive(app: SandboxApp, stored: StoredSku, body: Any) -> list[str]:
    """Archive or unarchive a SKU."""
    problems = v.validate(v.ARCHIVE, body)
    if problems:
        return problems
    stored.archived = body["is_archived"]
    stored.sku_last_update = app.now()
    return []


def sku_status(stored: StoredSku) -> tuple[str, list[str]]:
    """Jet's listing status and sub-statuses for a SKU."""
    if stored.archived:
        return "Archived", []
    missing = []
    if stored.price is None:
        missing.append("Missing price")
    if not stored.inventory:
        missing.append("Missing inventory")
    if missing:
        return "Missing Listing Data", [s for s in missing if s == "Missing price"]
    return "Under Jet Review", []


def sku_document(app: SandboxApp, stored: StoredSku) -> dict[str, Any]:
    """The GET /merchant-skus/{sku} body."""
    status, sub_status = sku_status(stored)
    doc: dict[str, Any] = copy.deepcopy(stored.product)
    doc.update(
        {
            "merchant_sku": stored.sku,
            "merchant_sku_id": stored.merchant_sku_id,
            "merchant_id": app.config.merchant_id,
            "correlation_id": stored.correlation_id,
            "status": status,
            "sub_status": sub_status,
            "is_archived": stored.archived,
            "sku_last_update": _sku_stamp(stored.sku_last_update),
            "inventory_by_fulfillment_node": [
                {"fulfillment_node_id": node, "quantity": qty}
                for node, qty in stored.inventory.items()
            ],
            "price_by_fulfillment_node": [
                {"fulfillment_node_id": node, "fulfillment_node_price": price}
                for node, price in stored.node_prices.items()
            ],
        }
    )
    if stored.price is not None:
        doc["price"] = stored.price
    if stored.price_last_update is not None:
        doc["price_last_update"] = _sku_stamp(stored.price_last_update)
    if stored.inventory_last_update is not None:
        doc["inventory_last_update"] = _sku_stamp(stored.inventory_last_update)
    return doc


def sku_put(app: SandboxApp, req: Request) -> Response:
    """PUT /merchant-skus/{sku}: upload product data (201 new, 204 update)."""
    if req.body is None:
        return _errors(400, "body: a JSON object is required")
    problems, created = apply_product(app, req.params["sku"], req.body)
    if problems:
        return _errors(400, *problems)
    return _empty(201 if created else 204)


def sku_get(app: SandboxApp, req: Request) -> Response:
    """GET /merchant-skus/{sku}."""
    stored, missing = _find_sku(app, req)
    return missing or json_response(200, sku_document(app, stored))


def _int_param(req: Request, name: str, default: int) -> tuple[int, str | None]:
    raw = req.query.get(name)
    if raw is None:
        return default, None
    if not raw.isdigit():
        return default, f"{name}: expected a whole number, got {raw!r}"
    return int(raw), None


def sku_list(app: SandboxApp, req: Request) -> Response:
    """GET /merchant-skus?offset=&limit=: relative URLs of SKUs in creation order."""
    offset, bad_offset = _int_param(req, "offset", 0)
    limit, bad_limit = _int_param(req, "limit", 1000)
    problems = [p for p in (bad_offset, bad_limit) if p]
    if problems:
        return _errors(400, *problems)
    ordered = sorted(app.state.skus.values(), key=lambda s: s.seq)
    page = ordered[offset : offset + min(limit, 1000)]
    return json_response(
        200, {"sku_urls": [f"merchant-skus/{quote(s.sku, safe='')}" for s in page]}
    )


def price_put(app: SandboxApp, req: Request) -> Response:
    """PUT /merchant-skus/{sku}/price."""
    stored, missing = _find_sku(app, req)
    if missing:
        return missing
    problems = apply_price(app, stored, req.body) if req.body is not None else _needs(req, v.PRICE)
    return _errors(400, *problems) if problems else _empty(204)


def price_get(app: SandboxApp, req: Request) -> Response:
    """GET /merchant-skus/{sku}/price."""
    stored, missing = _find_sku(app, req)
    if missing:
        return missing
    doc: dict[str, Any] = {
        "fulfillment_nodes": [
            {"fulfillment_node_id": node, "fulfillment_node_price": price}
            for node, price in stored.node_prices.items()
        ]
    }
    if stored.price is not None:
        doc["price"] = stored.price
    if stored.price_last_update is not None:
        doc["price_last_update"] = _sku_stamp(stored.price_last_update)
    return json_response(200, doc)


def inventory_write(app: SandboxApp, req: Request) -> Response:
    """PUT (replace) or PATCH (listed nodes only) /merchant-skus/{sku}/inventory."""
    stored, missing = _find_sku(app, req)
    if missing:
        return missing
    if req.body is None:
        return _errors(400, "body: a JSON object is required")
    problems = apply_inventory(app, stored, req.body, replace=req.method == "PUT")
    return _errors(400, *problems) if problems else _empty(204)


def inventory_get(app: SandboxApp, req: Request) -> Response:
    """GET /merchant-skus/{sku}/inventory."""
    stored, missing = _find_sku(app, req)
    if missing:
        return missing
    doc: dict[str, Any] = {
        "fulfillment_nodes": [
            {"fulfillment_node_id": node, "quantity": qty} for node, qty in stored.inventory.items()
        ]
    }
    if stored.inventory_last_update is not None:
        doc["inventory_last_update"] = _sku_stamp(stored.inventory_last_update)
    return json_response(200, doc)


def archive(app: SandboxApp, req: Request) -> Response:
    """PUT /merchant-skus/{sku}/status/archive."""
    stored, missing = _find_sku(app, req)
    if missing:
        return missing
    if req.body is None:
        return _errors(400, "body: a JSON object is required")
    problems = apply_archive(app, stored, req.body)
    return _errors(400, *problems) if problems else _empty(204)


# --- setup ---------------------------------------------------------------------------------------


def fulfillment_nodes(app: SandboxApp, req: Request) -> Response:
    """GET /setup/fulfillmentNodes."""
    nodes = [
        {
            "jet_fulfillment_node_id": node,
            "location_name": f"Warehouse {index + 1}",
            "time_zone": "Eastern Standard Time",
            "is_daylight_savings_enabled": True,
            "address_1": f"{100 + index} Fulfillment Circle",
            "city": "Secaucus",
            "state": "NJ",
            "zip_code": "07094",
        }
        for index, node in enumerate(app.config.node_ids)
    ]
    return json_response(200, {"fulfillment_nodes": nodes})


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
        return _errors(400, f"status: {req.params['status']!r} is not a Jet return status")
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
        return None, _errors(404, f"return {return_id} not found")
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
    problems = _needs(req, v.RETURN_COMPLETE)
    if problems:
        return _errors(400, *problems)
    ret, body = stored.payload, req.body
    if ret["return_status"] not in ("created", "acknowledged", "inprogress"):
        return _errors(
            400,
            f"return {ret['merchant_return_authorization_id']} is already '{ret['return_status']}'",
        )
    if body.get("merchant_order_id", ret["merchant_order_id"]) != ret["merchant_order_id"]:
        return _errors(
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
        return _errors(400, *problems)
    ret["return_status"] = "completed by merchant"
    ret["completed_date"] = format_jet_timestamp(app.now())
    ret["agree_to_return_charge"] = body["agree_to_return_charge"]
    if "return_charge_feedback" in body:
        ret["return_charge_feedback"] = body["return_charge_feedback"]
    ret["items"] = copy.deepcopy(body["items"])
    return _empty(204)


def return_generate(app: SandboxApp, req: Request) -> Response:
    """GET /returns/generate/{order_id}: the sandbox-only return seeder (one unit per line)."""
    order_id = req.params["order_id"].lower()
    stored = app.state.orders.get(order_id)
    if stored is None:
        return _errors(404, f"order {order_id} not found")
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
        return _errors(404, f"order {order_id} not found")
    alt_refund_id = req.params["alt_refund_id"]
    problems = _needs(req, v.REFUND)
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
        return _errors(400, *problems)
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
        return _errors(404, f"refund {refund_id} not found")
    return json_response(200, stored.payload)


def refund_list(app: SandboxApp, req: Request) -> Response:
    """GET /refunds/{status}: ``rejected`` matches every ``rejected - …`` status."""
    status = req.params["status"].lower()
    if status not in ("created", "processing", "accepted", "rejected"):
        return _errors(400, f"status: {status!r} is not a Jet refund status")
    found = sorted(
        (r for r in app.state.refunds.values() if r.payload["refund_status"].startswith(status)),
        key=lambda r: r.seq,
    )
    urls = [f"/refunds/state/{r.payload['refund_authorization_id']}" for r in found]
    return json_response(200, {"refund_urls": urls})


# --- bulk files ---------------------------------------------------------------------------------


def upload_token(app: SandboxApp, req: Request) -> Response:
    """GET /files/uploadToken: a write-only upload URL on this host, valid for 30 minutes."""
    file_id = app.state.new_id()
    signature = app.state.new_secret(43)
    expires = app.now() + UPLOAD_LIFETIME
    se = quote(expires.strftime("%Y-%m-%dT%H:%M:%SZ"), safe="")
    url = (
        f"{req.origin}/_blob/merchant-files/{file_id}"
        f"?sv=2015-04-05&sr=b&sig={quote(signature, safe='')}&se={se}&sp=w"
    )
    app.state.files[file_id] = StoredFile(file_id, url, signature, expires)
    return json_response(
        200,
        {
            "url": url,
            "jet_file_id": file_id,
            "expires_in_seconds": int(UPLOAD_LIFETIME.total_seconds()),
        },
    )


def blob_put(app: SandboxApp, req: Request) -> Response:
    """PUT <upload url>: the Azure blob write (no Jet auth; a signed URL instead)."""
    stored = app.state.files.get(req.params["file_id"].lower())
    if stored is None:
        return _errors(404, "The specified container or blob does not exist.")
    if req.query.get("sig") != stored.signature:
        return _errors(403, "Signature did not match; use the url from GET /files/uploadToken")
    if app.now() > stored.expires_at:
        return _errors(403, "The upload URL has expired; ask GET /files/uploadToken for a new one")
    if req.headers.get("x-ms-blob-type") != "BlockBlob":
        return _errors(400, "x-ms-blob-type: header 'x-ms-blob-type: BlockBlob' is required")
    stored.content = req.raw_body
    return _empty(201)


def files_uploaded(app: SandboxApp, req: Request) -> Response:
    """POST /files/uploaded: tell Jet the blob is in place and what it holds."""
    problems = _needs(req, v.FILE_UPLOADED)
    if problems:
        return _errors(400, *problems)
    file_id = urlsplit(req.body["url"]).path.rstrip("/").rsplit("/", 1)[-1].lower()
    stored = app.state.files.get(file_id)
    if stored is None or stored.content is None:
        return _errors(
            400, "url: nothing was uploaded to that URL; PUT the gzipped file to it first"
        )
    stored.status = {
        "url": req.body["url"],
        "file_type": req.body["file_type"],
        "file_name": req.body["file_name"],
        "jet_file_id": file_id,
        "received": format_jet_timestamp(app.now()),
        "status": "Acknowledged",
    }
    return json_response(200, stored.status)


def file_status(app: SandboxApp, req: Request) -> Response:
    """GET /files/{id}: the file's status; the sandbox processes it on the first look."""
    stored = app.state.files.get(req.params["file_id"].lower())
    if stored is None or stored.status is None:
        return _errors(404, f"file {req.params['file_id']} not found")
    if stored.status["status"] == "Acknowledged":
        _process_file(app, stored)
    return json_response(200, stored.status)


def files_list(app: SandboxApp, req: Request) -> Response:
    """GET /files: links to every file Jet was told about."""
    urls = [f"/files/{f.jet_file_id}" for f in app.state.files.values() if f.status is not None]
    return json_response(200, {"files_urls": urls})


def _process_file(app: SandboxApp, stored: StoredFile) -> None:
    assert stored.status is not None
    assert stored.content is not None
    status = stored.status
    status["processing_start"] = format_jet_timestamp(app.now())
    errors: list[str] = []
    processed = 0
    try:
        records = _json.loads(gzip.decompress(stored.content))
    except (OSError, EOFError, zlib.error, ValueError, UnicodeDecodeError) as exc:
        errors.append(f"Position 0: Error: the file is not gzipped JSON ({exc})")
        records = None
    if records is not None and not isinstance(records, dict):
        errors.append("Position 0: Error: the file must be one JSON object keyed by merchant SKU")
        records = None
    for position, (sku, record) in enumerate((records or {}).items(), start=1):
        processed += 1
        problems = _apply_file_record(app, status["file_type"], sku, record)
        if problems:
            errors.append(f"Position {position}: Error: parsing sku '{sku}' {'; '.join(problems)}")
    status["processing_end"] = format_jet_timestamp(app.now())
    status["total_processed"] = processed
    status["error_count"] = len(errors)
    status["error_excerpt"] = errors[:20]
    status["status"] = "Processed with errors" if errors else "Processed successfully"


def _apply_file_record(app: SandboxApp, file_type: str, sku: str, record: Any) -> list[str]:
    if file_type == "MerchantSKUs":
        return apply_product(app, sku, record)[0]
    stored = app.state.skus.get(sku)
    if file_type not in ("Inventory", "Price", "Archive"):
        return [f"file type {file_type!r} is not processed by the sandbox"]
    if stored is None:
        return ["merchant SKU not found; upload its product data first"]
    if file_type == "Inventory":
        return apply_inventory(app, stored, record, replace=False)
    if file_type == "Price":
        return apply_price(app, stored, record)
    return apply_archive(app, stored, record)


# --- routing -------------------------------------------------------------------------------------

ROUTES: tuple[Route, ...] = (
    Route(methods=("POST",), pattern=("token",), kind="token", handler=token, auth=False),
    Route(methods=("GET",), pattern=("authcheck",), kind="authcheck", handler=authcheck),
    Route(
        methods=("GET",), pattern=("orders", "directedcancel"), kind="directed_cancel_list",
        handler=directed_cancel_list,
    ),
    Route(
        methods=("GET",), pattern=("orders", "withoutshipmentdetail", "{order_id}"),
        kind="order_detail", handler=order_detail,
    ),
    Route(
        methods=("GET",), pattern=("orders", "withshipmentdetail", "{order_id}"),
        kind="order_detail", handler=order_detail,
    ),
    Route(
        methods=("POST",), pattern=("orders", "generate", "{count}"), kind="generate_orders",
        handler=generate_orders,
    ),
    Route(methods=("GET",), pattern=("orders", "{status}"), kind="order_list", handler=order_list),
    Route(
        methods=("GET",), pattern=("orders", "{status}", "{tag}", "{with_tag}"),
        kind="order_list", handler=order_list_tagged,
    ),
    Route(
        methods=("PUT",), pattern=("orders", "{order_id}", "acknowledge"), kind="acknowledge",
        handler=acknowledge,
    ),
    Route(
        methods=("PUT",), pattern=("orders", "{order_id}", "shipped"), kind="shipped",
        handler=shipped,
    ),
    Route(methods=("PUT",), pattern=("orders", "{order_id}", "tag"), kind="tag", handler=tag),
    Route(methods=("GET",), pattern=("merchant-skus",), kind="sku_list", handler=sku_list),
    Route(methods=("PUT",), pattern=("merchant-skus", "{sku}"), kind="product", handler=sku_put),
    Route(methods=("GET",), pattern=("merchant-skus", "{sku}"), kind="sku", handler=sku_get),
    Route(
        methods=("PUT",), pattern=("merchant-skus", "{sku}", "price"), kind="price",
        handler=price_put,
    ),
    Route(
        methods=("GET",), pattern=("merchant-skus", "{sku}", "price"), kind="price_get",
        handler=price_get,
    ),
    Route(
        methods=("PUT", "PATCH"), pattern=("merchant-skus", "{sku}", "inventory"),
        kind="inventory", handler=inventory_write,
    ),
    Route(
        methods=("GET",), pattern=("merchant-skus", "{sku}", "inventory"), kind="inventory_get",
        handler=inventory_get,
    ),
    Route(
        methods=("PUT",), pattern=("merchant-skus", "{sku}", "status", "archive"), kind="archive",
        handler=archive,
    ),
    Route(
        methods=("GET",), pattern=("setup", "fulfillmentnodes"), kind="fulfillment_nodes",
        handler=fulfillment_nodes,
    ),
    Route(
        methods=("GET",), pattern=("returns", "state", "{return_id}"), kind="return_detail",
        handler=return_detail,
    ),
    Route(
        methods=("GET",), pattern=("returns", "generate", "{order_id}"), kind="generate_return",
        handler=return_generate,
    ),
    Route(
        methods=("GET",), pattern=("returns", "{status}"), kind="return_list", handler=return_list
    ),
    Route(
        methods=("PUT",), pattern=("returns", "{return_id}", "complete"), kind="return_complete",
        handler=return_complete,
    ),
    Route(
        methods=("GET",), pattern=("refunds", "state", "{refund_id}"), kind="refund_detail",
        handler=refund_detail,
    ),
    Route(
        methods=("GET",), pattern=("refunds", "{status}"), kind="refund_list", handler=refund_list
    ),
    Route(
        methods=("POST", "PUT"), pattern=("refunds", "{order_id}", "{alt_refund_id}"),
        kind="refund", handler=refund_create,
    ),
    Route(methods=("GET",), pattern=("files",), kind="file_list", handler=files_list),
    Route(
        methods=("GET",), pattern=("files", "uploadtoken"), kind="upload_token",
        handler=upload_token,
    ),
    Route(
        methods=("POST",), pattern=("files", "uploaded"), kind="file_uploaded",
        handler=files_uploaded,
    ),
    Route(
        methods=("GET",), pattern=("files", "{file_id}"), kind="file_status", handler=file_status
    ),
    Route(
        methods=("PUT",), pattern=("_blob", "merchant-files", "{file_id}"), kind="file_upload",
        handler=blob_put, auth=False, api=False,
    ),
)  # fmt: skip


def resolve(
    method: str, segments: tuple[str, ...], *, api: bool
) -> tuple[Route | None, dict[str, str], tuple[str, ...]]:
    """The route for a request, its captured parameters, and the methods the path allows."""
    allowed: list[str] = []
    for route in ROUTES:
        if route.api != api:
            continue
        params = route.match(segments)
        if params is None:
            continue
        if method in route.methods:
            return route, params, ()
        allowed.extend(m for m in route.methods if m not in allowed)
    return None, {}, tuple(allowed)
