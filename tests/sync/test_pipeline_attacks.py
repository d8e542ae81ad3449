"""The pipelined import under attack: stalls, other workers, interruptions and odd sizes.

Each test drives the real import (the in-process sandbox, real storages) into a corner of the
pipeline where an acknowledgement could go out twice, too early, or not at all, or where a run
could stop without releasing what it holds.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sync_helpers import Clock

from jet_orderhive.jet import OrderFetch
from jet_orderhive.jet.client import JetClient
from jet_orderhive.jet.errors import JetAuthError
from jet_orderhive.jet.models import Acknowledgement
from jet_orderhive.storage.errors import StorageBusyError
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.postgres import PostgresStorage
from jet_orderhive.storage.records import PushStatus
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.progress import ProgressEvent
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox

_WAIT = 20  # seconds a gated request waits at most, so a broken test fails instead of hanging


def _acks_per_order(sandbox: JetSandbox) -> Counter[str]:
    return Counter(r.path.split("/")[2] for r in sandbox.requests if r.kind == "acknowledge")


def _client(sandbox: JetSandbox, cls: type[JetClient] = JetClient) -> JetClient:
    return cls(
        sandbox.user,
        sandbox.secret,
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        clock=sandbox.now,
        rate_limit=None,
    )


def test_a_claim_that_lapsed_while_its_acknowledgement_waited_for_a_slot_is_not_sent(
    clock: Clock,
) -> None:
    """The import claims a pool's width of acknowledgements at once, and sends each when a
    slot frees. One that waited past ``claim_ttl`` (slow requests held every slot) may have
    been taken over and sent by another worker: its claim is checked again before it goes."""
    sandbox = JetSandbox(seed=3, clock=clock)
    ids = sandbox.generate_orders(51)
    listed = sandbox.client().list_order_ids("ready")
    slow, stalled = listed[49], listed[50]
    stalled_started, stall_over = threading.Event(), threading.Event()

    class Stalling(JetClient):
        """The 51st order's read hangs; the 50th is answered once it hangs, so the first
        group commits with one slot held by the hanging read."""

        def fetch_order(self, order_id: str) -> OrderFetch:
            if order_id == stalled:
                stalled_started.set()
                assert stall_over.wait(_WAIT)
            elif order_id == slow:
                assert stalled_started.wait(_WAIT)
            return super().fetch_order(order_id)

    storage = MemoryStorage(clock=clock)
    ttl = timedelta(minutes=1)
    other = Integration(
        sandbox.client(rate_limit=None),
        storage,
        settings=IntegrationSettings(claim_ttl=ttl),
        clock=clock,
    )
    took_over: list[int] = []

    def progress(event: ProgressEvent) -> None:
        if event.step == "push order status" and not took_over:
            # The first acknowledgement is answered; the second was claimed with it and is
            # still waiting for a slot. The worker stalls past the claim, another one flushes.
            clock.advance(ttl + timedelta(seconds=1))
            took_over.append(other.flush_pushes().counts.acknowledged)
            stall_over.set()

    settings = IntegrationSettings(concurrency=2, claim_ttl=ttl)
    try:
        with _client(sandbox, Stalling) as client:
            Integration(
                client, storage, settings=settings, clock=clock, progress=progress
            ).import_orders()
    finally:
        stall_over.set()

    assert took_over, "the import stalled after its first acknowledgement"
    assert took_over[0] > 0, "the other worker took the lapsed claims over"
    acks = [r for r in sandbox.requests if r.kind == "acknowledge"]
    assert [(r.path, r.status) for r in acks if r.status != 204] == []
    assert _acks_per_order(sandbox) == dict.fromkeys(ids, 1)


def test_an_acknowledgement_another_worker_may_have_sent_is_re_read_not_trusted_to_a_stale_read(
    clock: Clock,
) -> None:
    """Worker B reads an order while it is still ``ready``. Meanwhile worker A acknowledges
    it, loses the answer, and stops on a refused credential, which makes the entry due again
    at once. B's read predates A's send, so B must read Jet again before sending: a second
    acknowledgement is refused by Jet and would leave the push given up for good."""
    sandbox = JetSandbox(seed=4, clock=clock)
    (order_id,) = sandbox.generate_orders(1)
    storage = MemoryStorage(clock=clock)

    class RefusedAfterAcknowledging(JetClient):
        def acknowledge_order(self, order_id: str, ack: Acknowledgement) -> None:
            try:
                super().acknowledge_order(order_id, ack)
            finally:
                # The re-read after the lost answer meets a refused credential (twice: the
                # client fetches a new token once).
                sandbox.fail_next(2, status=401, kind="order_detail")

    settings = IntegrationSettings(concurrency=1)
    first = Integration(
        _client(sandbox, RefusedAfterAcknowledging), storage, settings=settings, clock=clock
    )
    stopped: list[BaseException] = []

    class ReadsBeforeTheOther(JetClient):
        def fetch_order(self, order_id: str) -> OrderFetch:
            fetched = super().fetch_order(order_id)  # still ready here
            sandbox.drop_connections(1, after_apply=True, kind="acknowledge")
            with pytest.raises(JetAuthError) as refused:
                first.import_orders()
            stopped.append(refused.value)
            return fetched

    second = Integration(
        _client(sandbox, ReadsBeforeTheOther), storage, settings=settings, clock=clock
    )
    report = second.import_orders()

    assert stopped, "the first worker stopped on the refused credential"
    acks = [(r.path, r.status) for r in sandbox.requests if r.kind == "acknowledge"]
    assert acks == [(f"/orders/{order_id}/acknowledge", 204)], "acknowledged once"
    assert report.problems == ()
    entry = storage.get_push(f"ack:{order_id}")
    assert entry is not None
    assert entry.status is PushStatus.DONE


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_workers_importing_at_once_on_postgresql_acknowledge_each_order_once(
    postgres_conninfo: str, seed: int
) -> None:
    """Three workers import the same orders at once, each on its own connections, while Jet
    drops answers and fails some requests. A worker whose unit of work loses a write conflict
    stops and makes what it held due again at once; the others, which read those orders
    before its sends, must re-read them rather than acknowledge them a second time."""
    clock = Clock()
    sandbox = JetSandbox(seed=seed, clock=clock, sleep=time.sleep)
    ids = sandbox.generate_orders(130)
    sandbox.latency(0.001)
    sandbox.drop_connections(4, after_apply=True, kind="acknowledge")
    sandbox.fail_randomly(0.05)
    errors: list[BaseException] = []

    def work(concurrency: int) -> None:
        try:
            with PostgresStorage(postgres_conninfo, clock=clock) as storage:
                for _ in range(2):
                    Integration(
                        sandbox.client(rate_limit=None, sleep=lambda _s: None),
                        storage,
                        settings=IntegrationSettings(concurrency=concurrency),
                        clock=clock,
                        sleep=lambda _s: None,
                    ).import_orders()
        except BaseException as error:  # asserted on below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(width,)) for width in (3, 8, 16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # A unit of work may lose a write conflict to another worker's; that run stops, no more.
    assert [e for e in errors if not isinstance(e, StorageBusyError)] == []

    sandbox.clear_faults()
    clock.advance(timedelta(hours=3))  # past every claim and retry time
    with PostgresStorage(postgres_conninfo, clock=clock) as storage:
        Integration(sandbox.client(rate_limit=None), storage, clock=clock).run_once()
        assert sorted(o.channel_order_id for o in storage.list_orders()) == sorted(ids)
        assert [p.key for p in storage.pushes() if p.status is not PushStatus.DONE] == []
    acks = [r for r in sandbox.requests if r.kind == "acknowledge"]
    assert [r.path for r in acks if r.status == 400] == [], "Jet refused a second one"
    applied = Counter(r.path.split("/")[2] for r in acks if r.status == 204)
    assert applied == dict.fromkeys(ids, 1)
