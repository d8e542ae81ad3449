"""Stored orders become plain rows any table or DataFrame library takes."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

from jet_orderhive import Integration, MemoryStorage
from jet_orderhive.orderhive import ORDER_ROW_COLUMNS, order_rows
from jet_orderhive.testing import JetSandbox


def test_every_stored_order_is_one_flat_row_with_the_same_columns() -> None:
    sandbox = JetSandbox(seed=3)
    ids = sandbox.generate_orders(8)
    storage = MemoryStorage()
    with sandbox.client() as client:
        Integration(client, storage).import_orders()
    orders = storage.list_orders()

    rows = order_rows(orders)

    assert sorted(row["jet_order_id"] for row in rows) == sorted(ids)
    assert all(tuple(row) == ORDER_ROW_COLUMNS for row in rows)
    plain = (str, int, bool, Decimal, datetime, type(None))
    assert all(isinstance(value, plain) for row in rows for value in row.values())
    for row, order in zip(rows, orders, strict=True):
        assert row["units_ordered"] == sum(line.quantity_ordered for line in order.line_items)
        assert row["grand_total"] == order.grand_total
        assert row["jet_status"] == "acknowledged"
        assert row["status"] == order.order_status.value


def test_rows_write_straight_to_csv() -> None:
    sandbox = JetSandbox(seed=4)
    sandbox.generate_orders(2)
    storage = MemoryStorage()
    with sandbox.client() as client:
        Integration(client, storage).import_orders()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ORDER_ROW_COLUMNS)
    writer.writeheader()
    writer.writerows(order_rows(storage.list_orders()))
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(ORDER_ROW_COLUMNS)
    assert len(lines) == 3
