"""The import as one pipeline: detail reads, commits and acknowledgements overlap, all within
one bound of concurrent requests, and every acknowledgement follows its own order's commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import Clock

from jet_orderhive.jet.client import JetClient
from jet_orderhive.jet.errors import JetAuthError
from jet_orderhive.jet.models import Acknowledgement
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.progress import ProgressEvent
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox


class _Commits(MemoryStorage):
    """Knows which orders are committed: those of a unit count once its outermost unit ends."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.committed: set[str] = set()
        self.lock = threading.Lock()
        self._open = 0
        self._pending: list[str] = []

    def transaction(self) -> Any:
        storage = self
        inner = super().transaction()

        class Unit:
            def __enter__(self) -> None:
                storage._open += 1
                inner.__enter__()

            def __exit__(self, kind: Any, *rest: Any) -> Any:
                storage._open -= 1
                ended = inner.__exit__(kind, *rest)
                if storage._open == 0:
                    with storage.lock:
                        if kind is None:
                            storage.committed.update(storage._pending)
                        storage._pending.clear()
                return ended

        return Unit()

    def upsert_order(self, order: Any, **kwargs: Any) -> Any:
        result = super().upsert_order(order, **kwargs)
        with self.lock:
            if self._open:
                self._pending.append(order.channel_order_id)
            else:
                self.committed.add(order.channel_order_id)
        return result


class _Watched(JetClient):
    """Notes every acknowledgement that went out before its order was committed."""

    storage: _Commits
    early: list[str]

    def acknowledge_order(self, order_id: str, ack: Acknowledgement) -> None:
        with self.storage.lock:
            if order_id not in self.storage.committed:
                self.early.append(order_id)
        super().acknowledge_order(order_id, ack)


def _watched(sandbox: JetSandbox, storage: _Commits) -> _Watched:
    client = _Watched(
        sandbox.user,
        sandbox.secret,
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        clock=sandbox.now,
        rate_limit=None,
    )
    client.storage, client.early = storage, []
    return client


def test_acknowledgements_go_out_while_the_fetches_go_on_each_after_its_commit(
    clock: Clock,
) -> None:
    in_flight, peak = 0, 0
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(seconds)
        with lock:
            in_flight -= 1

    sandbox = JetSandbox(seed=11, clock=clock, sleep=sleep)
    ids = sandbox.generate_orders(160)
    sandbox.latency(0.002)
    storage = _Commits(clock)
    client = _watched(sandbox, storage)
    settings = IntegrationSettings(concurrency=6)
    with client:
        report = Integration(client, storage, settings=settings, clock=clock).import_orders()

    assert report.counts.created == 160
    assert report.counts.acknowledged == 160
    kinds = [r.kind for r in sandbox.requests]
    assert kinds.count("acknowledge") == 160, "every order acknowledged once"
    acked = sorted(r.path.split("/")[2] for r in sandbox.requests if r.kind == "acknowledge")
    assert acked == sorted(ids)
    assert client.early == [], "an acknowledgement went out before its order was committed"
    last_fetch = max(i for i, kind in enumerate(kinds) if kind == "order_detail")
    first_ack = kinds.index("acknowledge")
    assert first_ack < last_fetch, "the acknowledgements waited for every detail read"
    assert peak <= 6, f"{peak} requests in flight with concurrency=6"


def test_a_one_at_a_time_import_acknowledges_each_group_before_fetching_the_next(
    sandbox: JetSandbox, clock: Clock
) -> None:
    """With one request at a time, nothing runs on another thread, and the order is fixed:
    a group of 50 is fetched, committed and acknowledged, then the next group is fetched."""
    sandbox.generate_orders(120)
    storage = _Commits(clock)
    client = _watched(sandbox, storage)
    settings = IntegrationSettings(concurrency=1)
    with client:
        Integration(client, storage, settings=settings, clock=clock).import_orders()

    details = [r.kind for r in sandbox.requests if r.kind in ("order_detail", "acknowledge")]
    assert details == (
        ["order_detail"] * 50
        + ["acknowledge"] * 50
        + ["order_detail"] * 50
        + ["acknowledge"] * 50
        + ["order_detail"] * 20
        + ["acknowledge"] * 20
    )
    assert client.early == []


def test_orders_are_stored_in_the_order_jet_listed_them(clock: Clock) -> None:
    """Answers arrive in any order; the import takes them as listed, so a run is repeatable."""

    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    sandbox = JetSandbox(seed=5, clock=clock, sleep=sleep)
    ids = sandbox.generate_orders(30)
    listed = sandbox.client().list_order_ids("ready")
    # Every other answer is slow, so answers overtake each other.
    for order_id in listed[::2]:
        sandbox.latency(0.01, kind=f"/orders/withoutShipmentDetail/{order_id}")
    stored: list[str] = []

    class Recording(MemoryStorage):
        def upsert_order(self, order: Any, **kwargs: Any) -> Any:
            if order.channel_order_id not in stored:
                stored.append(order.channel_order_id)
            return super().upsert_order(order, **kwargs)

    with sandbox.client() as client:
        settings = IntegrationSettings(concurrency=8)
        Integration(client, Recording(clock=clock), settings=settings, clock=clock).import_orders()
    assert sorted(stored) == sorted(ids)
    assert stored == listed


def test_three_fetches_in_a_row_that_fail_everything_stop_the_fetching(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock
) -> None:
    sandbox.generate_orders(10)
    sandbox.throttle(every=1, retry_after=0, kind="order_detail")
    client = sandbox.client(sleep=lambda _s: None)
    integration = Integration(
        client, memory, settings=IntegrationSettings(concurrency=1), clock=clock
    )

    report = integration.import_orders()

    assert sandbox.count("order_detail") > 0
    failed = [p for p in report.problems if p.kind == "order"]
    assert len(failed) == 3, failed
    (stop,) = [p for p in report.problems if p.kind == "jet"]
    assert "Jet failed 3 order fetches in a row" in stop.reason
    assert "the other 7 order(s) are fetched on the next run" in stop.reason
    assert memory.list_orders() == []

    sandbox.clear_faults()
    again = integration.import_orders()
    assert again.counts.created == 10, "the initial sync is repeated for the unfetched ones"


def test_a_refused_credential_mid_import_keeps_what_was_fetched_and_sends_nothing_more(
    sandbox: JetSandbox, clock: Clock
) -> None:
    ids = sandbox.generate_orders(80)
    storage = _Commits(clock)
    client = _watched(sandbox, storage)
    fetched = 0
    real = client.fetch_order

    def fetch_order(order_id: str) -> Any:
        nonlocal fetched
        fetched += 1
        if fetched > 60:
            raise JetAuthError("token refused")
        return real(order_id)

    client.fetch_order = fetch_order  # type: ignore[method-assign]
    integration = Integration(
        client, storage, settings=IntegrationSettings(concurrency=1), clock=clock
    )
    with pytest.raises(JetAuthError):
        integration.import_orders()

    stored = {o.channel_order_id for o in storage.list_orders()}
    assert len(stored) == 60, "the orders fetched before the refusal are stored"
    assert sandbox.count("acknowledge") == 50, "only the first group's, sent before the refusal"
    unsent = [e for e in storage.due() if e.kind == "acknowledge"]
    assert len(unsent) == 10, "the second group's acknowledgements wait, due at once"

    client.fetch_order = real  # type: ignore[method-assign]
    report = integration.import_orders()
    assert {o.channel_order_id for o in storage.list_orders()} == set(ids)
    assert sandbox.count("acknowledge") == 80
    assert report.counts.acknowledged == 30
    assert client.early == []


class _ClaimUnits(SQLiteStorage):
    """Counts the outermost units of work that took at least one claim."""

    def __init__(self, path: Any, clock: Clock) -> None:
        self.claim_units = 0
        self._depth = 0
        self._claimed_in_unit = False
        super().__init__(path, clock=clock)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._depth += 1
        try:
            with super().transaction():
                yield
        finally:
            self._depth -= 1
            if not self._depth and self._claimed_in_unit:
                self.claim_units += 1
                self._claimed_in_unit = False

    def claim(self, key: str, owner: str, ttl: Any, **kwargs: Any) -> Any:
        if self._depth:
            self._claimed_in_unit = True
            return super().claim(key, owner, ttl, **kwargs)
        with self.transaction():
            self._claimed_in_unit = True
            return super().claim(key, owner, ttl, **kwargs)


def test_a_flush_claims_its_batch_in_one_unit_of_work(
    sandbox: JetSandbox, clock: Clock, tmp_path: Path
) -> None:
    """Twelve stored orders whose acknowledgements were never queued (status pushes were off):
    the flush that sends them claims all twelve in one commit, not one commit each."""
    ids = sandbox.generate_orders(12)
    storage = _ClaimUnits(tmp_path / "claims.db", clock)
    try:
        with sandbox.client() as client:
            off = IntegrationSettings(push_order_status=False)
            Integration(client, storage, settings=off, clock=clock).import_orders()
            assert sandbox.count("acknowledge") == 0
            storage.claim_units = 0
            report = Integration(client, storage, clock=clock, sleep=lambda _s: None).run_once()
        assert report.counts.acknowledged == 12
        assert sorted(
            r.path.split("/")[2] for r in sandbox.requests if r.kind == "acknowledge"
        ) == (sorted(ids))
        assert storage.claim_units == 1, storage.claim_units
    finally:
        storage.close()


def test_the_acknowledgements_progress_never_goes_back_when_the_pass_retries(
    sandbox: JetSandbox, memory: MemoryStorage, clock: Clock
) -> None:
    """Acknowledgements settled while fetching count 1, 2, ...; those retried at the end of
    the pass go on from there instead of starting again at 1."""
    sandbox.generate_orders(6)
    sandbox.drop_connections(2, after_apply=True, kind="acknowledge")
    done: list[int] = []

    def progress(event: ProgressEvent) -> None:
        if event.step == "push order status":
            done.append(event.done)

    integration = Integration(
        sandbox.client(sleep=lambda _s: None),
        memory,
        settings=IntegrationSettings(concurrency=1),
        progress=progress,
        clock=clock,
        sleep=lambda _s: None,
    )
    report = integration.import_orders()

    assert report.counts.acknowledged + report.counts.pushes_skipped == 6
    assert sandbox.count("acknowledge") == 6, "the two lost answers were re-read, not resent"
    assert done == sorted(done), done
    assert done[-1] == 6
