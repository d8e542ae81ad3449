from __future__ import annotations

from datetime import timedelta

import pytest
from sync_helpers import Clock, MakeIntegration

from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import SalesOrder, Shipment, ShipmentLine
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.sync.integration import OrderNotStored
from jet_orderhive.sync.report import PushResult
from jet_orderhive.testing.sandbox import JetSandbox


def _order_with_units(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    make_integration: MakeIntegration,
    **settings: object,
) -> SalesOrder:
    payload = sandbox.factory.order(
        quantities={"SKU-A": 3, "SKU-B": 1}, placed_at=sandbox.now() - timedelta(hours=1)
    )
    order_id = sandbox.add_order(payload)
    make_integration(**settings).import_orders()
    order = memory.get_order(order_id)
    assert order is not None
    return order


def _shipped_units(memory: MemoryStorage, order_id: str, sku: str) -> int:
    order = memory.get_order(order_id)
    assert order is not None
    line = order.line_for_sku(sku)
    assert line is not None
    return line.quantity_shipped


def _parcel(sku: str, units: int, tracking: str) -> Shipment:
    return Shipment(
        lines=(ShipmentLine(sku=sku, quantity_shipped=units),),
        courier_name="UPS",
        tracking_number=tracking,
    )


def test_shipping_part_then_the_rest_moves_jet_to_inprogress_then_complete(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    order_id = order.channel_order_id
    integration = make_integration()

    first = integration.ship(order_id, _parcel("SKU-A", 2, "1Z0000000001"))
    assert sandbox.order_status(order_id) == "inprogress"
    stored = memory.get_order(order_id)
    assert stored is not None
    assert stored.order_status is OrderStatus.PARTIALLY_SHIPPED
    assert first.counts.shipped == 1

    rest = Shipment(
        lines=(
            ShipmentLine(sku="SKU-A", quantity_shipped=1),
            ShipmentLine(sku="SKU-B", quantity_shipped=1),
        ),
        courier_name="UPS",
        tracking_number="1Z0000000002",
    )
    integration.ship(order_id, rest)
    assert sandbox.order_status(order_id) == "complete"
    stored = memory.get_order(order_id)
    assert stored is not None
    assert stored.order_status is OrderStatus.SHIPPED
    assert sandbox.count("shipped") == 2


def test_shipping_the_same_shipment_twice_sends_it_once(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    integration = make_integration()
    parcel = _parcel("SKU-A", 1, "1Z0000000009")

    integration.ship(order.channel_order_id, parcel)
    again = integration.ship(order.channel_order_id, parcel)

    assert sandbox.count("shipped") == 1
    assert again.counts.shipped == 0
    stored = memory.get_order(order.channel_order_id)
    assert stored is not None
    assert sum(li.quantity_shipped for li in stored.line_items) == 1


def test_cancel_after_acknowledgement_sends_a_cancel_shipment(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    report = make_integration().cancel(order.channel_order_id)

    (request,) = [r for r in sandbox.requests if r.kind == "shipped"]
    assert isinstance(request.body, dict)
    shipment = request.body["shipments"][0]
    assert shipment["alt_shipment_id"]
    assert all(item["response_shipment_sku_quantity"] == 0 for item in shipment["shipment_items"])
    assert sandbox.order_status(order.channel_order_id) == "complete"
    stored = memory.get_order(order.channel_order_id)
    assert stored is not None
    assert stored.order_status is OrderStatus.CANCELLED
    assert report.counts.cancelled == 1


def test_cancel_before_acknowledgement_rejects_the_order(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration, confirm_on_import=False)
    assert sandbox.count("acknowledge") == 0

    report = make_integration().cancel(order.channel_order_id)

    (request,) = [r for r in sandbox.requests if r.kind == "acknowledge"]
    assert isinstance(request.body, dict)
    assert str(request.body["acknowledgement_status"]).startswith("rejected")
    assert sandbox.count("shipped") == 0
    assert report.counts.rejected == 1
    stored = memory.get_order(order.channel_order_id)
    assert stored is not None
    assert stored.order_status is OrderStatus.CANCELLED


def test_partial_cancel_before_acknowledgement_is_refused(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration, confirm_on_import=False)
    with pytest.raises(ValueError, match="whole order"):
        make_integration().cancel(order.channel_order_id, {"SKU-A": 1})


def test_confirm_acknowledges_a_ready_order_once(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration, confirm_on_import=False)
    integration = make_integration()
    integration.confirm(order.channel_order_id)
    again = integration.confirm(order.channel_order_id)

    assert sandbox.count("acknowledge") == 1
    assert sandbox.order_status(order.channel_order_id) == "acknowledged"
    assert any("already" in note for note in again.notes)


def test_with_status_pushes_off_the_order_changes_locally_and_nothing_is_sent(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    report = make_integration(push_order_status=False).cancel(order.channel_order_id)

    assert sandbox.count("shipped") == 0
    assert report.push_results() == {PushResult.DISABLED: 1}
    stored = memory.get_order(order.channel_order_id)
    assert stored is not None
    assert stored.order_status is OrderStatus.CANCELLED


def test_a_failed_push_is_retried_later_with_backoff_and_sent_once(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    integration = make_integration(push_retry_delay=timedelta(minutes=5), push_attempts_per_run=1)
    sandbox.fail_next(10, status=503, kind="shipped")
    first = integration.cancel(order.channel_order_id)
    assert first.counts.pushes_failed == 1
    sandbox.clear_faults()

    early = integration.flush_pushes()
    assert early.pushes == ()

    clock.advance(timedelta(minutes=6))
    later = integration.flush_pushes()
    assert later.counts.cancelled == 1
    assert sandbox.order_status(order.channel_order_id) == "complete"


def test_a_push_that_keeps_failing_gives_up_after_max_attempts_and_is_not_sent_again(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    integration = make_integration(push_retry_delay=timedelta(minutes=5), max_push_attempts=2)
    sandbox.fail_next(1000, status=503, kind="shipped")
    assert integration.cancel(order.channel_order_id).counts.pushes_failed == 1
    clock.advance(timedelta(minutes=6))
    second = integration.flush_pushes()
    (outcome,) = second.pushes
    assert outcome.reason is not None
    assert "gave up after 2 attempts" in outcome.reason
    sandbox.clear_faults()
    sandbox.clear_requests()

    clock.advance(timedelta(days=1))
    third = integration.flush_pushes()

    assert third.pushes == ()
    assert sandbox.count("shipped") == 0
    (entry,) = [p for p in memory.pushes() if p.kind == "cancel"]
    assert entry.next_attempt_at is None
    assert entry.attempts == 2


def test_a_push_jet_refuses_fails_for_good(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    sandbox.fail_next(1, status=400, kind="shipped")
    report = make_integration().cancel(order.channel_order_id)

    assert report.counts.pushes_failed == 1
    (entry,) = [p for p in memory.pushes() if p.kind == "cancel"]
    assert entry.next_attempt_at is None
    assert memory.due(entry.updated_at + timedelta(days=30)) == []


def test_a_shipment_jet_refused_for_good_is_undone_at_once_and_can_be_sent_again(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    order_id = order.channel_order_id
    integration = make_integration()
    sandbox.fail_next(1, status=400, kind="shipped")
    refused = integration.ship(order_id, _parcel("SKU-A", 3, "1Z-TYPO"))
    assert refused.counts.pushes_failed == 1
    # Jet's copy is read back right after the refusal: the units are open again.
    assert _shipped_units(memory, order_id, "SKU-A") == 0
    assert [p.ref for p in refused.problems] == [order_id]

    integration.import_orders()

    assert _shipped_units(memory, order_id, "SKU-A") == 0
    again = integration.ship(order_id, _parcel("SKU-A", 3, "1Z-RIGHT"))
    assert again.counts.shipped == 1
    assert sandbox.order_status(order_id) == "inprogress"
    # Jet moved the order on after the shipment: the next import reads it once, then not again.
    sandbox.clear_requests()
    integration.import_orders()
    assert sandbox.count("order_detail") == 1
    sandbox.clear_requests()
    integration.import_orders()
    assert sandbox.count("order_detail") == 0, "refetched once, not on every run"


@pytest.mark.parametrize("refreshed", [True, False], ids=["after-import", "before-import"])
def test_the_same_shipment_asked_again_after_its_push_gave_up_is_sent(
    refreshed: bool,
    sandbox: JetSandbox,
    memory: MemoryStorage,
    make_integration: MakeIntegration,
) -> None:
    order = _order_with_units(sandbox, memory, make_integration)
    order_id = order.channel_order_id
    integration = make_integration(max_push_attempts=1)
    sandbox.fail_next(1000, status=503, kind="shipped")
    parcel = _parcel("SKU-A", 1, "1Z-SAME")
    assert integration.ship(order_id, parcel).counts.pushes_failed == 1
    sandbox.clear_faults()
    if refreshed:
        integration.import_orders()

    again = integration.ship(order_id, parcel)

    assert again.counts.shipped == 1
    assert sandbox.order_status(order_id) == "inprogress"
    assert _shipped_units(memory, order_id, "SKU-A") == 1


def test_cancel_after_a_local_shipment_awaiting_the_ack_cancels_the_rest_and_keeps_it(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock, make_integration: MakeIntegration
) -> None:
    sandbox.fail_next(1, status=500, kind="acknowledge")
    order = _order_with_units(sandbox, memory, make_integration, push_attempts_per_run=1)
    order_id = order.channel_order_id
    assert sandbox.order_status(order_id) == "ready", "the acknowledgement has not gone through"
    integration = make_integration()
    integration.ship(order_id, _parcel("SKU-A", 1, "1Z-FIRST"))

    integration.cancel(order_id)
    clock.advance(timedelta(hours=7))
    integration.run_once()

    assert memory.get_push(f"reject:{order_id}") is None, "not a rejection: a unit is shipped"
    shipments = sandbox.order(order_id)["shipments"]
    assert isinstance(shipments, list)
    on_jet: dict[str, tuple[int, int]] = {}
    for shipment in shipments:
        for line in shipment["shipment_items"]:
            shipped, cancelled = on_jet.get(line["merchant_sku"], (0, 0))
            on_jet[line["merchant_sku"]] = (
                shipped + line.get("response_shipment_sku_quantity", 0),
                cancelled + line.get("response_shipment_cancel_qty", 0),
            )
    assert on_jet == {"SKU-A": (1, 2), "SKU-B": (0, 1)}
    stored = memory.get_order(order_id)
    assert stored is not None
    local = {
        line.sku: (line.quantity_shipped, line.quantity_cancelled) for line in stored.line_items
    }
    assert local == on_jet
    assert sandbox.order_status(order_id) == "complete"


def test_unknown_order_is_named_in_the_error(make_integration: MakeIntegration) -> None:
    with pytest.raises(OrderNotStored, match="import_orders"):
        make_integration().confirm("f" * 32)


def test_shipping_an_unconfirmed_order_asks_to_confirm_it_first(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    order = _order_with_units(sandbox, memory, make_integration, confirm_on_import=False)
    with pytest.raises(ValueError, match="confirm"):
        make_integration().ship(order.channel_order_id, _parcel("SKU-A", 1, "1Z0000000077"))
    assert sandbox.count("shipped") == 0


def test_a_shipment_waits_while_the_orders_acknowledgement_is_failing(
    sandbox: JetSandbox,
    memory: MemoryStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    sandbox.fail_next(10, status=503, kind="acknowledge")
    order = _order_with_units(sandbox, memory, make_integration, push_attempts_per_run=1)
    sandbox.clear_faults()
    integration = make_integration()

    held = integration.ship(order.channel_order_id, _parcel("SKU-A", 1, "1Z0000000078"))
    assert sandbox.count("shipped") == 0
    assert held.counts.pushes_failed == 1

    clock.advance(timedelta(hours=1))
    later = integration.flush_pushes()
    assert (later.counts.acknowledged, later.counts.shipped) == (1, 1)
    assert sandbox.order_status(order.channel_order_id) == "inprogress"


def test_a_held_acknowledgement_is_not_accepted_after_jet_asks_to_cancel(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration, clock: Clock
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.fail_next(1, status=500, kind="acknowledge")
    make_integration(push_attempts_per_run=1).import_orders()
    assert sandbox.order_status(order_id) == "ready"

    sandbox.request_directed_cancel(order_id)
    clock.advance(timedelta(hours=7))
    report = make_integration().flush_pushes()

    accepted = [
        r
        for r in sandbox.requests
        if r.kind == "acknowledge"
        and r.status == 204
        and r.path.endswith(order_id + "/acknowledge")
    ]
    assert accepted == []
    assert sandbox.order_status(order_id) == "ready"
    assert [p.result for p in report.pushes] == [PushResult.FAILED]
    assert "asks to cancel" in (report.pushes[0].reason or "")


def test_a_malformed_outbox_entry_fails_alone_and_the_queue_goes_on(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    first, second = sandbox.generate_orders(2)
    make_integration(push_order_status=False).import_orders()
    memory.enqueue("ack:" + first, kind="acknowledge", target=first, payload={"oops": 1})
    # The import queues the second order's acknowledgement and flushes the outbox.
    report = make_integration().import_orders()

    outcomes = {p.target: (p.result, p.reason) for p in report.pushes}
    assert outcomes[first] == (PushResult.FAILED, "the outbox entry has no request body")
    assert outcomes[second][0] is PushResult.SENT
    assert sandbox.order_status(second) == "acknowledged"


def test_a_flush_ended_by_a_refused_credential_keeps_what_it_already_gave_up(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    from jet_orderhive.jet.errors import JetAuthError, JetValidationError

    sandbox.generate_orders(2)
    sandbox.fail_next(100, status=503, kind="acknowledge")
    make_integration(push_attempts_per_run=1).import_orders()
    sandbox.clear_faults()
    for entry in memory.pushes():
        memory.mark_failed(entry.key, "due again now", entry.created_at)
    refused, _ = (entry.target for entry in memory.due())
    integration = make_integration(concurrency=1)
    real = integration.client

    class Client:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def acknowledge_order(self, order_id: str, _ack: object) -> None:
            if order_id == refused:
                raise JetValidationError("Jet refused the acknowledgement")
            raise JetAuthError("token refused")

    integration._engine.client = Client()  # type: ignore[assignment]
    with pytest.raises(JetAuthError):
        integration.flush_pushes()

    entry = memory.get_push("ack:" + refused)
    assert entry is not None
    assert entry.next_attempt_at is None, "a push given up for good was made due again"
    assert (entry.last_error or "").startswith("Jet refused it")


def test_an_outbox_body_jet_would_refuse_is_given_up_before_any_request(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    make_integration(push_order_status=False).import_orders()
    body: dict[str, JsonValue] = {"acknowledgement_status": "maybe", "order_items": []}
    memory.enqueue("ack:" + order_id, kind="acknowledge", target=order_id, payload={"body": body})
    sandbox.clear_requests()

    report = make_integration().flush_pushes()

    assert sandbox.count("acknowledge") == 0
    (outcome,) = report.pushes
    assert outcome.result is PushResult.FAILED
    assert "request body is not one Jet accepts" in (outcome.reason or "")
    entry = memory.get_push("ack:" + order_id)
    assert entry is not None
    assert entry.next_attempt_at is None, "never retried: Jet never saw it"
