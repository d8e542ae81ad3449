"""The engine's crash windows: a rerun never duplicates an order, a customer or an ack."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sync_helpers import Clock, MakeIntegration, buyers_of

from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync import pushes
from jet_orderhive.testing.sandbox import JetSandbox


class Crash(BaseException):
    """Stands for the process dying: nothing in the engine catches it."""


class CrashOnMarkDone:
    """A storage that dies the first time the engine marks a push done."""

    def __init__(self, inner: SQLiteStorage) -> None:
        self._inner = inner
        self.crashed = False

    def mark_done(self, key: str, *, account: str = "default") -> None:
        if not self.crashed:
            self.crashed = True
            raise Crash
        self._inner.mark_done(key, account=account)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _assert_one_of_each(sandbox: JetSandbox, storage: SQLiteStorage, ids: list[str]) -> None:
    assert sorted(o.channel_order_id for o in storage.list_orders()) == sorted(ids)
    assert len(storage.list_customers()) == len(buyers_of(sandbox, ids))
    acknowledged = [r.path.split("/")[2] for r in sandbox.requests if r.kind == "acknowledge"]
    assert sorted(acknowledged) == sorted(ids), "each order acknowledged exactly once"
    assert all(sandbox.order_status(order_id) == "acknowledged" for order_id in ids)


def test_crash_after_store_before_acknowledge_reruns_without_duplicates(
    sandbox: JetSandbox,
    sqlite_storage: SQLiteStorage,
    make_integration: MakeIntegration,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = sandbox.generate_orders(12)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        # The process dies as the first acknowledgement is about to go out, after the commit.
        patch.setattr(pushes._Flush, "claim_key", crash)
        with pytest.raises(Crash):
            make_integration(sqlite_storage).import_orders()
    assert len(sqlite_storage.list_orders()) == 12
    assert sandbox.count("acknowledge") == 0

    report = make_integration(sqlite_storage).import_orders()

    _assert_one_of_each(sandbox, sqlite_storage, ids)
    assert report.counts.created == 0
    assert report.counts.acknowledged == 12


def test_crash_after_acknowledge_before_mark_done_rereads_and_sends_nothing_again(
    sandbox: JetSandbox, sqlite_storage: SQLiteStorage, make_integration: MakeIntegration
) -> None:
    ids = sandbox.generate_orders(5)
    crashing = CrashOnMarkDone(sqlite_storage)
    with pytest.raises(Crash):
        make_integration(crashing).import_orders()  # type: ignore[arg-type]
    # Acknowledgements go out in parallel, so up to all five may be in flight at the crash.
    sent_before = sandbox.count("acknowledge")
    assert sent_before >= 1

    make_integration(sqlite_storage).import_orders()
    assert sandbox.count("acknowledge") == 5, "the ones sent before the crash are not sent again"

    _assert_one_of_each(sandbox, sqlite_storage, ids)
    assert all(
        (entry := sqlite_storage.get_push(f"ack:{order_id}")) is not None
        and entry.status.value == "done"
        for order_id in ids
    )


def test_acknowledgement_applied_but_answer_lost_is_marked_done_after_a_re_read(
    sandbox: JetSandbox,
    sqlite_storage: SQLiteStorage,
    clock: Clock,
    make_integration: MakeIntegration,
) -> None:
    ids = sandbox.generate_orders(3)
    sandbox.drop_connections(1, after_apply=True, kind="acknowledge")
    first = make_integration(sqlite_storage, push_attempts_per_run=1).import_orders()
    assert first.counts.pushes_failed == 1
    assert sandbox.count("acknowledge") == 3

    clock.advance(timedelta(hours=1))
    second = make_integration(sqlite_storage).run_once()

    _assert_one_of_each(sandbox, sqlite_storage, ids)
    assert second.counts.pushes_failed == 0
    assert not [p for p in sqlite_storage.pushes() if p.status.value != "done"]
