"""Stored orders as flat rows: one dict of plain values per order, for tables and DataFrames.

``pandas.DataFrame(order_rows(orders))``, ``polars.DataFrame(...)``, ``csv.DictWriter`` and a
notebook's HTML table all take a list of same-keyed dicts, so the library needs none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from jet_orderhive.orderhive.models import SalesOrder

__all__ = ["ORDER_ROW_COLUMNS", "OrderRow", "order_rows"]


class OrderRow(TypedDict):
    """One stored order as plain values: ids, statuses, unit counts and the total."""

    jet_order_id: str
    order_number: str
    placed_at: datetime
    jet_status: str
    status: str
    customer_email: str | None
    lines: int
    units_ordered: int
    units_shipped: int
    units_cancelled: int
    units_returned: int
    grand_total: Decimal
    currency: str
    directed_cancel: bool


ORDER_ROW_COLUMNS: tuple[str, ...] = tuple(OrderRow.__annotations__)
"""The keys of every :class:`OrderRow`, in order: a table's column headings."""


def order_rows(orders: Iterable[SalesOrder]) -> list[OrderRow]:
    """One :class:`OrderRow` per order, in the order given (no addresses: they stay in storage)."""
    rows: list[OrderRow] = []
    for order in orders:
        lines = order.line_items
        rows.append(
            OrderRow(
                jet_order_id=order.channel_order_id,
                order_number=order.channel_order_number,
                placed_at=order.placed_at,
                jet_status=order.channel_status,
                status=order.order_status.value,
                customer_email=order.customer_email,
                lines=len(lines),
                units_ordered=sum(line.quantity_ordered for line in lines),
                units_shipped=sum(line.quantity_shipped for line in lines),
                units_cancelled=sum(line.quantity_cancelled for line in lines),
                units_returned=sum(line.quantity_returned for line in lines),
                grand_total=order.grand_total,
                currency=order.currency,
                directed_cancel=order.directed_cancel,
            )
        )
    return rows
