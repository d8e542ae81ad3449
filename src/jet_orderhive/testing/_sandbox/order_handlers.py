"""Token, authcheck and order endpoints."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from jet_orderhive.testing._sandbox import orders as order_rules
from jet_orderhive.testing._sandbox import validation as v
from jet_orderhive.testing._sandbox.messages import (
    Request,
    Response,
    empty_response,
    error_response,
    json_response,
    require_body,
)

if TYPE_CHECKING:
    from jet_orderhive.testing._sandbox.app import SandboxApp
    from jet_orderhive.testing._sandbox.state import StoredOrder

__all__ = [
    "acknowledge",
    "authcheck",
    "directed_cancel_list",
    "generate_orders",
    "order_detail",
    "order_list",
    "order_list_tagged",
    "shipped",
    "tag",
    "token",
]

LIST_WINDOW = timedelta(days=90)


# --- auth ---------------------------------------------------------------------------------------


def token(app: SandboxApp, req: Request) -> Response:
    """POST /token: trade the API user and secret for a bearer token."""
    problems = require_body(req, v.TOKEN)
    if problems:
        return error_response(400, *problems)
    if req.body["user"] != app.config.user or req.body["pass"] != app.config.secret:
        return error_response(400, "Invalid user or password")
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


def _listed_orders(
    app: SandboxApp,
    status: str,
    cancelled: bool | None,
    keep: Callable[[StoredOrder], bool] | None = None,
) -> list[dict[str, Any]]:
    """The orders Jet lists under ``status`` (cancelled or not, and ``keep``), oldest first, up
    to the list cap, read from the state's index: a list costs what it returns."""
    cutoff = app.now() - LIST_WINDOW
    candidates = app.state.listed((status,), cancelled, since=cutoff)
    oldest = itertools.islice(
        (o for o in candidates if keep is None or keep(o)), app.config.order_list_cap
    )
    return [o.payload for o in oldest]


def order_list(app: SandboxApp, req: Request) -> Response:
    """GET /orders/{status}: ids of orders in a status, oldest first, capped, last 90 days."""
    status = req.params["status"].lower()
    if status not in order_rules.ORDER_STATUSES:
        return error_response(
            400, f"status: {status!r} is not one of {', '.join(order_rules.ORDER_STATUSES)}"
        )
    cancelled, problem = _flag(req, "isCancelled")
    if problem:
        return error_response(400, problem)
    node = req.query.get("fulfillment_node")

    def keep(order: StoredOrder) -> bool:
        return bool(order.payload["fulfillment_node"] == node)

    found = _listed_orders(app, status, cancelled, keep if node is not None else None)
    urls = [_order_url(o["merchant_order_id"]) for o in found]
    return json_response(200, {"order_urls": urls})


def order_list_tagged(app: SandboxApp, req: Request) -> Response:
    """GET /orders/{status}/{tag}/{true|false}: orders with (or without) a tag."""
    status = req.params["status"].lower()
    if status not in order_rules.ORDER_STATUSES:
        return error_response(400, f"status: {status!r} is not a Jet order status")
    wanted = req.params["with_tag"].lower()
    if wanted not in ("true", "false"):
        return error_response(400, f"expected true or false after the tag, got {wanted!r}")
    tag = req.params["tag"]

    def keep(order: StoredOrder) -> bool:
        return (order.tag == tag) == (wanted == "true")

    urls = [_order_url(o["merchant_order_id"]) for o in _listed_orders(app, status, None, keep)]
    return json_response(200, {"order_urls": urls})


def _find_order(app: SandboxApp, req: Request) -> tuple[Any, Response | None]:
    order_id = req.params["order_id"].lower()
    stored = app.state.orders.get(order_id)
    if stored is None:
        return None, error_response(404, f"order {order_id} not found")
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
    problems = require_body(req, v.ACKNOWLEDGEMENT)
    if not problems:
        problems = order_rules.acknowledge(stored.payload, req.body, app.now())
    app.state.refile(stored)
    return error_response(400, *problems) if problems else empty_response(204)


def shipped(app: SandboxApp, req: Request) -> Response:
    """PUT /orders/{id}/shipped: ship and/or cancel units."""
    stored, missing = _find_order(app, req)
    if missing:
        return missing
    problems = require_body(req, v.SHIPPED)
    if not problems:
        problems = order_rules.ship(stored.payload, req.body, app.now(), app.state.new_id)
    app.state.refile(stored)
    return error_response(400, *problems) if problems else empty_response(204)


def tag(app: SandboxApp, req: Request) -> Response:
    """PUT /orders/{id}/tag: attach the merchant's tag to an order."""
    stored, missing = _find_order(app, req)
    if missing:
        return missing
    problems = require_body(req, v.TAG)
    if problems:
        return error_response(400, *problems)
    stored.tag = req.body["tag"]
    return empty_response(204)


def directed_cancel_list(app: SandboxApp, req: Request) -> Response:
    """GET /orders/directedCancel: the legacy list of orders Jet asked to cancel."""
    # Jet's ask to cancel makes an order listed as cancelled: only those lists are read.
    open_statuses = tuple(s for s in order_rules.ORDER_STATUSES if s != "complete")
    urls = [
        _order_url(o.payload["merchant_order_id"])
        for o in app.state.listed(open_statuses, True)
        if o.payload.get("jet_request_directed_cancel")
    ]
    return json_response(200, {"order_cancel_urls": urls[: app.config.order_list_cap]})


def generate_orders(app: SandboxApp, req: Request) -> Response:
    """POST /orders/generate/{n}: the sandbox-only order seeder."""
    raw = req.params["count"]
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        return error_response(400, f"count: expected a whole number from 1 to 1000, got {raw!r}")
    if req.body is not None:
        problems = v.validate(v.GENERATE_ORDERS, req.body)
        if problems:
            return error_response(400, *problems)
    ids = app.generate(int(raw), req.body)
    return json_response(201, {"order_urls": [_order_url(i) for i in ids]})
