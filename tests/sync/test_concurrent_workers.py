"""Worker processes calling the same step at the same moment over one SQLite file."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from pathlib import Path

import pytest

from jet_orderhive.jet.client import JetClient
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.testing.sandbox import JetSandbox

_ORDERS = 60


def _worker(step: str, base_url: str, user: str, secret: str, path: str, start: object) -> None:
    """One process: wait for the others, then run ``step`` once."""
    client = JetClient(user=user, secret=secret, base_url=base_url, rate_limit=None)
    with client, SQLiteStorage(path) as storage:
        integration = Integration(client, storage)
        start.wait(timeout=60)  # type: ignore[attr-defined]
        getattr(integration, step)()


def _run_together(step: str, workers: int, sandbox: JetSandbox, path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    with sandbox.serve() as base_url:
        processes = [
            context.Process(
                target=_worker,
                args=(step, base_url, sandbox.user, sandbox.secret, str(path), start),
            )
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        start.set()
        for process in processes:
            process.join(timeout=120)
        assert [p.exitcode for p in processes] == [0] * workers


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_importing_at_once_acknowledge_each_order_once(
    workers: int, tmp_path: Path
) -> None:
    sandbox = JetSandbox(seed=workers)
    ids = sandbox.generate_orders(_ORDERS)
    path = tmp_path / "shared.sqlite"
    SQLiteStorage(path).close()  # schema in place before the race

    _run_together("import_orders", workers, sandbox, path)

    acks = [r for r in sandbox.requests if r.kind == "acknowledge"]
    assert [r for r in acks if r.status != 204] == [], "Jet refused an acknowledgement"
    assert Counter(r.path.split("/")[2] for r in acks) == dict.fromkeys(ids, 1)
    with SQLiteStorage(path) as storage:
        assert sorted(o.channel_order_id for o in storage.list_orders()) == sorted(ids)
        assert {e.status.value for e in storage.pushes()} == {"done"}


def test_workers_flushing_at_once_send_each_push_once(tmp_path: Path) -> None:
    sandbox = JetSandbox(seed=11)
    ids = sandbox.generate_orders(_ORDERS)
    path = tmp_path / "shared.sqlite"
    with SQLiteStorage(path) as storage:
        client = sandbox.client(rate_limit=None, sleep=lambda _s: None)
        # Imported while Jet turned every acknowledgement away unapplied: all are owed.
        sandbox.fail_next(100_000, status=503, kind="acknowledge")
        Integration(client, storage, sleep=lambda _s: None).import_orders()
        sandbox.clear_faults()
        for entry in storage.pushes():
            storage.mark_failed(entry.key, "due again now", entry.created_at)
        assert len(storage.due()) == _ORDERS
    sandbox.clear_requests()

    _run_together("flush_pushes", 3, sandbox, path)

    acks = [r for r in sandbox.requests if r.kind == "acknowledge"]
    assert [r for r in acks if r.status != 204] == []
    assert Counter(r.path.split("/")[2] for r in acks) == dict.fromkeys(ids, 1)
