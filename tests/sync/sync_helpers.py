"""Helpers for the engine tests: a hand-moved clock and storage snapshots."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from jet_orderhive.storage.protocol import Storage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.testing.sandbox import JetSandbox

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand; sandbox, client, storage and engine all read it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


MakeIntegration = Callable[..., Integration]


def pushed_stock(storage: Storage, sku: str, node: str) -> int | None:
    """The stock last pushed for one SKU at one node, or ``None``."""
    return storage.pushed_stock_many([(sku, node)]).get((sku, node))


def pushed_price(storage: Storage, sku: str, node: str = "") -> Decimal | None:
    """The price last pushed for one SKU (node ``""``: its own price), or ``None``."""
    return storage.pushed_price_many([(sku, node)]).get((sku, node))


def dump_database(path: Path) -> list[str]:
    """Every row of a SQLite file as SQL text: equal dumps mean equal storage."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def buyers_of(sandbox: JetSandbox, order_ids: list[str]) -> set[str]:
    """The distinct buyer emails of these sandbox orders."""
    return {str(sandbox.order(order_id)["hash_email"]).casefold() for order_id in order_ids}
