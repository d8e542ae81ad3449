"""The Storage protocol and its reference adapters."""

from __future__ import annotations

from jet_orderhive.storage.errors import (
    StorageBusyError,
    StorageError,
    TransactionAborted,
    UnsupportedSchemaError,
)
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.merge import merge_customer
from jet_orderhive.storage.protocol import Clock, Storage
from jet_orderhive.storage.records import (
    LinkedSku,
    OutboxEntry,
    PushedKey,
    PushStatus,
    QuarantineEntry,
    UpsertResult,
)
from jet_orderhive.storage.sqlite import SQLiteStorage

__all__ = [
    "Clock",
    "LinkedSku",
    "MemoryStorage",
    "OutboxEntry",
    "PushStatus",
    "PushedKey",
    "QuarantineEntry",
    "SQLiteStorage",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "TransactionAborted",
    "UnsupportedSchemaError",
    "UpsertResult",
    "merge_customer",
]
