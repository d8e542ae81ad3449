"""Three worker processes on one SQLite file, one of them killed mid-run with SIGKILL.

The first worker runs ``run_once()`` and freezes in the middle of its acknowledgements (its
progress callback blocks), holding the run lease and its outbox claims. Two more workers start
over the same file against the same ``sandbox.serve()``; the first is then killed with SIGKILL.
One of them loops ``run_once()`` (kept out by the dead worker's lease until ``lease_ttl``), the
other loops ``import_orders()`` and ``flush_pushes()`` (kept off the dead worker's entries until
``claim_ttl``). Every order must end stored once and acknowledged once on Jet.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from reliability_helpers import record

from jet_orderhive.jet.client import JetClient
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.progress import ProgressEvent
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox

ORDERS = 60
TTL = timedelta(seconds=2)
STALL_AFTER = 10


def _settings() -> IntegrationSettings:
    return IntegrationSettings(lease_ttl=TTL, claim_ttl=TTL, auto_archive=False)


def _victim(base_url: str, user: str, secret: str, path: str, stalled: object) -> None:
    """Run once and freeze after ``STALL_AFTER`` acknowledgements, until killed."""

    def progress(event: ProgressEvent) -> None:
        if event.step == "push order status" and event.done >= STALL_AFTER:
            stalled.set()  # type: ignore[attr-defined]
            time.sleep(600)

    client = JetClient(user=user, secret=secret, base_url=base_url, rate_limit=None)
    with client, SQLiteStorage(path) as storage:
        Integration(client, storage, settings=_settings(), progress=progress).run_once()


def _helper(step: str, base_url: str, user: str, secret: str, path: str) -> None:
    """Repeat ``step`` until every order is stored and every push is done."""
    client = JetClient(user=user, secret=secret, base_url=base_url, rate_limit=None)
    with client, SQLiteStorage(path) as storage:
        integration = Integration(client, storage, settings=_settings())
        for _ in range(200):
            if step == "run_once":
                integration.run_once()
            else:
                integration.import_orders()
                integration.flush_pushes()
            pushes = storage.pushes()
            if (
                len(storage.list_orders()) == ORDERS
                and len(pushes) == ORDERS
                and all(p.status.value == "done" for p in pushes)
            ):
                return
            time.sleep(0.25)
    sys.exit(3)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_worker_killed_mid_run_is_taken_over_and_each_order_is_acknowledged_once(
    tmp_path: Path,
) -> None:
    sandbox = JetSandbox(seed=21)
    ids = sandbox.generate_orders(ORDERS)
    path = str(tmp_path / "shared.sqlite")
    SQLiteStorage(path).close()
    context = multiprocessing.get_context("spawn")
    stalled = context.Event()
    with sandbox.serve() as base_url:
        auth = (base_url, sandbox.user, sandbox.secret, path)
        victim = context.Process(target=_victim, args=(*auth, stalled))
        victim.start()
        assert stalled.wait(timeout=120), "the first worker never reached its acknowledgements"
        helpers = [
            context.Process(target=_helper, args=(step, *auth))
            for step in ("run_once", "import_and_flush")
        ]
        for helper in helpers:
            helper.start()
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(timeout=60)
        for helper in helpers:
            helper.join(timeout=180)
        exits = [victim.exitcode, *(h.exitcode for h in helpers)]
    assert exits == [-signal.SIGKILL, 0, 0], exits

    log = sandbox.requests
    applied = Counter(
        r.path.split("/")[2] for r in log if r.kind == "acknowledge" and r.status == 204
    )
    with SQLiteStorage(path) as storage:
        stored = [o.channel_order_id for o in storage.list_orders()]
    before_kill = STALL_AFTER
    record(
        "killed_worker",
        orders=ORDERS,
        workers=3,
        killed=1,
        acknowledged_before_the_kill_at_least=before_kill,
        lost=len(set(ids) - set(stored)),
        duplicated=len(stored) - len(set(stored)),
        acknowledged_twice=sum(1 for n in applied.values() if n > 1),
    )
    assert sorted(stored) == sorted(ids), "each order stored once"
    assert applied == dict.fromkeys(ids, 1), "each order acknowledged once"
    assert [r for r in log if r.kind == "acknowledge" and r.status not in (204, None)] == []
