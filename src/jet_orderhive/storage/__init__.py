"""The Storage protocol, its reference adapters, and helpers for writing your own adapter.

`encode_json` / `decode_json` write and read JSON with money kept exact (``Decimal`` never passes
through ``float``), and `merge_customer` is the customer merge the reference adapters apply.
"""

from __future__ import annotations

from jet_orderhive.storage._common import decode_json, encode_json
from jet_orderhive.storage.errors import (
    RecordNotFound,
    StorageBusyError,
    StorageError,
    TransactionAborted,
    UnsupportedSchemaError,
)
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.merge import merge_customer
from jet_orderhive.storage.protocol import Clock, ListedOrderKeysReader, Storage, listed_order_keys
from jet_orderhive.storage.records import (
    DEFAULT_ACCOUNT,
    LinkedSku,
    ListedKeys,
    OrderIntent,
    OrderKey,
    OrderSides,
    OrderSnapshot,
    OutboxEntry,
    PushedKey,
    PushStatus,
    QuarantineEntry,
    ReturnSeen,
    UpsertResult,
)
from jet_orderhive.storage.sqlite import SQLiteStorage

__all__ = [
    "DEFAULT_ACCOUNT",
    "Clock",
    "LinkedSku",
    "ListedKeys",
    "ListedOrderKeysReader",
    "MemoryStorage",
    "OrderIntent",
    "OrderKey",
    "OrderSides",
    "OrderSnapshot",
    "OutboxEntry",
    "PushStatus",
    "PushedKey",
    "QuarantineEntry",
    "RecordNotFound",
    "ReturnSeen",
    "SQLiteStorage",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "TransactionAborted",
    "UnsupportedSchemaError",
    "UpsertResult",
    "decode_json",
    "encode_json",
    "listed_order_keys",
    "merge_customer",
]
