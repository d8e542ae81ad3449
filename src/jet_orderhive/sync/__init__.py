"""The sync engine: import orders and customers, push status, stock and prices back to Jet."""

from __future__ import annotations

from jet_orderhive.sync.errors import PushNotFound, SyncProblemsError
from jet_orderhive.sync.inspect import (
    OrderPage,
    OrderView,
    OwedAction,
    PushState,
    PushView,
    QuarantineView,
    StatusView,
)
from jet_orderhive.sync.integration import Integration, OrderNotStored
from jet_orderhive.sync.prices import PriceLevel
from jet_orderhive.sync.progress import NotebookProgress, ProgressCallback, ProgressEvent
from jet_orderhive.sync.report import Counts, Problem, PushOutcome, PushResult, SyncReport
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.sync.stock import StockLevel

__all__ = [
    "Counts",
    "Integration",
    "IntegrationSettings",
    "NotebookProgress",
    "OrderNotStored",
    "OrderPage",
    "OrderView",
    "OwedAction",
    "PriceLevel",
    "Problem",
    "ProgressCallback",
    "ProgressEvent",
    "PushOutcome",
    "PushNotFound",
    "PushResult",
    "PushState",
    "PushView",
    "QuarantineView",
    "StatusView",
    "StockLevel",
    "SyncProblemsError",
    "SyncReport",
]
