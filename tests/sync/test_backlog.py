"""A backlog beyond Jet's list cap drains in one run, with work linear in its size."""

from __future__ import annotations

import os

import pytest
from sync_helpers import Clock

from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.testing.sandbox import JetSandbox

# Jet's own shape, 20,000 orders behind a 1,000-id cap, runs in the soak; the suite keeps the
# same ratio (twenty list caps' worth) at a tenth of the size.
_SOAK = os.environ.get("JET_ORDERHIVE_SOAK") == "1"
_SHAPES = [(2_000, 100)] + ([(20_000, 1_000)] if _SOAK else [])


@pytest.mark.parametrize(("orders", "cap"), _SHAPES)
def test_a_backlog_of_ready_orders_is_imported_in_one_run_at_about_two_requests_each(
    orders: int, cap: int, clock: Clock
) -> None:
    sandbox = JetSandbox(seed=5, clock=clock, order_list_cap=cap)
    ids = sandbox.generate_orders(orders)
    storage = MemoryStorage(clock=clock)
    integration = Integration(sandbox.client(rate_limit=None), storage, clock=clock)

    report = integration.import_orders()

    assert report.counts.created == orders
    assert report.counts.acknowledged == orders
    assert all(sandbox.order_status(order_id) == "acknowledged" for order_id in ids)
    per_order = len(sandbox.requests) / orders
    assert per_order < 2.2, f"{len(sandbox.requests)} requests for {orders} orders"
    assert sandbox.count("order_detail") == orders, "each order read once"
    assert any("backlog drained" in note for note in report.notes)

    sandbox.clear_requests()
    idle = integration.import_orders()
    budget = integration.settings.refresh_budget
    assert idle.counts.created == 0
    assert not any("backlog" in note for note in idle.notes)
    assert sandbox.count("order_list") == 8
    assert len(sandbox.requests) <= 8 + budget, "an idle run costs the lists and the budget"
