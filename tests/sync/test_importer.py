from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Clock, MakeIntegration, buyers_of, dump_database

from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.report import PushResult
from jet_orderhive.testing.sandbox import JetSandbox


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_initial_sync_stores_every_order_and_each_buyer_once_and_acknowledges_each_once(
    backend: str,
    sandbox: JetSandbox,
    memory: MemoryStorage,
    sqlite_storage: SQLiteStorage,
    make_integration: MakeIntegration,
) -> None:
    storage = memory if backend == "memory" else sqlite_storage
    ids = sandbox.generate_orders(300)
    report = make_integration(storage).import_orders()

    assert len(storage.list_orders()) == 300
    assert len(storage.list_customers()) == len(buyers_of(sandbox, ids)) < 300
    assert sandbox.count("acknowledge") == 300
    acknowledged = [r.path.split("/")[2] for r in sandbox.requests if r.kind == "acknowledge"]
    assert sorted(acknowledged) == sorted(ids)
    assert all(sandbox.order_status(order_id) == "acknowledged" for order_id in ids)
    assert (report.counts.created, report.counts.acknowledged) == (300, 300)
    assert report.ok


def test_second_run_creates_and_acknowledges_nothing_and_costs_the_list_requests_only(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(300)
    integration = make_integration()
    integration.import_orders()
    sandbox.clear_requests()

    report = integration.import_orders()

    kinds = {r.kind for r in sandbox.requests}
    assert kinds == {"order_list"}
    assert (report.counts.created, report.counts.acknowledged, report.counts.fetched) == (0, 0, 0)


def test_a_later_run_imports_exactly_the_new_orders(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(300)
    integration = make_integration()
    integration.import_orders()
    clock.advance(timedelta(hours=1))
    new = sandbox.generate_orders(20)
    sandbox.clear_requests()

    report = integration.import_orders()

    assert report.counts.created == 20
    assert sorted(r.path.split("/")[-1] for r in sandbox.requests if r.kind == "order_detail") == (
        sorted(new)
    )
    assert sandbox.count("acknowledge") == 20
    assert len(memory.list_orders()) == 320


def test_orders_placed_before_the_window_are_never_imported(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    old = sandbox.generate_orders(
        3, status="acknowledged", placed_at=clock.now - timedelta(days=31)
    )
    recent = sandbox.generate_orders(2, placed_at=clock.now - timedelta(days=29))
    integration = make_integration()
    integration.import_orders()
    assert {o.channel_order_id for o in memory.list_orders()} == set(recent)
    sandbox.clear_requests()

    clock.advance(timedelta(days=5))
    integration.import_orders()

    assert all(memory.get_order(order_id) is None for order_id in old)
    assert sandbox.count("order_detail") == 0, "known out-of-window orders are not fetched again"


def test_a_ready_order_is_imported_and_acknowledged_whatever_its_placement_date(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    (old,) = sandbox.generate_orders(1, placed_at=clock.now - timedelta(days=40))
    (misdated,) = sandbox.generate_orders(1)
    sandbox.corrupt_order(
        misdated, lambda body: body.update(order_placed_date="2019-01-01T00:00:00.0000000Z")
    )
    report = make_integration().import_orders()

    assert report.counts.created == 2
    assert {o.channel_order_id for o in memory.list_orders()} == {old, misdated}
    assert sandbox.order_status(old) == sandbox.order_status(misdated) == "acknowledged"


def test_created_orders_are_imported_only_when_asked(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    created = sandbox.generate_orders(2, status="created")
    make_integration().import_orders()
    assert memory.list_orders() == []
    assert "created" not in {
        r.path.split("/")[2] for r in sandbox.requests if r.kind == "order_list"
    }

    make_integration(import_created=True).import_orders()
    stored = [memory.get_order(order_id) for order_id in created]
    assert all(o is not None and o.order_status is OrderStatus.NOT_CONFIRMED for o in stored)
    assert sandbox.count("acknowledge") == 0


def test_one_malformed_order_is_quarantined_with_its_raw_payload_and_the_rest_stored(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(50)
    bad = ids[17]

    def break_price(order: dict[str, Any]) -> None:
        order["order_items"][0]["item_price"]["base_price"] = "twelve"

    sandbox.corrupt_order(bad, break_price)
    report = make_integration().import_orders()

    assert len(memory.list_orders()) == 49
    assert memory.get_order(bad) is None
    entry = memory.get_quarantined("order", bad)
    assert entry is not None
    assert b'"twelve"' in entry.payload
    assert "base_price" in entry.reason
    assert report.counts.quarantined == 1
    assert [p.ref for p in report.problems] == [bad]
    assert "base_price" in report.problems[0].reason
    assert sandbox.count("acknowledge") == 49


def test_an_open_order_the_initial_sync_could_not_fetch_is_imported_by_the_next_run(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    # An acknowledged order is on no new-order list, so only an initial sync brings it in.
    (open_order,) = sandbox.generate_orders(1, status="acknowledged")
    (ready,) = sandbox.generate_orders(1)
    sandbox.fail_next(50, status=500, kind=f"/orders/withoutShipmentDetail/{open_order}")
    integration = make_integration()
    first = integration.import_orders()
    assert memory.get_order(open_order) is None
    assert [p.ref for p in first.problems] == [open_order]
    sandbox.clear_faults()

    second = integration.import_orders()

    assert memory.get_order(open_order) is not None
    assert second.counts.created == 1
    assert memory.get_order(ready) is not None
    sandbox.clear_requests()
    integration.import_orders()
    assert sandbox.count("order_detail") == 0


def test_a_quarantined_order_is_reported_by_field_without_the_buyers_values(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)

    def break_recipient(order: dict[str, Any]) -> None:
        order["shipping_to"]["recipient"]["phone_number"] = 5550187234
        order["buyer"]["name"] = ["Quinn", "Example-Buyer"]

    sandbox.corrupt_order(order_id, break_recipient)
    report = make_integration().import_orders()

    (problem,) = report.problems
    assert "shipping_to.recipient.phone_number" in problem.reason
    assert "buyer.name" in problem.reason
    for value in ("5550187234", "Quinn", "Example-Buyer"):
        assert value not in problem.reason
        assert value not in repr(report) + str(report.to_dict())
    entry = memory.get_quarantined("order", order_id)
    assert entry is not None
    assert "5550187234" in entry.reason, "the quarantine keeps the full detail"


def test_a_quarantined_order_that_jet_serves_correctly_later_is_imported_and_released(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.corrupt_order(order_id, lambda order: order.pop("order_items"))
    integration = make_integration()
    integration.import_orders()
    assert memory.get_quarantined("order", order_id) is not None

    sandbox.corrupt_order(order_id, lambda order: None)
    report = integration.import_orders()

    assert memory.get_order(order_id) is not None
    assert memory.get_quarantined("order", order_id) is None
    assert report.counts.released == 1
    assert sandbox.count("acknowledge") == 1


def test_a_directed_cancel_is_flagged_for_the_host_and_not_acted_on(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    integration = make_integration()
    (order_id,) = sandbox.generate_orders(1)
    integration.import_orders()
    sandbox.request_directed_cancel(order_id)
    sandbox.clear_requests()

    report = integration.import_orders()

    assert report.directed_cancels == (order_id,)
    stored = memory.get_order(order_id)
    assert stored is not None
    assert stored.directed_cancel
    assert sandbox.count("shipped") == 0
    assert sandbox.order_status(order_id) == "acknowledged"


def test_only_orders_whose_jet_status_changed_are_fetched_again(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(5)
    integration = make_integration()
    integration.import_orders()
    sandbox.set_order_status(ids[0], "complete")
    sandbox.clear_requests()

    integration.import_orders()

    fetched = [r.path.split("/")[-1] for r in sandbox.requests if r.kind == "order_detail"]
    assert fetched == [ids[0]]
    stored = memory.get_order(ids[0])
    assert stored is not None
    assert stored.channel_status == "complete"


def test_with_status_pushes_off_orders_import_and_nothing_is_acknowledged(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(4)
    report = make_integration(push_order_status=False).import_orders()

    assert len(memory.list_orders()) == 4
    assert sandbox.count("acknowledge") == 0
    assert memory.pushes() == []
    assert any("push_order_status is off" in note for note in report.notes)


def test_dry_run_writes_nothing_to_jet_or_storage_and_reports_what_it_would_do(
    sandbox: JetSandbox,
    sqlite_storage: SQLiteStorage,
    sqlite_path: Path,
    make_integration: MakeIntegration,
) -> None:
    sandbox.generate_orders(10)
    make_integration(sqlite_storage).import_orders()
    sandbox.generate_orders(3)
    before = dump_database(sqlite_path)
    sandbox.clear_requests()

    report = make_integration(sqlite_storage, dry_run=True).import_orders()

    assert dump_database(sqlite_path) == before
    assert {r.method for r in sandbox.requests} <= {"GET", "POST"}
    assert all(r.kind in ("order_list", "order_detail", "token") for r in sandbox.requests)
    assert report.dry_run
    assert report.counts.created == 3
    assert report.push_results("acknowledge") == {PushResult.PLANNED: 3}


def _fetched_ids(sandbox: JetSandbox) -> list[str]:
    return [r.path.split("/")[-1] for r in sandbox.requests if r.kind == "order_detail"]


def _order_with_directed_cancel(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> tuple[str, str]:
    """An acknowledged, stored order whose buyer asked Jet to cancel one unit of its first SKU."""
    (order_id,) = sandbox.generate_orders(1)
    item = sandbox.order(order_id)["order_items"][0]
    assert item["request_order_quantity"] > 1  # one unit is cancelled, the order stays open
    make_integration().import_orders()
    sandbox.request_directed_cancel(order_id, {item["merchant_sku"]: 1})
    return order_id, str(item["merchant_sku"])


def test_a_directed_cancel_answered_elsewhere_is_refreshed_once_then_not_refetched(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration, clock: Clock
) -> None:
    order_id, sku = _order_with_directed_cancel(sandbox, make_integration)
    integration = make_integration()
    integration.import_orders()
    # Another tool answers the ask on Jet; Jet keeps jet_request_directed_cancel set.
    elsewhere = Integration(
        sandbox.client(rate_limit=None), MemoryStorage(clock=clock), clock=clock
    )
    elsewhere.import_orders()
    elsewhere.cancel(order_id, {sku: 1})

    integration.import_orders()
    stored = memory.get_order(order_id)
    assert stored is not None
    assert not stored.directed_cancel
    sandbox.clear_requests()
    integration.import_orders()
    integration.import_orders()

    assert _fetched_ids(sandbox) == []


def test_cancelling_the_units_of_a_directed_cancel_clears_the_flag_at_once(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order_id, sku = _order_with_directed_cancel(sandbox, make_integration)
    integration = make_integration()
    assert integration.import_orders().directed_cancels == (order_id,)

    sandbox.clear_requests()
    integration.cancel(order_id, {sku: 1})
    # Whether the cancel answered Jet's ask only Jet's copy shows: it is read back once.
    assert _fetched_ids(sandbox) == [order_id]
    sandbox.clear_requests()
    report = integration.import_orders()

    assert _fetched_ids(sandbox) == []
    assert report.directed_cancels == ()
    stored = memory.get_order(order_id)
    assert stored is not None
    assert not stored.directed_cancel
    sandbox.clear_requests()
    integration.import_orders()
    assert _fetched_ids(sandbox) == []


def test_a_ready_order_with_a_directed_cancel_is_imported_flagged_and_not_acknowledged(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    first, second = sandbox.generate_orders(2)
    sandbox.request_directed_cancel(first)

    report = make_integration().import_orders()

    assert report.directed_cancels == (first,)
    assert [r.path.split("/")[2] for r in sandbox.requests if r.kind == "acknowledge"] == [second]
    stored = memory.get_order(first)
    assert stored is not None
    assert stored.directed_cancel
    assert any(first in note and "cancel()" in note for note in report.notes)


def test_orders_beyond_jets_list_cap_drain_in_one_run_and_missing_ones_are_fetched(
    clock: Clock, memory: MemoryStorage
) -> None:
    from jet_orderhive.sync.integration import Integration

    sandbox = JetSandbox(seed=3, clock=clock, order_list_cap=3)
    ids = sandbox.generate_orders(8)
    integration = Integration(sandbox.client(rate_limit=None), memory, clock=clock)

    first = integration.import_orders()
    assert first.counts.created == 8
    assert sorted(o.channel_order_id for o in memory.list_orders()) == sorted(ids)
    assert all(sandbox.order_status(order_id) == "acknowledged" for order_id in ids)
    sandbox.clear_requests()

    second = integration.import_orders()

    fetched = {r.path.split("/")[-1] for r in sandbox.requests if r.kind == "order_detail"}
    assert len(fetched) == 5, "the acknowledged orders past the cap are read by id"
    assert second.counts.created == 0
    assert sandbox.count("acknowledge") == 0


def test_open_orders_no_list_shows_are_re_read_in_turns_within_the_budget(
    clock: Clock, memory: MemoryStorage
) -> None:
    from jet_orderhive.sync.integration import Integration
    from jet_orderhive.sync.settings import IntegrationSettings

    sandbox = JetSandbox(seed=4, clock=clock, order_list_cap=2)
    sandbox.generate_orders(12)
    settings = IntegrationSettings(refresh_budget=3)
    client = sandbox.client(rate_limit=None)
    integration = Integration(client, memory, settings=settings, clock=clock)
    integration.import_orders()  # all twelve stored and acknowledged; Jet lists two of them
    read: list[set[str]] = []
    for _ in range(4):
        sandbox.clear_requests()
        report = integration.import_orders()
        read.append({r.path.split("/")[-1] for r in sandbox.requests if r.kind == "order_detail"})
        assert sandbox.count("order_list") == 8
        assert len(sandbox.requests) == 8 + 3, "an idle run costs the lists and the budget"
        assert any("in no Jet list" in note for note in report.notes)
    # Ten acknowledged orders sit past the cap: three a run, taken in turn.
    assert [len(batch) for batch in read] == [3, 3, 3, 3]
    assert len(read[0] | read[1] | read[2]) == 9
    assert len(read[0] | read[1] | read[2] | read[3]) == 10


def test_info_logs_carry_no_buyer_data(
    sandbox: JetSandbox, make_integration: MakeIntegration, caplog: pytest.LogCaptureFixture
) -> None:
    ids = sandbox.generate_orders(5)
    with caplog.at_level(logging.INFO, logger="jet_orderhive"):
        make_integration().import_orders()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "import_orders finished" in text
    for order_id in ids:
        order = sandbox.order(order_id)
        buyer = order["buyer"]
        assert isinstance(buyer, dict)
        assert str(buyer["name"]) not in text
        assert str(order["hash_email"]) not in text


def test_orders_imported_with_status_pushes_off_are_acknowledged_once_pushes_are_on(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(5)
    make_integration(push_order_status=False).import_orders()
    assert sandbox.count("acknowledge") == 0

    dry = make_integration(dry_run=True).import_orders()
    assert dry.push_results("acknowledge") == {PushResult.PLANNED: 5}
    assert sandbox.count("acknowledge") == 0

    report = make_integration().run_once()
    assert report.counts.acknowledged == 5
    assert {sandbox.order_status(i) for i in ids} == {"acknowledged"}

    make_integration().run_once()
    assert sandbox.count("acknowledge") == 5


def test_a_zero_refresh_budget_reads_the_lists_only_past_the_cap(
    clock: Clock, memory: MemoryStorage
) -> None:
    from jet_orderhive.sync.settings import IntegrationSettings

    sandbox = JetSandbox(seed=4, clock=clock, order_list_cap=2)
    sandbox.generate_orders(6)
    client = sandbox.client(rate_limit=None)
    settings = IntegrationSettings(refresh_budget=0)
    integration = Integration(client, memory, settings=settings, clock=clock)
    integration.import_orders()  # all six stored and acknowledged; Jet lists two of them
    sandbox.clear_requests()

    report = integration.import_orders()

    assert report.ok
    assert sandbox.count("order_detail") == 0, "a budget of 0 re-reads no order"
    assert len(sandbox.requests) == sandbox.count("order_list") == 8
    assert any("none is re-read (refresh_budget=0)" in note for note in report.notes)


def test_the_order_lists_are_read_concurrently(clock: Clock, memory: MemoryStorage) -> None:
    import threading
    import time

    from jet_orderhive.sync.settings import IntegrationSettings

    in_flight, peak = 0, 0
    changed = threading.Condition()

    def sleep(seconds: float) -> None:
        # Each list's answer waits (up to a second) until all eight are in flight, so a busy
        # machine cannot finish one before the last starts; read one by one, each times out.
        nonlocal in_flight, peak
        with changed:
            in_flight += 1
            peak = max(peak, in_flight)
            changed.notify_all()
            changed.wait_for(lambda: peak >= 8, timeout=1.0)
        time.sleep(seconds)
        with changed:
            in_flight -= 1

    sandbox = JetSandbox(seed=4, clock=clock, sleep=sleep)
    ids = sandbox.generate_orders(3)
    sandbox.latency(0.01, kind="order_list")
    integration = Integration(
        sandbox.client(rate_limit=None), memory, settings=IntegrationSettings(), clock=clock
    )

    report = integration.import_orders()

    assert report.ok
    assert sorted(o.channel_order_id for o in memory.list_orders()) == sorted(ids)
    lists = [r for r in sandbox.requests if r.kind == "order_list"]
    assert len(lists) == 9, "eight lists, then ready once more after the acknowledgements"
    assert peak == 8, "the eight lists of the run are in flight together"


class _CountsUnits(MemoryStorage):
    """Counts the outermost units of work, and refuses to store the orders in ``refuse``."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.units = 0
        self.refuse = refuse
        self._open = 0

    def transaction(self) -> Any:
        storage = self
        inner = super().transaction()

        class Unit:
            def __enter__(self) -> None:
                if storage._open == 0:
                    storage.units += 1
                storage._open += 1
                inner.__enter__()

            def __exit__(self, *exc: Any) -> Any:
                storage._open -= 1
                return inner.__exit__(*exc)

        return Unit()

    def upsert_order(self, order: Any, **kwargs: Any) -> Any:
        if order.channel_order_id in self.refuse:
            raise ValueError("this adapter cannot store that order")
        return super().upsert_order(order, **kwargs)


def test_an_import_stores_its_orders_a_group_at_a_time(sandbox: JetSandbox) -> None:
    """One commit per group of orders, not per order (an fsync each in SQLite); every order
    is still stored and acknowledged once."""
    ids = sandbox.generate_orders(120)
    storage = _CountsUnits()
    with sandbox.client() as client:
        report = Integration(client, storage, sleep=lambda _s: None).import_orders()
    assert report.counts.created == 120
    assert sandbox.count("acknowledge") == 120
    assert all(storage.get_order(i) is not None for i in ids)
    # 3 units store the orders (50, 50, 20). The acknowledgements are claimed a pool's width
    # (8) at a time (7 + 7 + 3 units) and marked done 8 at a time, or when none is left to
    # send (at most 15 + 3): at most 38 in all, where one unit per completion made 123.
    assert storage.units <= 40, storage.units


def test_an_order_the_storage_refuses_in_a_group_is_quarantined_alone(
    sandbox: JetSandbox,
) -> None:
    ids = sandbox.generate_orders(60)
    refused = ids[7]
    storage = _CountsUnits(refuse=frozenset({refused}))
    with sandbox.client() as client:
        report = Integration(client, storage, sleep=lambda _s: None).import_orders()
    assert storage.get_order(refused) is None
    entry = storage.get_quarantined("order", refused)
    assert entry is not None
    assert "cannot store that order" in entry.reason
    assert refused.encode() in entry.payload
    assert all(storage.get_order(i) is not None for i in ids if i != refused)
    assert report.counts.created == 59
    assert report.counts.quarantined == 1
    assert sandbox.count("acknowledge") == 59
