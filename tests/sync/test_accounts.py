"""One storage serving several merchant accounts behaves as one storage per account."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Clock

from jet_orderhive.orderhive.models import Shipment, ShipmentLine
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.report import PushResult
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox

_SKUS = ("SKU-1", "SKU-2", "SKU-3")


def _integration(sandbox: JetSandbox, storage: Storage, account: str, clock: Clock) -> Integration:
    client = sandbox.client(rate_limit=None, sleep=lambda _seconds: None)
    settings = IntegrationSettings(account=account)
    return Integration(client, storage, settings=settings, clock=clock)


def _scenario(seed: int, storage: Storage, account: str, clock: Clock) -> JetSandbox:
    """The same story for any account: import, ship one, push stock and prices, archive."""
    sandbox = JetSandbox(seed=seed, clock=clock)
    for sku in _SKUS:
        sandbox.add_sku(sku)
    ids = sandbox.generate_orders(4)
    integration = _integration(sandbox, storage, account, clock)
    integration.import_orders()
    order = storage.get_order(ids[0], account=account)
    assert order is not None
    line = order.line_items[0]
    integration.ship(
        ids[0],
        Shipment(
            lines=(ShipmentLine(sku=line.sku, quantity_shipped=line.quantity_ordered),),
            courier_name="UPS",
            tracking_number=f"1Z{seed:010d}",
        ),
    )
    integration.push_stock(dict.fromkeys(_SKUS, 5))
    integration.push_prices({sku: Decimal("9.99") for sku in _SKUS})
    for sku in _SKUS:
        storage.link_sku(sku, account=account)
    sandbox.archive_sku("SKU-2")
    integration.sync_archived_products()
    sandbox.generate_orders(2)
    integration.run_once()
    return sandbox


def _dump(storage: Storage, account: str, node: str) -> dict[str, Any]:
    """Everything an account holds, in comparable form."""
    return {
        "orders": [o.to_dict() for o in storage.list_orders(account=account)],
        "customers": [c.to_dict() for c in storage.list_customers(account=account)],
        "pushes": [
            (e.key, e.kind, e.target, e.status, e.attempts) for e in storage.pushes(account=account)
        ],
        "linked": [(s.sku, s.archived) for s in storage.linked_skus(account=account)],
        "stock": {
            sku: storage.pushed_stock_many([(sku, node)], account=account).get((sku, node))
            for sku in _SKUS
        },
        "prices": {
            sku: storage.pushed_price_many([(sku, "")], account=account).get((sku, ""))
            for sku in _SKUS
        },
        "quarantined": [q.external_id for q in storage.quarantined(account=account)],
        "state": {
            key: storage.get_state(key, account=account)
            for key in ("import:window_start", "import:initial_sync_done")
        },
    }


@pytest.mark.parametrize("adapter", ["memory", "sqlite", "postgres"])
def test_two_accounts_on_one_storage_match_each_on_its_own(
    adapter: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    opened: list[Any] = []

    def open_storage(name: str, clock: Clock) -> Storage:
        if adapter == "memory":
            return MemoryStorage(clock=clock)
        if adapter == "sqlite":
            return SQLiteStorage(tmp_path / f"{name}.sqlite", clock=clock)
        from jet_orderhive.storage.postgres import PostgresStorage

        conninfo = request.getfixturevalue("postgres_conninfo")
        # One database, one schema per storage: each is a separate store.
        opened.append(PostgresStorage(conninfo, clock=clock, schema=name.replace("-", "_")))
        return opened[-1]  # type: ignore[no-any-return]

    try:
        shared_clock = Clock()
        shared = open_storage("shared", shared_clock)
        shared_a = _scenario(1, shared, "shop-a", shared_clock)
        shared_b = _scenario(2, shared, "shop-b", shared_clock)

        alone: dict[str, dict[str, Any]] = {}
        for seed, account in ((1, "shop-a"), (2, "shop-b")):
            clock = Clock()
            own = open_storage(account, clock)
            sandbox = _scenario(seed, own, account, clock)
            alone[account] = _dump(own, account, sandbox.fulfillment_node_id)

        together = {
            "shop-a": _dump(shared, "shop-a", shared_a.fulfillment_node_id),
            "shop-b": _dump(shared, "shop-b", shared_b.fulfillment_node_id),
        }
    finally:
        for storage in opened:
            storage.close()
    assert together == alone
    assert together["shop-a"]["orders"] != together["shop-b"]["orders"]
    # Both accounts pushed the same values for the same SKUs: each was sent to its own Jet.
    assert shared_b.count("price") == len(_SKUS)
    assert together["shop-b"]["linked"] == [("SKU-1", False), ("SKU-2", True), ("SKU-3", False)]


def test_one_accounts_pushes_and_archive_never_reach_another(clock: Clock) -> None:
    storage = MemoryStorage(clock=clock)
    jet_a, jet_b = JetSandbox(seed=1, clock=clock), JetSandbox(seed=2, clock=clock)
    for jet in (jet_a, jet_b):
        jet.add_sku("SKU-1")
    a = _integration(jet_a, storage, "shop-a", clock)
    b = _integration(jet_b, storage, "shop-b", clock)
    assert a.push_prices({"SKU-1": Decimal("4.50")}).push_results("price") == {PushResult.SENT: 1}
    assert b.push_prices({"SKU-1": Decimal("4.50")}).push_results("price") == {PushResult.SENT: 1}
    assert jet_b.count("price") == 1

    storage.link_sku("SKU-1", account="shop-a")
    storage.link_sku("SKU-1", account="shop-b")
    jet_a.archive_sku("SKU-1")
    a.sync_archived_products()
    b.sync_archived_products()
    linked_a = storage.get_linked_sku("SKU-1", account="shop-a")
    linked_b = storage.get_linked_sku("SKU-1", account="shop-b")
    assert linked_a is not None
    assert linked_a.archived
    assert linked_b is not None
    assert not linked_b.archived


def test_each_account_runs_under_its_own_lease(clock: Clock) -> None:
    storage = MemoryStorage(clock=clock)
    jet_b = JetSandbox(seed=2, clock=clock)
    jet_b.generate_orders(1)
    assert storage.acquire_lease("run_once", "worker-of-a", timedelta(minutes=5), account="shop-a")
    report = _integration(jet_b, storage, "shop-b", clock).run_once()
    assert report.counts.created == 1
