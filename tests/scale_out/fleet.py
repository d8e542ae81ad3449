"""Worker processes syncing many accounts over one shared storage, as a host would run them.

Each worker loops over every account in its own random order, calling ``run_once()`` for each,
until the test tells it to stop (after at least one full pass). The storage is named by a spec
string so a spawned process can open its own: ``sqlite:PATH`` or ``postgresql:CONNINFO``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import attrs

from jet_orderhive.jet.client import JetClient
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.progress import ProgressEvent
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.testing.sandbox import JetSandbox


def open_storage(spec: str) -> Storage:
    """Open the storage a spec names; every process opens its own."""
    kind, _, where = spec.partition(":")
    if kind == "sqlite":
        return SQLiteStorage(where)
    if kind == "postgresql":
        from jet_orderhive.storage.postgres import PostgresStorage

        return PostgresStorage(where)
    raise ValueError(f"unknown storage spec {spec!r}")


@attrs.frozen
class Account:
    """One merchant account: its name in storage and where its (served) sandbox answers."""

    name: str
    base_url: str
    user: str
    secret: str = attrs.field(repr=False)


@attrs.frozen
class WorkerPlan:
    """What one worker process does; picklable, so it crosses to a spawned process."""

    accounts: tuple[Account, ...]
    storage: str
    seed: int
    #: Short, so a dead worker's accounts are taken over within the test, yet longer than one
    #: batch of acknowledgements takes on a loaded machine (the lease is renewed between them).
    lease_ttl: float = 8.0
    claim_ttl: float = 8.0
    #: Kill this process with SIGKILL at this many "push order status" progress events.
    die_at: int | None = None
    #: Seconds between passes over the accounts.
    pause: float = 0.2


def worker_main(plan: WorkerPlan, ready: Any, start: Any, stop: Any) -> None:
    """Wait for the start, then sync every account in a random order, pass after pass."""
    rng = random.Random(plan.seed)
    pushed = 0

    def progress(event: ProgressEvent) -> None:
        nonlocal pushed
        if event.step == "push order status":
            pushed += 1
            # Ticks come as the batch is recorded: Jet has the acks, storage not all of them.
            if plan.die_at is not None and pushed >= plan.die_at:
                os.kill(os.getpid(), signal.SIGKILL)

    storage = open_storage(plan.storage)
    try:
        ready.release()
        start.wait(timeout=60)
        while True:
            for account in rng.sample(plan.accounts, len(plan.accounts)):
                settings = IntegrationSettings(
                    account=account.name,
                    lease_ttl=timedelta(seconds=plan.lease_ttl),
                    claim_ttl=timedelta(seconds=plan.claim_ttl),
                    push_retry_delay=timedelta(seconds=1),
                )
                client = JetClient(
                    user=account.user,
                    secret=account.secret,
                    base_url=account.base_url,
                    rate_limit=None,
                )
                with client:
                    Integration(client, storage, settings=settings, progress=progress).run_once()
            if stop.wait(timeout=plan.pause):
                return
    finally:
        close = getattr(storage, "close", None)
        if close is not None:
            close()


@contextlib.contextmanager
def served(sandboxes: Sequence[JetSandbox]) -> Iterator[tuple[Account, ...]]:
    """Serve every sandbox on loopback; yield one account per sandbox (``acct-0``, ...)."""
    with contextlib.ExitStack() as stack:
        accounts = tuple(
            Account(f"acct-{index}", stack.enter_context(s.serve()), s.user, s.secret)
            for index, s in enumerate(sandboxes)
        )
        yield accounts


def all_done(storage: Storage, accounts: Sequence[Account], orders: int) -> bool:
    """Every account holds ``orders`` orders and has no push left to send."""
    for account in accounts:
        if len(storage.list_orders(account=account.name)) != orders:
            return False
        if any(e.status.value != "done" for e in storage.pushes(account=account.name)):
            return False
    return True


def run_fleet(
    plans: Sequence[WorkerPlan],
    accounts: Sequence[Account],
    orders: int,
    *,
    timeout: float = 60.0,
) -> tuple[list[int | None], float]:
    """Start one process per plan, let them go at once, stop them when all is done.

    Returns the exit codes and the seconds from the start signal until every order of every
    account was stored and acknowledged (the processes' own start-up not counted).
    """
    context = multiprocessing.get_context("spawn")
    ready, start, stop = context.Semaphore(0), context.Event(), context.Event()
    processes = [context.Process(target=worker_main, args=(p, ready, start, stop)) for p in plans]
    for process in processes:
        process.start()
    watcher = open_storage(plans[0].storage)
    try:
        for _ in processes:
            if not ready.acquire(timeout=60):
                break
        started = time.monotonic()
        start.set()
        deadline = started + timeout
        while not all_done(watcher, accounts, orders):
            if time.monotonic() > deadline:
                break
            if all(p.exitcode is not None for p in processes):
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        close = getattr(watcher, "close", None)
        if close is not None:
            close()
    return [p.exitcode for p in processes], elapsed


def acknowledgements(sandbox: JetSandbox) -> tuple[Counter[str], list[int | None]]:
    """Acknowledgements Jet accepted, per order id, and the statuses of those it did not."""
    acks = [r for r in sandbox.requests if r.kind == "acknowledge"]
    accepted = Counter(r.path.split("/")[2] for r in acks if r.status == 204)
    return accepted, [r.status for r in acks if r.status != 204]
