"""MemoryStorage passes the storage kit, and keeps its own promises beyond it."""

from __future__ import annotations

import pytest

from jet_orderhive.storage import MemoryStorage
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
