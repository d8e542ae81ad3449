"""Shared inputs for the mapping tests: one known Jet order, a fixed clock, Jet's schemas.

A module of its own, not ``conftest``: every test folder has a ``conftest`` and only the first
one imported would be found under that name when the whole suite runs.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from jet_orderhive import _json
from jet_orderhive.jet._time import is_request_form

SCHEMA_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "jet-seller-schema"
NOW = datetime(2016, 5, 10, 18, 0, tzinfo=UTC)

# Jet's composed full-order example (jet-api.md §3.7) with a second line whose tax is odd, a
# three-unit line whose base price does not divide into cents, and a directed-cancel-free state.
KNOWN_ORDER_JSON = """
{
  "acknowledgement_status": "accepted",
  "alt_order_id": "100023",
  "buyer": {"name": "Jane Q. Doe", "phone_number": "555-111-2222"},
  "customer_reference_order_id": "512345678901",
  "exception_state": null,
  "fulfillment_node": "5e3c9f4e0b7a4e1c9d0a1b2c3d4e5f60",
  "has_shipments": false,
  "hash_email": " A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6@Customer.Jet.com ",
  "jet_request_directed_cancel": false,
  "merchant_order_id": "9b13bdd68c314d1b9c8b93277dea4da1",
  "order_acknowledge_date": "2016-05-10T14:05:00.0000000Z",
  "order_detail": {
    "request_delivery_by": "2016-05-14T04:00:00.0000000Z",
    "request_service_level": "Standard",
    "request_ship_by": "2016-05-11T04:00:00.0000000Z",
    "request_shipping_carrier": "UPS",
    "request_shipping_method": "UPS Ground"
  },
  "order_items": [
    {
      "alt_order_item_id": "100023-1",
      "item_price": {"base_price": 20.00, "item_shipping_cost": 5.00,
                     "item_shipping_tax": 0.35, "item_tax": 0.14},
      "merchant_sku": "B289B4B",
      "order_item_id": "8f5ae15b6b414b00a1b9d6ad99166a00",
      "product_title": "Blue pair of socks",
      "request_order_quantity": 2,
      "price_adjustment": {"principal": -1.50, "tax": 0, "shipping_cost": 0, "shipping_tax": 0}
    },
    {
      "item_price": {"base_price": 10.00, "item_shipping_cost": 0,
                     "item_shipping_tax": 0, "item_tax": 0.83},
      "merchant_sku": "C-300",
      "order_item_id": "1c0ffee0000000000000000000000003",
      "product_title": "Three pack of mugs",
      "request_order_quantity": 3
    }
  ],
  "order_placed_date": "2016-05-10T13:00:00.0000000Z",
  "order_ready_date": "2016-05-10T13:31:00.0000000Z",
  "order_totals": {
    "item_price": {"base_price": 30.00, "item_shipping_cost": 5.00,
                   "item_shipping_tax": 0.35, "item_tax": 0.97}
  },
  "order_transmission_date": "2016-05-10T13:01:00.0000000Z",
  "reference_order_id": "123456789012",
  "shipping_to": {
    "address": {"address1": "10880 Malibu Point", "address2": "", "city": "Malibu",
                "state": "CA", "zip_code": "90265"},
    "recipient": {"name": "Tony Stark", "phone_number": "555-333-4444"}
  },
  "status": "acknowledged"
}
"""


def known_order_data() -> dict[str, Any]:
    """A fresh, mutable copy of the known order's JSON (numbers as Decimal)."""
    data = _json.loads(KNOWN_ORDER_JSON)
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _jet_dialect(schema: Any) -> Any:
    # Jet's validator rejected unknown keys unless a schema allowed them (its README).
    if isinstance(schema, list):
        return [_jet_dialect(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _jet_dialect(value) for key, value in schema.items()}
    if result.get("type") == "object" and "additionalProperties" not in result:
        result["additionalProperties"] = False
    return result


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _request_date(value: object) -> bool:
    return not isinstance(value, str) or is_request_form(value)


def _schema(name: str) -> Any:
    if not SCHEMA_ROOT.is_dir():
        pytest.skip(f"Jet's published schemas are not at {SCHEMA_ROOT}")
    return json.loads((SCHEMA_ROOT / name).read_text(), strict=False)


def schema_problems(kind: str, body: Any) -> list[str]:
    """Problems of ``body`` against Jet's acknowledgement ("ack") or shipped ("ship") schema."""
    if kind == "ack":
        schema = _schema("orders/order-acknowledgement.schema.json")
        # Production clients also sent these two (jet-api.md §3.4).
        schema["properties"]["acknowledgement_status"]["enum"] += [
            "rejected - other",
            "rejected - fraud",
        ]
    else:
        schema = _schema("orders/order-shippedNotification.schema.json")
    validator = jsonschema.Draft3Validator(_jet_dialect(schema), format_checker=_FORMATS)
    # jsonschema reads numbers as float-or-int; Decimal is neither, so compare on JSON text.
    plain = json.loads(_json.dumps(body))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(plain)]


def money(text: str) -> Decimal:
    return Decimal(text)
