from __future__ import annotations

from decimal import Decimal

import pytest
from sync_helpers import MakeIntegration, pushed_price, pushed_stock

from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.prices import PriceLevel
from jet_orderhive.sync.report import PushResult
from jet_orderhive.sync.stock import StockLevel
from jet_orderhive.testing.sandbox import JetSandbox


def _skus(sandbox: JetSandbox, n: int) -> list[str]:
    skus = [f"SKU-{i:05d}" for i in range(n)]
    for sku in skus:
        sandbox.add_sku(sku)
    return skus


def _jet_quantity(sandbox: JetSandbox, sku: str) -> object:
    nodes = sandbox.sku(sku)["inventory_by_fulfillment_node"]
    assert isinstance(nodes, list)
    return {n["fulfillment_node_id"]: n["quantity"] for n in nodes}.get(  # type: ignore[index]
        sandbox.fulfillment_node_id
    )


def test_only_changed_stock_is_sent_again(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    skus = _skus(sandbox, 1000)
    integration = make_integration(bulk_threshold=2000)
    levels = dict.fromkeys(skus, 5)
    first = integration.push_stock(levels)
    assert first.push_results("stock") == {PushResult.SENT: 1000}
    sandbox.clear_requests()

    changed = dict.fromkeys(skus[:10], 9)
    second = integration.push_stock({**levels, **changed})

    assert sandbox.count("inventory") == 10
    assert {r.path.split("/")[2] for r in sandbox.requests if r.kind == "inventory"} == set(changed)
    assert second.push_results("stock") == {PushResult.SENT: 10, PushResult.SKIPPED: 990}
    assert _jet_quantity(sandbox, skus[0]) == 9


def test_many_skus_go_through_one_bulk_file_in_few_requests(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    skus = _skus(sandbox, 5000)
    sandbox.clear_requests()

    integration = make_integration(
        bulk_threshold=500, fulfillment_node_id=sandbox.fulfillment_node_id
    )
    report = integration.push_stock(dict.fromkeys(skus, 3))

    # token, upload token, blob upload, file registration, one status poll
    assert len(sandbox.requests) <= 5
    assert sandbox.count("inventory") == 0
    assert report.push_results("stock") == {PushResult.SENT: 5000}
    assert pushed_stock(memory, skus[-1], sandbox.fulfillment_node_id) == 3
    assert _jet_quantity(sandbox, skus[-1]) == 3


def test_later_entries_for_the_same_sku_win_and_the_node_comes_from_jet(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    _skus(sandbox, 1)
    levels = [StockLevel(sku="SKU-00000", quantity=1), StockLevel(sku="SKU-00000", quantity=4)]
    make_integration().push_stock(levels)

    assert sandbox.count("fulfillment_nodes") == 1
    assert sandbox.count("inventory") == 1
    assert pushed_stock(memory, "SKU-00000", sandbox.fulfillment_node_id) == 4


def test_stock_toggle_off_sends_nothing_and_says_so(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    _skus(sandbox, 3)
    sandbox.clear_requests()
    report = make_integration(push_stock=False).push_stock({"SKU-00000": 1, "SKU-00001": 2})

    assert sandbox.requests == []
    assert report.push_results("stock") == {PushResult.DISABLED: 2}
    assert any("push_stock is off" in note for note in report.notes)


def test_a_refused_stock_update_is_failed_and_not_remembered(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    _skus(sandbox, 2)
    node = sandbox.fulfillment_node_id
    sandbox.fail_next(1, status=400, kind="inventory")
    report = make_integration(fulfillment_node_id=node).push_stock({"SKU-00000": 1})

    assert report.push_results("stock") == {PushResult.FAILED: 1}
    assert pushed_stock(memory, "SKU-00000", node) is None


def test_prices_are_desired_state_too(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    _skus(sandbox, 3)
    integration = make_integration()
    integration.push_prices({"SKU-00000": Decimal("9.99"), "SKU-00001": Decimal("5.00")})
    sandbox.clear_requests()

    report = integration.push_prices(
        [
            PriceLevel(sku="SKU-00000", price=Decimal("9.99")),
            PriceLevel(sku="SKU-00001", price=Decimal("4.50")),
        ]
    )

    assert sandbox.count("price") == 1
    assert report.push_results("price") == {PushResult.SENT: 1, PushResult.SKIPPED: 1}
    assert pushed_price(memory, "SKU-00001") == Decimal("4.50")
    assert sandbox.sku("SKU-00001")["price"] == Decimal("4.50")


def test_many_prices_go_through_a_bulk_file(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    skus = _skus(sandbox, 30)
    sandbox.clear_requests()
    report = make_integration(bulk_threshold=10).push_prices({sku: Decimal("1.25") for sku in skus})

    assert sandbox.count("price") == 0
    assert len(sandbox.requests) <= 5
    assert report.push_results("price") == {PushResult.SENT: 30}


def test_price_toggle_off_sends_nothing(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    sandbox.clear_requests()
    report = make_integration(push_price=False).push_prices({"X": Decimal(1)})
    assert sandbox.requests == []
    assert report.push_results("price") == {PushResult.DISABLED: 1}


def test_dry_run_plans_stock_without_sending_or_remembering(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    _skus(sandbox, 2)
    node = sandbox.fulfillment_node_id
    sandbox.clear_requests()
    report = make_integration(dry_run=True, fulfillment_node_id=node).push_stock({"SKU-00000": 2})

    assert sandbox.requests == []
    assert report.push_results("stock") == {PushResult.PLANNED: 1}
    assert pushed_stock(memory, "SKU-00000", node) is None


def test_bulk_errors_fail_only_the_skus_they_name(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    known = _skus(sandbox, 8)
    node = sandbox.fulfillment_node_id
    levels = dict.fromkeys([*known, "MISSING-1", "MISSING-2"], 1)

    report = make_integration(bulk_threshold=5, fulfillment_node_id=node).push_stock(levels)

    failed = {p.target for p in report.pushes if p.result is PushResult.FAILED}
    assert failed == {"MISSING-1", "MISSING-2"}
    assert all("MISSING" in (p.reason or "") for p in report.pushes if p.target in failed)
    assert pushed_stock(memory, "MISSING-1", node) is None
    assert pushed_stock(memory, known[0], node) == 1


def test_a_node_price_goes_out_with_the_skus_own_price(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    _skus(sandbox, 2)
    node = sandbox.fulfillment_node_id
    integration = make_integration()
    lonely = integration.push_prices([PriceLevel(sku="SKU-00001", price=Decimal(3), node_id=node)])
    assert lonely.push_results("price") == {PushResult.FAILED: 1}
    assert "without node_id" in (lonely.pushes[0].reason or "")
    assert sandbox.count("price") == 0

    integration.push_prices(
        [
            PriceLevel(sku="SKU-00000", price=Decimal("10.00")),
            PriceLevel(sku="SKU-00000", price=Decimal("9.50"), node_id=node),
        ]
    )
    (request,) = [r for r in sandbox.requests if r.kind == "price"]
    assert request.body == {
        "price": Decimal("10.00"),
        "fulfillment_nodes": [
            {"fulfillment_node_id": node, "fulfillment_node_price": Decimal("9.50")}
        ],
    }
    assert pushed_price(memory, "SKU-00000", node) == Decimal("9.50")


def test_the_node_is_asked_for_once_and_an_unchanged_push_sends_nothing(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    for sku in ("SKU-1", "SKU-2"):
        sandbox.add_sku(sku)
    integration = make_integration()
    integration.push_stock({"SKU-1": 3, "SKU-2": 4})
    sandbox.clear_requests()

    again = integration.push_stock({"SKU-1": 3, "SKU-2": 4})
    changed = integration.push_stock({"SKU-1": 5, "SKU-2": 4})

    assert again.push_results("stock") == {PushResult.SKIPPED: 2}
    assert sandbox.count("fulfillment_nodes") == 0, "the node was looked up once"
    assert sandbox.count("inventory") == 1
    assert changed.push_results("stock") == {PushResult.SENT: 1, PushResult.SKIPPED: 1}


@pytest.mark.parametrize("kind", ["stock", "price"])
def test_one_sku_no_request_can_carry_fails_alone_on_sqlite(
    kind: str, sandbox: JetSandbox, sqlite_storage: SQLiteStorage, make_integration: MakeIntegration
) -> None:
    bad = "SKU-\udc80"
    for sku in ("SKU-1", "SKU-2"):
        sandbox.add_sku(sku)
    integration = make_integration(sqlite_storage)
    if kind == "stock":
        report = integration.push_stock({"SKU-1": 1, bad: 2, "SKU-2": 3})
    else:
        values = {"SKU-1": Decimal("1.00"), bad: Decimal("2.00"), "SKU-2": Decimal("3.00")}
        report = integration.push_prices(values)

    outcomes = {p.target: p.result for p in report.pushes}
    assert outcomes == {"SKU-1": PushResult.SENT, "SKU-2": PushResult.SENT, bad: PushResult.FAILED}
    failed = next(p for p in report.pushes if p.target == bad)
    assert "SKU" in (failed.reason or "")
    assert sandbox.count("inventory" if kind == "stock" else "price") == 2


def test_delta_pushes_go_out_concurrently(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    import threading

    skus = [f"SKU-{n}" for n in range(12)]
    for sku in skus:
        sandbox.add_sku(sku)
    threads: set[str] = set()
    # The first four requests meet here: sent one at a time, they would wait in vain.
    together = threading.Barrier(4, timeout=10)
    integration = make_integration(concurrency=4)
    client = integration.client
    original = client.update_inventory

    def spy(sku: str, quantities: object) -> None:
        threads.add(threading.current_thread().name)
        if sku in skus[:4]:
            together.wait()
        original(sku, quantities)  # type: ignore[arg-type]

    client.update_inventory = spy  # type: ignore[method-assign]
    report = integration.push_stock(dict.fromkeys(skus, 1))

    assert report.push_results("stock") == {PushResult.SENT: 12}
    assert len(threads) == 4
    assert all(name.startswith("jet-sku") for name in threads)
