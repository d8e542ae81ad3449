"""Transient faults heal within a run, one order's failure stays its own, refusals stay visible."""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest
from sync_helpers import Clock, MakeIntegration

from jet_orderhive.jet.errors import JetError
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.testing.sandbox import JetSandbox


def _applied_acks(sandbox: JetSandbox) -> Counter[str]:
    return Counter(
        r.path.split("/")[2]
        for r in sandbox.requests
        if r.kind == "acknowledge" and r.status == 204
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_300_orders_under_20_percent_faults_are_acknowledged_within_two_runs_without_waiting(
    seed: int, clock: Clock, memory: MemoryStorage
) -> None:
    sandbox = JetSandbox(seed=seed, clock=clock)
    ids = sandbox.generate_orders(300)
    sandbox.fail_randomly(0.2, status=500)
    sandbox.drop_connections(5, after_apply=True, kind="acknowledge")

    for _ in range(2):  # back to back: the clock does not move, so no retry schedule comes due
        client = sandbox.client(rate_limit=None, sleep=lambda _seconds: None)
        integration = Integration(client, memory, clock=clock, sleep=lambda _seconds: None)
        # A list request that outlives its retries ends a run early; the next run goes on.
        with contextlib.suppress(JetError):
            integration.import_orders()

    statuses = Counter(sandbox.order_status(order_id) for order_id in ids)
    assert statuses == {"acknowledged": 300}
    assert len(memory.list_orders()) == 300
    applied = _applied_acks(sandbox)
    assert set(applied) <= set(ids)
    assert max(applied.values()) == 1, "an order was acknowledged twice"
    refused = [r for r in sandbox.requests if r.kind == "acknowledge" and r.status == 400]
    assert refused == []


def test_an_ambiguous_acknowledgement_is_re_read_and_resent_in_the_same_run(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    (lost_answer, failed) = sandbox.generate_orders(2)
    sandbox.drop_connections(1, after_apply=True, kind="acknowledge")
    sandbox.fail_next(1, status=500, kind=f"/orders/{failed}/acknowledge")

    report = make_integration().import_orders()

    assert sandbox.order_status(lost_answer) == sandbox.order_status(failed) == "acknowledged"
    assert report.counts.pushes_failed == 0
    assert report.problems == ()
    # The one whose answer was lost is found acknowledged on re-read: sent once, not twice.
    assert _applied_acks(sandbox) == {lost_answer: 1, failed: 1}


def test_a_refused_acknowledgement_stays_a_problem_on_every_run_until_the_host_acts(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.fail_next(1, status=400, kind="acknowledge")
    integration = make_integration()

    first = integration.import_orders()
    later = [integration.import_orders(), integration.flush_pushes(), integration.run_once()]

    for report in (first, *later):
        assert not report.ok
        assert [p.ref for p in report.problems] == [order_id], report
    assert sandbox.order_status(order_id) == "ready"

    resolved = integration.confirm(order_id)
    assert resolved.counts.acknowledged == 1
    assert sandbox.order_status(order_id) == "acknowledged"
    assert integration.run_once().problems == ()


def test_one_order_whose_fetch_gives_up_fails_alone_and_the_rest_are_acknowledged(
    sandbox: JetSandbox, memory: MemoryStorage, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(6)
    stuck = ids[2]
    sandbox.fail_next(1000, status=429, kind=f"/orders/withoutShipmentDetail/{stuck}")
    integration = make_integration()

    report = integration.import_orders()

    others = [order_id for order_id in ids if order_id != stuck]
    assert all(sandbox.order_status(order_id) == "acknowledged" for order_id in others)
    assert memory.get_order(stuck) is None
    assert [p.ref for p in report.problems] == [stuck]

    sandbox.clear_faults()
    integration.import_orders()
    stored = memory.get_order(stuck)
    assert stored is not None
    assert stored.order_status is OrderStatus.CONFIRMED
    assert sandbox.order_status(stuck) == "acknowledged"
