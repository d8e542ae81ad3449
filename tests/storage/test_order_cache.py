"""The SQL adapters hand an order they wrote or read lately back without decoding its JSON,
and only ever for the very text the row holds."""

from __future__ import annotations

import contextlib
import sqlite3
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from jet_orderhive.orderhive import SalesOrder
from jet_orderhive.storage import SQLiteStorage, _rows
from jet_orderhive.storage._canonical import record_json
from jet_orderhive.testing.storage_kit import make_sales_order


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The order texts decoded from now on."""
    seen: list[str] = []
    decode = _rows.order

    def counting(body: str) -> SalesOrder:
        seen.append(body)
        return decode(body)

    monkeypatch.setattr(_rows, "order", counting)
    return seen


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


def test_an_order_read_back_after_it_was_written_is_not_decoded(
    path: Path, decoded: list[str]
) -> None:
    order = make_sales_order(channel_status="ready")
    with SQLiteStorage(path) as storage:
        storage.upsert_order(order)
        assert storage.get_order(order.channel_order_id) == order
        assert storage.list_orders() == [order]
        assert decoded == []


def test_an_order_another_writer_changed_is_read_as_the_row_holds_it(
    path: Path, decoded: list[str]
) -> None:
    order = make_sales_order(channel_status="ready")
    shipped = make_sales_order(channel_status="complete", unit_price=Decimal("5.00"))
    with SQLiteStorage(path) as storage, SQLiteStorage(path) as other:
        storage.upsert_order(order)
        other.upsert_order(shipped)
        assert storage.get_order(order.channel_order_id) == shipped
        assert decoded == [record_json(shipped)]
        # Decoded once, then known; a change by hand is read as the new text again.
        assert storage.get_order(order.channel_order_id) == shipped
        assert len(decoded) == 1
        by_hand = make_sales_order(channel_status="inprogress")
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("UPDATE orders SET body = ?", (record_json(by_hand),))
            conn.commit()
        assert storage.get_order(order.channel_order_id) == by_hand
        assert len(decoded) == 2


def test_the_cache_keeps_the_orders_used_last_and_no_more(decoded: list[str]) -> None:
    cache = _rows.OrderCache(size=2)
    orders = [make_sales_order(f"order-{n}") for n in range(3)]
    texts = [record_json(order) for order in orders]
    cache.remember(texts[0], orders[0])
    cache.remember(texts[1], orders[1])
    assert cache.order(texts[0]) is orders[0]  # used last now: order-1 goes first
    cache.remember(texts[2], orders[2])
    assert cache.order(texts[0]) is orders[0]
    assert cache.order(texts[2]) is orders[2]
    assert decoded == []
    assert cache.order(texts[1]) == orders[1]
    assert decoded == [texts[1]]


def test_a_subclass_is_not_kept_so_it_reads_back_as_a_sales_order(decoded: list[str]) -> None:
    class Special(SalesOrder):
        pass

    base = make_sales_order()
    special = Special(**attrs.asdict(base, recurse=False))
    cache = _rows.OrderCache()
    cache.remember(record_json(special), special)
    assert type(cache.order(record_json(special))) is SalesOrder
    assert len(decoded) == 1
