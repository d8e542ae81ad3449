from __future__ import annotations

from datetime import timedelta

from sync_helpers import Clock, MakeIntegration

from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import Shipment, ShipmentLine
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.sync.progress import ProgressEvent
from jet_orderhive.sync.report import PushResult
from jet_orderhive.testing.sandbox import JetSandbox


def test_run_once_imports_flushes_and_releases_its_lease(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(4)
    report = make_integration().run_once(stock={"NOPE": 1})

    assert report.operation == "run_once"
    assert report.counts.created == 4
    assert report.counts.acknowledged == 4
    assert report.push_results("stock") == {PushResult.FAILED: 1}, "Jet knows no SKU 'NOPE'"
    assert memory.acquire_lease("run_once", "someone-else", timedelta(minutes=1))


def test_run_once_does_nothing_while_another_worker_holds_the_lease(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(2)
    assert memory.acquire_lease("run_once", "other-worker", timedelta(minutes=5))
    sandbox.clear_requests()

    report = make_integration().run_once()

    assert sandbox.requests == []
    assert memory.list_orders() == []
    assert any("lease" in note for note in report.notes)


def test_run_once_skips_archive_checks_when_auto_archive_is_off(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    sandbox.add_sku("SKU-1")
    memory.link_sku("SKU-1")
    make_integration(auto_archive=False).run_once()
    assert sandbox.count("sku") == 0


def test_archived_or_deleted_skus_are_marked_archived_and_nothing_is_deleted(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    for sku in ("LIVE", "GONE", "ARCH"):
        sandbox.add_sku(sku)
        memory.link_sku(sku)
    sandbox.archive_sku("ARCH")
    sandbox.delete_sku("GONE")

    report = make_integration().sync_archived_products()

    flags = {entry.sku: entry.archived for entry in memory.linked_skus()}
    assert flags == {"ARCH": True, "GONE": True, "LIVE": False}
    assert report.counts.archived == 2
    assert sandbox.count("archive") == 0
    sandbox.clear_requests()
    make_integration().sync_archived_products()
    assert sandbox.count("sku") == 1, "archived SKUs are not checked again"


def test_returns_update_quantities_once_and_make_the_order_returned(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    payload = sandbox.factory.order(
        quantities={"SKU-A": 2}, placed_at=clock.now - timedelta(hours=2)
    )
    order_id = sandbox.add_order(payload)
    integration = make_integration()
    integration.import_orders()
    parcel = Shipment(
        lines=(ShipmentLine(sku="SKU-A", quantity_shipped=2),),
        courier_name="UPS",
        tracking_number="1Z0000000003",
    )
    integration.ship(order_id, parcel)

    # One rule (design §6): a return counts once the merchant completed it.
    return_id = sandbox.add_return(order_id, {"SKU-A": 1})
    opened = integration.import_returns()
    order = memory.get_order(order_id)
    assert order is not None
    assert order.line_items[0].quantity_returned == 0
    assert order.order_status is OrderStatus.SHIPPED

    sandbox.complete_return(return_id)
    first = integration.import_returns()
    again = integration.import_returns()
    order = memory.get_order(order_id)
    assert order is not None
    assert order.line_items[0].quantity_returned == 1
    assert order.order_status is OrderStatus.RETURNED
    assert (opened.counts.returns_updated, first.counts.returns_updated) == (1, 1)
    assert again.counts.returns_updated == 0

    sandbox.complete_return(sandbox.add_return(order_id, {"SKU-A": 1}))
    integration.import_returns()
    order = memory.get_order(order_id)
    assert order is not None
    assert order.line_items[0].quantity_returned == 2
    assert order.order_status is OrderStatus.RETURNED


def test_refreshing_an_open_order_keeps_its_recorded_returns(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    payload = sandbox.factory.order(
        quantities={"SKU-A": 3}, placed_at=clock.now - timedelta(hours=2)
    )
    order_id = sandbox.add_order(payload)
    integration = make_integration()
    integration.import_orders()
    parcel = Shipment(
        lines=(ShipmentLine(sku="SKU-A", quantity_shipped=2),),
        courier_name="UPS",
        tracking_number="1Z0000000004",
    )
    integration.ship(order_id, parcel)
    sandbox.complete_return(sandbox.add_return(order_id, {"SKU-A": 1}))
    integration.import_returns()

    sandbox.request_directed_cancel(order_id, {"SKU-A": 1})
    integration.import_orders()

    order = memory.get_order(order_id)
    assert order is not None
    assert order.directed_cancel, "the order was fetched and mapped again"
    assert order.line_items[0].quantity_returned == 1


def test_a_return_for_an_order_placed_before_the_window_is_noted_not_a_problem(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock, make_integration: MakeIntegration
) -> None:
    payload = sandbox.factory.order(
        quantities={"SKU-A": 1}, placed_at=clock.now - timedelta(days=40)
    )
    order_id = sandbox.add_order(payload)
    # Another system with a longer history ships the old order; this one never imports it.
    elsewhere = make_integration(MemoryStorage(clock=clock), initial_sync_days=60)
    elsewhere.import_orders()
    parcel = Shipment(
        lines=(ShipmentLine(sku="SKU-A", quantity_shipped=1),),
        courier_name="UPS",
        tracking_number="1Z0000000009",
    )
    elsewhere.ship(order_id, parcel)
    integration = make_integration()
    integration.import_orders()
    sandbox.add_return(order_id, {"SKU-A": 1})

    report = integration.import_returns()

    assert report.ok
    assert report.problems == ()
    assert any(order_id in note for note in report.notes)
    assert memory.get_order(order_id) is None


def test_progress_events_reach_the_callback(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock
) -> None:
    from jet_orderhive.sync.integration import Integration

    sandbox.generate_orders(3)
    events: list[ProgressEvent] = []
    integration = Integration(
        sandbox.client(rate_limit=None), memory, clock=clock, progress=events.append
    )
    integration.import_orders()

    steps = {event.step for event in events}
    assert {"list orders", "import orders", "push order status"} <= steps
    last_import = [e for e in events if e.step == "import orders"][-1]
    assert (last_import.done, last_import.total, last_import.fraction) == (3, 3, 1.0)


def test_dry_run_plans_a_shipment_without_sending_or_storing_it(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    make_integration().import_orders()
    before = memory.get_order(order_id)
    assert before is not None
    line = before.line_items[0]
    sandbox.clear_requests()

    report = make_integration(dry_run=True).cancel(order_id, {line.sku: 1})

    assert sandbox.requests == []
    assert memory.get_order(order_id) == before
    assert report.push_results() == {PushResult.PLANNED: 1}


def test_reports_name_orders_by_id_and_never_carry_buyer_data(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    report = make_integration().import_orders()
    buyer = sandbox.order(order_id)["buyer"]
    assert isinstance(buyer, dict)
    text = f"{report!r}\n{report}\n{report._repr_html_()}\n{report.to_dict()}"
    assert str(buyer["name"]) not in text
    assert str(sandbox.order(order_id)["hash_email"]) not in text
    assert "created=1" in repr(report)


def test_run_once_stops_when_its_lease_is_lost(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock
) -> None:
    from jet_orderhive.sync.integration import Integration

    class LosesLease(MemoryStorage):
        def renew_lease(self, name: str, owner: str, ttl: timedelta, **kw: str) -> bool:
            return False

    storage = LosesLease(clock=clock)
    sandbox.add_sku("SKU-1")
    report = Integration(sandbox.client(rate_limit=None), storage, clock=clock).run_once(
        stock={"SKU-1": 1}
    )
    assert any("lost the lease" in note for note in report.notes)
    assert sandbox.count("inventory") == 0
    assert storage.acquire_lease("run_once", "next-worker", timedelta(minutes=1))


def test_a_long_step_renews_its_lease_and_stops_at_the_next_item_once_it_is_lost(
    sandbox: JetSandbox, clock: Clock
) -> None:
    from jet_orderhive.sync.integration import Integration

    renewals: list[str] = []

    class LosesLeaseOnSecondRenewal(MemoryStorage):
        def renew_lease(self, name: str, owner: str, ttl: timedelta, **kw: str) -> bool:
            renewals.append(name)
            return len(renewals) < 2 and super().renew_lease(name, owner, ttl, **kw)

    def slow_progress(_event: ProgressEvent) -> None:
        clock.advance(timedelta(minutes=6))  # past a third of the 15-minute lease per item

    sandbox.generate_orders(6)
    storage = LosesLeaseOnSecondRenewal(clock=clock)
    client = sandbox.client(rate_limit=None)
    report = Integration(client, storage, clock=clock, progress=slow_progress).run_once()

    assert len(renewals) == 2, "renewed inside the import step, before any step boundary"
    assert storage.list_orders() == []
    assert sandbox.count("order_list") == 2
    assert any("lost the lease" in note for note in report.notes)
    assert storage.acquire_lease("run_once", "next-worker", timedelta(minutes=1))


def test_a_raising_progress_callback_does_not_stop_the_batch(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock
) -> None:
    from jet_orderhive.sync.integration import Integration

    def broken_display(_event: ProgressEvent) -> None:
        raise BrokenPipeError("the terminal went away")

    ids = sandbox.generate_orders(5)
    client = sandbox.client(rate_limit=None)
    report = Integration(client, memory, clock=clock, progress=broken_display).import_orders()

    assert sorted(o.channel_order_id for o in memory.list_orders()) == sorted(ids)
    assert report.counts.acknowledged == 5
    assert sandbox.count("acknowledge") == 5


class _SlowSends(MemoryStorage):
    """Storage whose clock moves on a quarter lease at every send (claims are renewed then)."""

    def __init__(self, clock: Clock, step: timedelta) -> None:
        super().__init__(clock=clock)
        self._moving, self._step = clock, step

    def renew_claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = "default"
    ) -> bool:
        self._moving.advance(self._step)
        return super().renew_claim(key, owner, ttl, account=account)


def test_a_long_batch_of_pushes_keeps_the_run_once_lease(
    sandbox: JetSandbox, clock: Clock, make_integration: MakeIntegration
) -> None:
    # 40 acknowledgements go out in one batch, ten lease lengths long in all: the lease must
    # be renewed between sends, not only once the batch is over.
    ids = sandbox.generate_orders(40)
    lease = timedelta(minutes=1)
    storage = _SlowSends(clock, lease / 4)
    integration = make_integration(storage, lease_ttl=lease, claim_ttl=timedelta(hours=2))

    report = integration.run_once()

    assert not [note for note in report.notes if "lost the lease" in note]
    assert {sandbox.order_status(order_id) for order_id in ids} == {"acknowledged"}
