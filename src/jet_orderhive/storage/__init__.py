"""The Storage protocol and its reference adapters."""

from __future__ import annotations

from jet_orderhive.storage.errors import (
    StorageBusyError,
    StorageError,
    TransactionAborted,
    UnsupportedSchemaError,
)
from jet_orderhive.storage.protocol import Clock, Storage
from jet_orderhive.storage.records import (
    LinkedSku,
    OutboxEntry,
    PushedKey,
    PushStatus,
    QuarantineEntry,
    UpsertResult,
)

__all__ = [
    "Clock",
    "LinkedSku",
    "OutboxEntry",
    "PushStatus",
    "PushedKey",
    "QuarantineEntry",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "TransactionAborted",
    "UnsupportedSchemaError",
    "UpsertResult",
]
