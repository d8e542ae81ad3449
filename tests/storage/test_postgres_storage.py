"""PostgresStorage passes the storage kit against a real server and keeps its other promises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jet_orderhive.storage.postgres import PostgresStorage
from jet_orderhive.testing.storage_kit import FakeClock, StorageContract


class TestPostgresStorage(StorageContract):
    @pytest.fixture
    def storage(self, clock: FakeClock, postgres_conninfo: str) -> Iterator[PostgresStorage]:
        with PostgresStorage(postgres_conninfo, clock=clock) as storage:
            yield storage
