"""SQLiteStorage passes the storage kit, survives crashes and shares a file across processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jet_orderhive.storage import SQLiteStorage
from jet_orderhive.testing.storage_kit import FakeClock, StorageContract


class TestSQLiteStorage(StorageContract):
    @pytest.fixture
    def storage(self, clock: FakeClock, tmp_path: Path) -> Iterator[SQLiteStorage]:
        with SQLiteStorage(tmp_path / "store.db", clock=clock) as storage:
            yield storage
