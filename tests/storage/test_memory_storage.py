"""MemoryStorage passes the storage kit, and keeps its own promises beyond it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jet_orderhive.orderhive import OrderStatus
from jet_orderhive.storage import MemoryStorage, OrderIntent, OrderSnapshot, UpsertResult
from jet_orderhive.testing.storage_kit import FakeClock, StorageContract, make_sales_order


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self, clock: FakeClock) -> MemoryStorage:
        return MemoryStorage(clock=clock)


def test_repr_counts_records_without_showing_them() -> None:
    storage = MemoryStorage()
    storage.upsert_order(make_sales_order())
    assert repr(storage) == (
        "MemoryStorage(accounts=1, orders=1, customers=0, outbox=0, quarantined=0)"
    )
    assert "jane" not in repr(storage).lower()


def test_every_way_of_writing_a_table_is_undone_by_a_rollback() -> None:
    from jet_orderhive.storage.memory import _Journal, _Table

    journal = _Journal()
    table = _Table(journal)
    table["a"] = 1
    writes = {
        "set": lambda: table.__setitem__("b", 2),
        "delete": lambda: table.__delitem__("a"),
        "pop": lambda: table.pop("a"),
        "update": lambda: table.update(a=5, c=3),
        "setdefault": lambda: table.setdefault("b", 2),
        "clear": table.clear,
        "popitem": table.popitem,
        "merge": lambda: table.__ior__({"c": 3}),
    }
    for name, write in writes.items():
        journal.entries = []
        write()
        journal.undo()
        assert dict(table) == {"a": 1}, name


def test_a_new_or_changed_order_is_told_without_writing_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jet_orderhive.storage.memory as memory_module

    written: list[object] = []

    def counting(write: Callable[[Any], str]) -> Callable[[Any], str]:
        def text(record: Any) -> str:
            written.append(record)
            return write(record)

        return text

    monkeypatch.setattr(memory_module, "order_json", counting(memory_module.order_json))
    monkeypatch.setattr(memory_module, "encode_json", counting(memory_module.encode_json))
    storage = MemoryStorage()
    order = make_sales_order()
    snapshot = OrderSnapshot(status="acknowledged")
    assert storage.upsert_order(order, snapshot=snapshot) is UpsertResult.CREATED
    shipped = make_sales_order(channel_status="complete", order_status=OrderStatus.SHIPPED)
    assert storage.upsert_order(shipped) is UpsertResult.UPDATED
    assert storage.upsert_order(shipped, intent=OrderIntent(confirmed=True)) is (
        UpsertResult.UPDATED
    )
    assert written == []
    # Only records equal to the stored ones are written out, to see they are written alike.
    again = make_sales_order(channel_status="complete", order_status=OrderStatus.SHIPPED)
    assert storage.upsert_order(again, snapshot=OrderSnapshot(status="acknowledged")) is (
        UpsertResult.UNCHANGED
    )
    assert written == [shipped, again, snapshot.to_json(), snapshot.to_json()]
