"""2,000 orders while a fifth of all requests fail: nothing lost, duplicated or sent twice.

Jet answers 500, 503 and 429 with ``Retry-After`` (the sandbox's seeded faults, not applied),
and the network loses requests before they arrive (refused, connect timeout) and after Jet
applied them (read timeout, reset). The faults stay on for both runs; nothing really waits.
``make test`` runs two seeds; ``JET_ORDERHIVE_SOAK=1`` runs eight, on both storages.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import FIGURES, SOAK, Clock, FlakyNetwork, record

from jet_orderhive.jet.errors import JetError
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox

ORDERS = 2000
#: Jet's share of failed answers per status; with the network's share, about 20% in all.
JET_FAULTS = {500: 0.05, 503: 0.04, 429: 0.03}
NETWORK_RATE = 0.08
SEEDS = list(range(1, 9)) if SOAK else [1, 2]
STORAGES = ["memory", "sqlite"] if SOAK else ["memory"]
MAX_RUNS = 4


@pytest.fixture(params=STORAGES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "memory":
        yield MemoryStorage(clock=request.getfixturevalue("clock"))
        return
    with SQLiteStorage(tmp_path / "scale.db", clock=request.getfixturevalue("clock")) as sqlite:
        yield sqlite


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.mark.parametrize("seed", SEEDS)
def test_2000_orders_under_20_percent_faults_settle_with_nothing_lost_or_acknowledged_twice(
    seed: int, storage: Storage, clock: Clock
) -> None:
    sandbox = JetSandbox(seed=seed, clock=clock)
    ids = sandbox.generate_orders(ORDERS)
    for status, rate in JET_FAULTS.items():
        retry_after = 1 if status == 429 else None
        sandbox.fail_randomly(rate, status=status, retry_after=retry_after)
    network = FlakyNetwork(sandbox.transport(), seed=seed, rate=NETWORK_RATE)

    runs = 0
    # Two back-to-back runs must do (issue 10); up to MAX_RUNS are allowed so that a failure
    # still reports what was lost or duplicated, and the run count is asserted below.
    for _ in range(MAX_RUNS):  # back to back: the clock does not move, only in-run retries help
        runs += 1
        client = sandbox.client(transport=network, sleep=lambda _s: None)
        integration = Integration(
            client,
            storage,
            # One fetch at a time, so a seed's faults hit the same requests on every run.
            settings=IntegrationSettings(concurrency=1),
            clock=clock,
            sleep=lambda _s: None,
        )
        # A list request that outlives its retries ends a run early (documented); the next
        # run goes on from what was committed.
        with contextlib.suppress(JetError):
            integration.import_orders()
        if all(sandbox.order_status(i) == "acknowledged" for i in ids):
            break

    log = sandbox.requests
    jet_faults = Counter(r.status for r in log if r.status in JET_FAULTS)
    applied = Counter(
        r.path.split("/")[2] for r in log if r.kind == "acknowledge" and r.status == 204
    )
    stored = [o.channel_order_id for o in storage.list_orders()]
    emails = [c.email.casefold() for c in storage.list_customers() if c.email]
    requests = network.requests
    injected = sum(jet_faults.values()) + sum(network.injected.values())

    lost = len(set(ids) - set(stored))
    duplicated = len(stored) - len(set(stored)) + len(emails) - len(set(emails))
    twice = sum(1 for n in applied.values() if n > 1)
    unacknowledged = sum(1 for i in ids if sandbox.order_status(i) != "acknowledged")
    record(
        "faults_at_scale",
        examples=1,
        orders=ORDERS,
        requests=requests,
        faults_injected=injected,
        jet_500=jet_faults[500],
        jet_503=jet_faults[503],
        jet_429=jet_faults[429],
        network_before_apply=network.injected["connect error"]
        + network.injected["connect timeout"],
        network_after_apply=network.injected["read timeout"] + network.injected["disconnect"],
        lost=lost,
        duplicated=duplicated,
        acknowledged_twice=twice,
        not_converged=unacknowledged,
        runs_needed_per_seed={
            **FIGURES.get("faults_at_scale", {}).get("runs_needed_per_seed", {}),
            f"{seed}": runs,
        },
    )
    assert 0.15 <= injected / requests <= 0.25, f"{injected} faults in {requests} requests"
    assert lost == 0
    assert duplicated == 0
    assert twice == 0, "an order was acknowledged twice"
    assert unacknowledged == 0, f"{unacknowledged} orders not acknowledged after {runs} runs"
    assert runs <= 2, f"converged only after {runs} back-to-back runs"
    assert sorted(stored) == sorted(ids)


def test_one_fault_free_run_drains_a_ready_list_longer_than_jets_cap(clock: Clock) -> None:
    sandbox = JetSandbox(seed=1, clock=clock)
    ids = sandbox.generate_orders(ORDERS)
    storage = MemoryStorage(clock=clock)
    client = sandbox.client(sleep=lambda _s: None)
    Integration(client, storage, clock=clock, sleep=lambda _s: None).import_orders()
    assert len(storage.list_orders()) == ORDERS
    assert all(sandbox.order_status(i) == "acknowledged" for i in ids)
