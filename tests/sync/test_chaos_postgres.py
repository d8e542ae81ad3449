"""The seeded chaos runs give the same outcome on SQLiteStorage and on PostgresStorage.

Each seed runs the scenario of ``test_chaos.py`` (faults, throttling, dropped connections,
crashes at storage calls, restarts over the same database) once per adapter, from the same clock
start. Both runs must keep every guarantee, send Jet the same requests in the same order, and
leave the same records behind: orders, customers, the whole outbox, quarantine and linked SKUs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import T0, Clock
from test_chaos import ROUNDS, Account

from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.sqlite import SQLiteStorage
from postgres_server import PostgresServer

#: A few seeds keep the suite quick; each one crashes and restarts at different storage calls.
SEEDS = (0, 3, 11)


def _run(seed: int, open_storage: Callable[[Clock], Storage]) -> tuple[Any, ...]:
    clock = Clock(T0)
    opened: list[Storage] = [open_storage(clock)]

    def reopen() -> Any:
        # A restart is a new process: the old one's connections are gone with it.
        closing = opened[-1]
        if not isinstance(closing, SQLiteStorage):  # the Account closes SQLite itself
            closing.close()  # type: ignore[attr-defined]
        opened.append(open_storage(clock))
        return opened[-1]

    account = Account(seed, opened[0], clock, reopen)
    try:
        account.seed_orders()
        for index in range(ROUNDS):
            account.round(index)
        account.settle()
        account.check()
        return _outcome(account)
    finally:
        account.close()
        if not isinstance(opened[-1], SQLiteStorage):
            opened[-1].close()  # type: ignore[attr-defined]


def _outcome(account: Account) -> tuple[Any, ...]:
    storage = account.storage
    return (
        [(r.kind, r.method, r.path, r.status, r.fault) for r in account.sandbox.requests],
        [order.to_dict() for order in storage.list_orders()],
        [customer.to_dict() for customer in storage.list_customers()],
        storage.pushes(),
        storage.quarantined(),
        storage.linked_skus(),
        account.log,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_sqlite_and_postgres_end_the_same_seeded_chaos_run_alike(
    seed: int, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    from jet_orderhive.storage.postgres import PostgresStorage

    path = tmp_path / "chaos.db"
    database = postgres_server.create_database()
    try:
        on_sqlite = _run(seed, lambda clock: SQLiteStorage(path, clock=clock))
        conninfo = postgres_server.conninfo(database)
        on_postgres = _run(seed, lambda clock: PostgresStorage(conninfo, clock=clock))
    finally:
        postgres_server.drop_database(database)
    names = ("requests", "orders", "customers", "outbox", "quarantine", "linked SKUs", "steps")
    assert on_sqlite[0], "the run sent Jet nothing, so it compared nothing"
    for name, sqlite_part, postgres_part in zip(names, on_sqlite, on_postgres, strict=True):
        assert postgres_part == sqlite_part, f"seed {seed}: {name} differ"
