"""Orderhive-shaped domain models: attrs records with no I/O."""

from __future__ import annotations

from jet_orderhive.orderhive.enums import (
    CommentKind,
    ExtraItemType,
    OrderStatus,
    PaymentStatus,
    TaxType,
)
from jet_orderhive.orderhive.models import (
    Address,
    Comment,
    Customer,
    ExtraItem,
    LineItem,
    SalesOrder,
    Shipment,
    ShipmentLine,
    normalize_email,
)

__all__ = [
    "Address",
    "Comment",
    "CommentKind",
    "Customer",
    "ExtraItem",
    "ExtraItemType",
    "LineItem",
    "OrderStatus",
    "PaymentStatus",
    "SalesOrder",
    "Shipment",
    "ShipmentLine",
    "TaxType",
    "normalize_email",
]
