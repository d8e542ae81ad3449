"""The route table: which handler answers which method and path."""

from __future__ import annotations

from jet_orderhive.testing._sandbox import catalog as c
from jet_orderhive.testing._sandbox import order_handlers as o
from jet_orderhive.testing._sandbox import returns as r
from jet_orderhive.testing._sandbox.messages import Route

__all__ = ["ROUTES", "resolve"]

# --- routing -------------------------------------------------------------------------------------

ROUTES: tuple[Route, ...] = (
    Route(methods=("POST",), pattern=("token",), kind="token", handler=o.token, auth=False),
    Route(methods=("GET",), pattern=("authcheck",), kind="authcheck", handler=o.authcheck),
    Route(
        methods=("GET",),
        pattern=("orders", "directedcancel"),
        kind="directed_cancel_list",
        handler=o.directed_cancel_list,
    ),
    Route(
        methods=("GET",),
        pattern=("orders", "withoutshipmentdetail", "{order_id}"),
        kind="order_detail",
        handler=o.order_detail,
    ),
    Route(
        methods=("GET",),
        pattern=("orders", "withshipmentdetail", "{order_id}"),
        kind="order_detail",
        handler=o.order_detail,
    ),
    Route(
        methods=("POST",),
        pattern=("orders", "generate", "{count}"),
        kind="generate_orders",
        handler=o.generate_orders,
    ),
    Route(
        methods=("GET",), pattern=("orders", "{status}"), kind="order_list", handler=o.order_list
    ),
    Route(
        methods=("GET",),
        pattern=("orders", "{status}", "{tag}", "{with_tag}"),
        kind="order_list",
        handler=o.order_list_tagged,
    ),
    Route(
        methods=("PUT",),
        pattern=("orders", "{order_id}", "acknowledge"),
        kind="acknowledge",
        handler=o.acknowledge,
    ),
    Route(
        methods=("PUT",),
        pattern=("orders", "{order_id}", "shipped"),
        kind="shipped",
        handler=o.shipped,
    ),
    Route(methods=("PUT",), pattern=("orders", "{order_id}", "tag"), kind="tag", handler=o.tag),
    Route(methods=("GET",), pattern=("merchant-skus",), kind="sku_list", handler=c.sku_list),
    Route(methods=("PUT",), pattern=("merchant-skus", "{sku}"), kind="product", handler=c.sku_put),
    Route(methods=("GET",), pattern=("merchant-skus", "{sku}"), kind="sku", handler=c.sku_get),
    Route(
        methods=("PUT",),
        pattern=("merchant-skus", "{sku}", "price"),
        kind="price",
        handler=c.price_put,
    ),
    Route(
        methods=("GET",),
        pattern=("merchant-skus", "{sku}", "price"),
        kind="price_get",
        handler=c.price_get,
    ),
    Route(
        methods=("PUT", "PATCH"),
        pattern=("merchant-skus", "{sku}", "inventory"),
        kind="inventory",
        handler=c.inventory_write,
    ),
    Route(
        methods=("GET",),
        pattern=("merchant-skus", "{sku}", "inventory"),
        kind="inventory_get",
        handler=c.inventory_get,
    ),
    Route(
        methods=("PUT",),
        pattern=("merchant-skus", "{sku}", "status", "archive"),
        kind="archive",
        handler=c.archive,
    ),
    Route(
        methods=("GET",),
        pattern=("setup", "fulfillmentnodes"),
        kind="fulfillment_nodes",
        handler=c.fulfillment_nodes,
    ),
    Route(
        methods=("GET",),
        pattern=("returns", "state", "{return_id}"),
        kind="return_detail",
        handler=r.return_detail,
    ),
    Route(
        methods=("GET",),
        pattern=("returns", "generate", "{order_id}"),
        kind="generate_return",
        handler=r.return_generate,
    ),
    Route(
        methods=("GET",), pattern=("returns", "{status}"), kind="return_list", handler=r.return_list
    ),
    Route(
        methods=("PUT",),
        pattern=("returns", "{return_id}", "complete"),
        kind="return_complete",
        handler=r.return_complete,
    ),
    Route(
        methods=("GET",),
        pattern=("refunds", "state", "{refund_id}"),
        kind="refund_detail",
        handler=r.refund_detail,
    ),
    Route(
        methods=("GET",), pattern=("refunds", "{status}"), kind="refund_list", handler=r.refund_list
    ),
    Route(
        methods=("POST", "PUT"),
        pattern=("refunds", "{order_id}", "{alt_refund_id}"),
        kind="refund",
        handler=r.refund_create,
    ),
    Route(methods=("GET",), pattern=("files",), kind="file_list", handler=c.files_list),
    Route(
        methods=("GET",),
        pattern=("files", "uploadtoken"),
        kind="upload_token",
        handler=c.upload_token,
    ),
    Route(
        methods=("POST",),
        pattern=("files", "uploaded"),
        kind="file_uploaded",
        handler=c.files_uploaded,
    ),
    Route(
        methods=("GET",), pattern=("files", "{file_id}"), kind="file_status", handler=c.file_status
    ),
    Route(
        methods=("PUT",),
        pattern=("_blob", "merchant-files", "{file_id}"),
        kind="file_upload",
        handler=c.blob_put,
        auth=False,
        api=False,
    ),
)


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
