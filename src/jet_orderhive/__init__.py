"""jet_orderhive: sync a Jet.com merchant account with an Orderhive-shaped order store.

Every error class the library defines derives from `JetOrderhiveError`; see docs/errors.md.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"

from jet_orderhive import json as json  # the public JSON helpers: jet_orderhive.json
from jet_orderhive._errors import (
    JetOrderhiveError,
    JetOrderhiveTypeError,
    JetOrderhiveValueError,
)
from jet_orderhive._json import JsonValue
from jet_orderhive.jet.client import AsyncJetClient, JetClient
from jet_orderhive.jet.errors import (
    JetAuthError,
    JetConflict,
    JetError,
    JetInputError,
    JetNotFound,
    JetPayloadError,
    JetRateLimited,
    JetServerError,
    JetTransportError,
    JetValidationError,
)
from jet_orderhive.mapping import MappingError, Mappings
from jet_orderhive.orderhive.models import Shipment, ShipmentLine
from jet_orderhive.storage import MemoryStorage, SQLiteStorage, Storage
from jet_orderhive.storage.errors import (
    RecordNotFound,
    StorageBusyError,
    StorageError,
    TransactionAborted,
    UnsupportedSchemaError,
)
from jet_orderhive.sync import (
    Integration,
    IntegrationSettings,
    OrderNotStored,
    PriceLevel,
    PushNotFound,
    StockLevel,
    SyncProblemsError,
    SyncReport,
)
from jet_orderhive.sync.report import SyncReportDict

__all__ = [
    "AsyncJetClient",
    "Integration",
    "IntegrationSettings",
    "JetAuthError",
    "JetClient",
    "JetConflict",
    "JetError",
    "JetInputError",
    "JetNotFound",
    "JetOrderhiveError",
    "JetOrderhiveTypeError",
    "JetOrderhiveValueError",
    "JetPayloadError",
    "JetRateLimited",
    "JetServerError",
    "JetTransportError",
    "JetValidationError",
    "JsonValue",
    "MappingError",
    "Mappings",
    "MemoryStorage",
    "OrderNotStored",
    "PriceLevel",
    "PushNotFound",
    "RecordNotFound",
    "SQLiteStorage",
    "Shipment",
    "ShipmentLine",
    "StockLevel",
    "Storage",
    "StorageBusyError",
    "StorageError",
    "SyncProblemsError",
    "SyncReport",
    "SyncReportDict",
    "TransactionAborted",
    "UnsupportedSchemaError",
    "__version__",
]
