"""jet_orderhive: sync a Jet.com merchant account with an Orderhive-shaped order store."""

from __future__ import annotations

__version__ = "0.1.0.dev0"

from jet_orderhive.jet.client import AsyncJetClient, JetClient
from jet_orderhive.mapping import Mappings
from jet_orderhive.storage import MemoryStorage, SQLiteStorage, Storage
from jet_orderhive.sync import (
    Integration,
    IntegrationSettings,
    PriceLevel,
    StockLevel,
    SyncReport,
)

__all__ = [
    "AsyncJetClient",
    "Integration",
    "IntegrationSettings",
    "JetClient",
    "Mappings",
    "MemoryStorage",
    "PriceLevel",
    "SQLiteStorage",
    "StockLevel",
    "Storage",
    "SyncReport",
    "__version__",
]
