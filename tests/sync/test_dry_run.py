from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sync_helpers import MakeIntegration, dump_database

from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.report import PushResult
from jet_orderhive.testing.sandbox import JetSandbox


def test_dry_run_of_everything_leaves_jet_and_storage_untouched(
    sandbox: JetSandbox,
    sqlite_storage: SQLiteStorage,
    sqlite_path: Path,
    make_integration: MakeIntegration,
) -> None:
    sandbox.generate_orders(6)
    for sku in ("A", "B", "C"):
        sandbox.add_sku(sku)
        sqlite_storage.link_sku(sku)
    sandbox.archive_sku("C")
    integration = make_integration(sqlite_storage)
    integration.import_orders()
    sandbox.generate_orders(2)
    sandbox.clear_requests()
    before = dump_database(sqlite_path)

    report = make_integration(sqlite_storage, dry_run=True).run_once(
        stock={"A": 1, "B": 2}, prices={"A": Decimal("3.50")}
    )

    assert dump_database(sqlite_path) == before
    assert {r.method for r in sandbox.requests if r.kind != "token"} == {"GET"}
    assert report.dry_run
    assert report.counts.created == 2
    assert report.counts.archived == 1
    assert report.push_results("acknowledge") == {PushResult.PLANNED: 2}
    assert report.push_results("stock") == {PushResult.PLANNED: 2}
    assert report.push_results("price") == {PushResult.PLANNED: 1}
    assert sqlite_storage.get_linked_sku("C") is not None
    linked = sqlite_storage.get_linked_sku("C")
    assert linked is not None
    assert not linked.archived
