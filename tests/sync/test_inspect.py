"""Inspect and act: views of pushes, quarantine and stored orders, retries, and closing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sync_helpers import Clock, MakeIntegration

from jet_orderhive import (
    Integration,
    JetOrderhiveError,
    PushNotFound,
    Shipment,
    ShipmentLine,
    StorageError,
)
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.inspect import OwedAction, PushState
from jet_orderhive.testing.sandbox import JetSandbox


def _break_price(order: dict[str, Any]) -> None:
    order["order_items"][0]["item_price"]["base_price"] = "not a number"


def test_failed_pushes_are_listed_and_a_retry_sends_one_now(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(3)
    sandbox.fail_randomly(1.0, kind="acknowledge")
    integration = make_integration()
    integration.import_orders()
    failed = integration.failed_pushes()
    assert sorted(view.target for view in failed) == sorted(ids)
    assert {view.state for view in failed} == {PushState.RETRYING}
    assert all(view.next_attempt_at is not None and view.last_error for view in failed)
    assert integration.pending_pushes() == []
    assert failed[0].to_dict()["state"] == "retrying"
    sandbox.clear_faults()
    # No clock change: the retry makes the push due at once, instead of at its retry time.
    report = integration.retry_push(failed[0].key)
    assert report.counts.acknowledged == 1
    assert sandbox.order_status(failed[0].target) == "acknowledged"
    assert [v.key for v in integration.push_views(PushState.DONE)] == [failed[0].key]
    assert len(integration.failed_pushes()) == 2
    rest = integration.retry_failed_pushes()
    assert rest.counts.acknowledged == 2
    assert integration.failed_pushes() == []
    assert {sandbox.order_status(i) for i in ids} == {"acknowledged"}


def test_a_given_up_push_is_sent_again_on_retry(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.fail_next(1, status=400, kind="acknowledge")
    integration = make_integration()
    first = integration.import_orders()
    (view,) = integration.failed_pushes()
    assert view.state is PushState.GIVEN_UP
    assert view.next_attempt_at is None
    assert not first.ok
    report = integration.retry_push(view.key)
    assert report.counts.acknowledged == 1
    assert report.ok
    assert sandbox.order_status(order_id) == "acknowledged"
    assert integration.failed_pushes() == []


def test_retrying_a_done_or_unknown_push(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(1)
    integration = make_integration()
    integration.import_orders()
    (done,) = integration.push_views(PushState.DONE)
    before = sandbox.count("acknowledge")
    report = integration.retry_push(done.key)
    assert report.notes == (f"push {done.key} is done already; nothing to retry",)
    assert sandbox.count("acknowledge") == before
    with pytest.raises(PushNotFound) as caught:
        integration.retry_push("ack:nope")
    assert isinstance(caught.value, KeyError)
    assert isinstance(caught.value, JetOrderhiveError)
    assert "ack:nope" in str(caught.value)


def test_quarantined_orders_are_listed_without_payload_and_retried(
    sandbox: JetSandbox, make_integration: MakeIntegration, memory: MemoryStorage
) -> None:
    broken, fine = sandbox.generate_orders(2)
    sandbox.corrupt_order(broken, _break_price)
    integration = make_integration()
    integration.import_orders()
    (view,) = integration.quarantined()
    assert (view.kind, view.external_id, view.times_seen) == ("order", broken, 1)
    assert view.payload_bytes > 0
    assert "payload" not in view.to_dict()
    # Still broken: it stays in quarantine, seen once more.
    again = integration.retry_quarantined([broken])
    assert not again.ok
    assert integration.quarantined()[0].times_seen == 2
    sandbox.repair_order(broken)
    report = integration.retry_quarantined()
    assert report.counts.released == 1
    assert report.counts.acknowledged == 1
    assert integration.quarantined() == []
    assert memory.get_order(broken) is not None
    assert sandbox.order_status(broken) == "acknowledged"
    assert integration.retry_quarantined([fine]).notes == (
        f"order {fine} is not in quarantine; nothing to retry",
    )


def test_orders_are_read_in_stable_pages_with_filters(
    sandbox: JetSandbox, make_integration: MakeIntegration, clock: Clock, memory: MemoryStorage
) -> None:
    sandbox.generate_orders(7, placed_at=clock.now - timedelta(days=3))
    sandbox.generate_orders(2, placed_at=clock.now - timedelta(hours=1))
    integration = make_integration()
    integration.import_orders()
    everything = sorted(o.channel_order_id for o in memory.list_orders())
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = integration.orders(limit=4, after=after)
        seen += [view.order.channel_order_id for view in page.orders]
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == everything
    assert pages == 3
    recent = integration.orders(placed_from=clock.now - timedelta(days=1))
    assert len(recent.orders) == 2
    older = integration.orders(placed_before=clock.now - timedelta(days=1))
    assert len(older.orders) == 7
    assert integration.orders(jet_statuses=["complete"]).orders == ()
    assert len(list(integration.iter_orders(jet_statuses=["acknowledged"]))) == 9
    with pytest.raises(ValueError, match="limit"):
        integration.orders(limit=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        integration.orders(placed_from=clock.now.replace(tzinfo=None))


def test_orders_owing_an_action_are_found(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    cancel_me, refused, quiet = sandbox.generate_orders(3)
    integration = make_integration()
    integration.import_orders()
    sandbox.request_directed_cancel(cancel_me)
    integration.import_orders()
    sandbox.fail_next(1, status=400, kind="shipped")
    order = integration.storage.get_order(refused)
    assert order is not None
    line = order.line_items[0]
    integration.ship(
        refused,
        Shipment(
            lines=[ShipmentLine(sku=line.sku, quantity_shipped=1)],
            courier_name="UPS",
            tracking_number="1Z999AA10123456784",
        ),
    )
    owing = integration.orders(owes_action=True)
    owed = {view.order.channel_order_id: view.owes for view in owing.orders}
    assert owed == {
        cancel_me: (OwedAction.ANSWER_DIRECTED_CANCEL,),
        refused: (OwedAction.FIX_REFUSED_PUSH,),
    }
    others = integration.orders(owes_action=False)
    assert [view.order.channel_order_id for view in others.orders] == [quiet]
    summary = owing.orders[0].to_dict()
    assert set(summary) >= {"jet_order_id", "jet_status", "owes", "grand_total"}
    assert "shipping_address" not in summary


def test_a_ready_order_with_no_answer_queued_owes_one(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    integration = make_integration(confirm_on_import=False)
    integration.import_orders()
    (view,) = integration.orders(owes_action=True).orders
    assert view.owes == (OwedAction.CONFIRM_OR_REJECT,)
    integration.confirm(order_id)
    assert integration.orders(owes_action=True).orders == ()


def test_status_counts_what_storage_holds(
    sandbox: JetSandbox, make_integration: MakeIntegration
) -> None:
    sandbox.generate_orders(2)
    broken = sandbox.generate_orders(1)[0]
    sandbox.corrupt_order(broken, _break_price)
    sandbox.fail_randomly(1.0, kind="acknowledge")
    integration = make_integration()
    integration.import_orders()
    status = integration.status()
    assert status.orders_by_jet_status == {"ready": 2}
    assert status.pushes_by_state[PushState.RETRYING] == 2
    assert status.quarantined == 1
    assert status.next_push_at is not None
    assert status.to_dict()["pushes_by_state"]["retrying"] == 2


def test_close_closes_only_what_the_integration_owns(
    sandbox: JetSandbox, sqlite_path: Any, clock: Clock
) -> None:
    kept_client = sandbox.client(rate_limit=None)
    kept_storage = SQLiteStorage(sqlite_path, clock=clock)
    with Integration(kept_client, kept_storage, clock=clock) as integration:
        integration.import_orders()
    # Neither was handed over: both still work.
    assert kept_storage.list_orders() == []
    kept_client.list_order_ids("ready")
    owned_client = sandbox.client(rate_limit=None)
    with Integration(
        owned_client, kept_storage, clock=clock, owns_client=True, owns_storage=True
    ) as integration:
        integration.import_orders()
    integration.close()  # a second close does nothing
    with pytest.raises(StorageError, match="closed"):
        kept_storage.list_orders()
    with pytest.raises(RuntimeError):
        owned_client.list_order_ids("ready")
    kept_client.close()
