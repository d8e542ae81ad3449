"""Shared fixtures for the engine tests: a sandbox on a controlled clock, storages, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Clock, MakeIntegration

from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> JetSandbox:
    return JetSandbox(seed=7, clock=clock)


@pytest.fixture
def memory(clock: Clock) -> MemoryStorage:
    return MemoryStorage(clock=clock)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "sync.db"


@pytest.fixture
def sqlite_storage(sqlite_path: Path, clock: Clock) -> Iterator[SQLiteStorage]:
    storage = SQLiteStorage(sqlite_path, clock=clock)
    yield storage
    storage.close()


@pytest.fixture
def make_integration(sandbox: JetSandbox, memory: MemoryStorage, clock: Clock) -> MakeIntegration:
    """Build an Integration on the sandbox; keyword arguments become settings."""

    def make(storage: Storage | None = None, **settings: Any) -> Integration:
        client = sandbox.client(rate_limit=None, sleep=lambda _seconds: None)
        return Integration(
            client,
            storage if storage is not None else memory,
            settings=IntegrationSettings(**settings),
            clock=clock,
            sleep=lambda _seconds: None,
        )

    return make
