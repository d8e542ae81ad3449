"""A first app needs no catalogue code: generated orders come with their products, and every
SKU the engine sees in a stored order or an accepted push is linked for auto-archive."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import pytest
from sync_helpers import Clock, MakeIntegration

from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.report import PushResult
from jet_orderhive.testing.sandbox import JetSandbox


def _order_skus(sandbox: JetSandbox, ids: Iterable[str]) -> list[str]:
    skus: dict[str, None] = {}
    for order_id in ids:
        items = sandbox.order(order_id)["order_items"]
        assert isinstance(items, list)
        for item in items:
            assert isinstance(item, dict)
            skus[str(item["merchant_sku"])] = None
    return list(skus)


class _CountingLinks(MemoryStorage):
    """Counts the linking calls, to keep the storage round trips per order bounded."""

    def __init__(self, *, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.link_calls = 0
        self.bulk_link_calls = 0

    def link_sku(self, sku: str, *, account: str = "default") -> bool:
        self.link_calls += 1
        return super().link_sku(sku, account=account)

    def link_skus(self, skus: Iterable[str], *, account: str = "default") -> list[str]:
        self.bulk_link_calls += 1
        return super().link_skus(skus, account=account)


def test_generated_orders_come_with_the_products_they_name(sandbox: JetSandbox) -> None:
    ids = sandbox.generate_orders(6)
    skus = _order_skus(sandbox, ids)
    assert skus
    titles = {}
    for order_id in ids:
        for item in sandbox.order(order_id)["order_items"]:  # type: ignore[union-attr]
            titles[item["merchant_sku"]] = item["product_title"]  # type: ignore[index,call-overload]
    for sku in skus:
        assert sandbox.sku(sku)["product_title"] == titles[sku]


def test_generating_orders_without_products_leaves_their_skus_unknown(
    sandbox: JetSandbox,
) -> None:
    ids = sandbox.generate_orders(3, create_products=False)
    for sku in _order_skus(sandbox, ids):
        with pytest.raises(KeyError, match="not in the sandbox"):
            sandbox.sku(sku)


def test_a_products_own_data_survives_later_generated_orders(sandbox: JetSandbox) -> None:
    sandbox.add_sku("MINE", price=Decimal("9.99"), product={
        "product_title": "My own title", "brand": "Me", "multipack_quantity": 1,
        "mfr_part_number": "M-1", "main_image_url": "https://example.com/m.jpg",
    })  # fmt: skip
    sandbox.generate_orders(2, skus=["MINE"])
    assert sandbox.sku("MINE")["product_title"] == "My own title"
    assert sandbox.sku("MINE")["price"] == Decimal("9.99")


def test_a_first_apps_stock_and_price_pushes_for_its_orders_succeed(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    skus = _order_skus(sandbox, sandbox.generate_orders(5))
    integration = make_integration()
    integration.import_orders()

    stock = integration.push_stock(dict.fromkeys(skus, 4))
    prices = integration.push_prices(dict.fromkeys(skus, Decimal("12.50")))

    assert stock.push_results("stock") == {PushResult.SENT: len(skus)}
    assert prices.push_results("price") == {PushResult.SENT: len(skus)}


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_imported_orders_link_their_skus_so_auto_archive_needs_no_host_code(
    kind: str,
    sandbox: JetSandbox,
    memory: MemoryStorage,
    sqlite_storage: SQLiteStorage,
    make_integration: MakeIntegration,
) -> None:
    storage = memory if kind == "memory" else sqlite_storage
    skus = _order_skus(sandbox, sandbox.generate_orders(4))
    integration = make_integration(storage)
    integration.import_orders()
    assert sorted(entry.sku for entry in storage.linked_skus()) == sorted(skus)

    sandbox.archive_sku(skus[0])
    report = integration.sync_archived_products()

    assert report.counts.archived == 1
    flags = {entry.sku: entry.archived for entry in storage.linked_skus()}
    assert flags == {sku: sku == skus[0] for sku in skus}


def test_linking_an_import_costs_one_storage_call_per_stored_order(
    sandbox: JetSandbox, clock: Clock, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(12)
    storage = _CountingLinks(clock=clock)
    make_integration(storage).import_orders()
    assert storage.link_calls == 0
    assert 0 < storage.bulk_link_calls <= len(ids)
    assert len(storage.linked_skus()) == len(_order_skus(sandbox, ids))


def test_skus_jet_accepted_stock_or_prices_for_are_linked_and_refused_ones_not(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    for sku in ("STOCKED", "PRICED"):
        sandbox.add_sku(sku)
    integration = make_integration()

    stock = integration.push_stock({"STOCKED": 3, "UNKNOWN": 1})
    integration.push_prices({"PRICED": Decimal("5.00")})

    assert stock.push_results("stock") == {PushResult.SENT: 1, PushResult.FAILED: 1}
    assert [entry.sku for entry in memory.linked_skus()] == ["PRICED", "STOCKED"]


def test_a_dry_run_links_nothing(sandbox: JetSandbox, make_integration: MakeIntegration) -> None:
    skus = _order_skus(sandbox, sandbox.generate_orders(3))
    storage = MemoryStorage()
    dry = make_integration(storage, dry_run=True)
    dry.import_orders()
    dry.push_stock(dict.fromkeys(skus, 2))
    assert storage.linked_skus() == []
