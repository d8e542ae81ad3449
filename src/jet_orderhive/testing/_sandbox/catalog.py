"""Merchant SKU, fulfillment node and bulk-file endpoints."""

from __future__ import annotations

import copy
import gzip
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from jet_orderhive import _json
from jet_orderhive.jet._time import format_jet_timestamp, format_request_datetime
from jet_orderhive.testing._sandbox import validation as v
from jet_orderhive.testing._sandbox.messages import (
    Request,
    Response,
    empty_response,
    error_response,
    json_response,
    require_body,
)
from jet_orderhive.testing._sandbox.state import StoredFile, StoredSku

if TYPE_CHECKING:
    from jet_orderhive.testing._sandbox.app import SandboxApp

__all__ = [
    "apply_archive",
    "apply_inventory",
    "apply_price",
    "apply_product",
    "archive",
    "blob_put",
    "file_status",
    "files_list",
    "files_uploaded",
    "fulfillment_nodes",
    "inventory_get",
    "inventory_write",
    "price_get",
    "price_put",
    "sku_document",
    "sku_get",
    "sku_list",
    "sku_put",
    "sku_status",
    "upload_token",
]

UPLOAD_LIFETIME = timedelta(seconds=1800)


# --- merchant SKUs -----------------------------------------------------------------------------


def _sku_stamp(value: datetime) -> str:
    # Merchant-SKU timestamps came back with "+00:00" rather than "Z".
    return format_request_datetime(value.astimezone(UTC))


def _find_sku(app: SandboxApp, req: Request) -> tuple[Any, Response | None]:
    sku = req.params["sku"]
    stored = app.state.skus.get(sku)
    if stored is None:
        return None, error_response(
            404, f"merchant SKU {sku!r} not found; create it with PUT /merchant-skus/{{sku}} first"
        )
    return stored, None


def _nodeerror_response(app: SandboxApp, body: Mapping[str, Any], prefix: str = "") -> list[str]:
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
    problems = v.validate(v.PRICE, body) or _nodeerror_response(app, body)
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
    problems = v.validate(v.INVENTORY, body) or _nodeerror_response(app, body)
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
        return error_response(400, "body: a JSON object is required")
    problems, created = apply_product(app, req.params["sku"], req.body)
    if problems:
        return error_response(400, *problems)
    return empty_response(201 if created else 204)


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
        return error_response(400, *problems)
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
    problems = (
        apply_price(app, stored, req.body) if req.body is not None else require_body(req, v.PRICE)
    )
    return error_response(400, *problems) if problems else empty_response(204)


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
        return error_response(400, "body: a JSON object is required")
    problems = apply_inventory(app, stored, req.body, replace=req.method == "PUT")
    return error_response(400, *problems) if problems else empty_response(204)


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
        return error_response(400, "body: a JSON object is required")
    problems = apply_archive(app, stored, req.body)
    return error_response(400, *problems) if problems else empty_response(204)


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
        return error_response(404, "The specified container or blob does not exist.")
    if req.query.get("sig") != stored.signature:
        return error_response(
            403, "Signature did not match; use the url from GET /files/uploadToken"
        )
    if app.now() > stored.expires_at:
        return error_response(
            403, "The upload URL has expired; ask GET /files/uploadToken for a new one"
        )
    if req.headers.get("x-ms-blob-type") != "BlockBlob":
        return error_response(400, "x-ms-blob-type: header 'x-ms-blob-type: BlockBlob' is required")
    stored.content = req.raw_body
    return empty_response(201)


def files_uploaded(app: SandboxApp, req: Request) -> Response:
    """POST /files/uploaded: tell Jet the blob is in place and what it holds."""
    problems = require_body(req, v.FILE_UPLOADED)
    if problems:
        return error_response(400, *problems)
    file_id = urlsplit(req.body["url"]).path.rstrip("/").rsplit("/", 1)[-1].lower()
    stored = app.state.files.get(file_id)
    if stored is None or stored.content is None:
        return error_response(
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
        return error_response(404, f"file {req.params['file_id']} not found")
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
