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
from jet_orderhive.orderhive.rows import ORDER_ROW_COLUMNS, OrderRow, order_rows

__all__ = [
    "ORDER_ROW_COLUMNS",
    "Address",
    "Comment",
    "CommentKind",
    "Customer",
    "ExtraItem",
    "ExtraItemType",
    "LineItem",
    "OrderRow",
    "OrderStatus",
    "PaymentStatus",
    "SalesOrder",
    "Shipment",
    "ShipmentLine",
    "TaxType",
    "normalize_email",
    "order_rows",
]
