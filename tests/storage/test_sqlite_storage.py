"""SQLiteStorage passes the storage kit, survives crashes and shares a file across processes."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import jet_orderhive.storage.sqlite as sqlite_module
from jet_orderhive.orderhive import Customer
from jet_orderhive.storage import (
    OrderKey,
    OrderSides,
    OrderSnapshot,
    PushStatus,
    SQLiteStorage,
    StorageBusyError,
    StorageError,
    UnsupportedSchemaError,
    UpsertResult,
)
from jet_orderhive.storage._common import order_json
from jet_orderhive.storage._migrations import SCHEMA_VERSION
from jet_orderhive.testing.storage_kit import (
    FakeClock,
    StorageContract,
    make_customer,
    make_sales_order,
)


class TestSQLiteStorage(StorageContract):
    @pytest.fixture
    def storage(self, clock: FakeClock, tmp_path: Path) -> Iterator[SQLiteStorage]:
        with SQLiteStorage(tmp_path / "store.db", clock=clock) as storage:
            yield storage

    @pytest.fixture
    def other_connection(
        self, storage: SQLiteStorage, clock: FakeClock, tmp_path: Path
    ) -> Iterator[SQLiteStorage]:
        with SQLiteStorage(tmp_path / "store.db", clock=clock) as other:
            yield other


# -- helpers for child processes -----------------------------------------------------------------

_CHILD_PRELUDE = """
import json, sys, time
from jet_orderhive.storage import SQLiteStorage
from jet_orderhive.testing.storage_kit import make_sales_order
path = sys.argv[1]
def say(message):
    sys.stdout.write(message + "\\n")
    sys.stdout.flush()
"""


_SPAWNED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _reap_children() -> Iterator[None]:
    """Every child a test spawned is ended and its pipes closed, whatever the test did."""
    yield
    while _SPAWNED:
        proc = _SPAWNED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def _spawn(body: str, *args: str) -> subprocess.Popen[str]:
    script = _CHILD_PRELUDE + textwrap.dedent(body)
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _SPAWNED.append(proc)
    return proc


def _read_line(proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            proc.kill()
            raise AssertionError(f"child said nothing within {timeout}s")
    line = proc.stdout.readline().strip()
    if not line:
        proc.wait(timeout)
        assert proc.stderr is not None
        raise AssertionError(f"child exited early: {proc.stderr.read()}")
    return line


def _order_id(number: int) -> str:
    return f"{number:032x}"


# -- crash safety --------------------------------------------------------------------------------


def test_sigkill_inside_a_unit_of_work_leaves_none_of_it(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SQLiteStorage(path).close()
    child = _spawn(
        """
        storage = SQLiteStorage(path)
        with storage.transaction():
            for n in range(300):
                storage.upsert_order(make_sales_order(f"{n:032x}"))
            storage.set_state("cursor", "after-300")
            say("ready")
            time.sleep(60)
        """,
        str(path),
    )
    assert _read_line(child) == "ready"
    child.send_signal(signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL

    with SQLiteStorage(path, max_lock_wait=5) as storage:
        assert storage.list_orders() == []
        assert storage.get_state("cursor") is None
        # The dead writer's lock went with it: the file takes writes at once.
        assert storage.upsert_order(make_sales_order()) is UpsertResult.CREATED
        (check,) = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()
        assert check == "ok"


def test_sigkill_between_or_during_commits_keeps_whole_units(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SQLiteStorage(path).close()
    child = _spawn(
        """
        storage = SQLiteStorage(path)
        unit = 0
        while True:
            with storage.transaction():
                for n in range(40):
                    storage.upsert_order(make_sales_order(f"{unit * 40 + n:032x}"))
                storage.set_state("units", str(unit + 1))
            unit += 1
            if unit == 3:
                say("committing")
        """,
        str(path),
    )
    assert _read_line(child) == "committing"
    child.send_signal(signal.SIGKILL)
    child.wait(10)

    with SQLiteStorage(path) as storage:
        units = int(storage.get_state("units") or "0")
        orders = storage.list_orders()
    assert units >= 3
    assert len(orders) == units * 40
    assert [o.channel_order_id for o in orders] == [_order_id(n) for n in range(units * 40)]


# -- several processes on one file ---------------------------------------------------------------


def test_two_processes_upserting_the_same_500_orders_end_with_500(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    body = """
        storage = SQLiteStorage(path)
        say("ready")
        sys.stdin.readline()
        results = {}
        for n in range(500):
            result = storage.upsert_order(make_sales_order(f"{n:032x}")).value
            results[result] = results.get(result, 0) + 1
        storage.close()
        say(json.dumps(results))
        """
    children = [_spawn(body, str(path)) for _ in range(2)]
    for child in children:
        assert _read_line(child) == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    counts = [json.loads(_read_line(child)) for child in children]
    for child in children:
        assert child.wait(30) == 0
    assert sum(c.get("created", 0) for c in counts) == 500
    assert sum(c.get("unchanged", 0) for c in counts) == 500
    assert all("updated" not in c for c in counts)
    with SQLiteStorage(path) as storage:
        assert len(storage.list_orders()) == 500


# -- schema and lifecycle ------------------------------------------------------------------------


def test_new_file_gets_the_current_schema_version_once(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStorage(path) as storage:
        storage.set_state("kept", "yes")
    with SQLiteStorage(path) as storage:
        assert storage.get_state("kept") == "yes"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SQLiteStorage(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(UnsupportedSchemaError, match="upgrade jet_orderhive"):
        SQLiteStorage(path)


def test_in_memory_database_is_refused() -> None:
    with pytest.raises(ValueError, match="MemoryStorage"):
        SQLiteStorage(":memory:")


def test_closed_storage_refuses_use_from_any_thread(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "store.db")
    storage.close()
    with pytest.raises(StorageError, match="closed"):
        storage.set_state("k", "v")


def _open_handles(path: Path) -> int:
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("counting open files needs /proc")
    target = str(path.resolve())
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd) == target
    return count


def test_a_finished_thread_leaves_no_connection_open(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStorage(path) as storage:
        storage.set_state("k", "v")
        before = _open_handles(path)
        for n in range(20):
            worker = threading.Thread(target=storage.set_state, args=(f"k{n}", "v"))
            worker.start()
            worker.join()
        gc.collect()
        # SQLite parks one closed handle for reuse while another connection of this process
        # holds a lock on the file; without closing, every finished thread would leave one.
        assert _open_handles(path) <= before + 1
        assert storage.get_state("k19") == "v"
    assert _open_handles(path) == 0


def test_order_columns_are_indexed_for_the_engines_queries(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SQLiteStorage(path) as storage:
        storage.upsert_order(make_sales_order(channel_status="inprogress"))
    row = (
        sqlite3.connect(path).execute("SELECT channel_status, order_status FROM orders").fetchone()
    )
    assert row == ("inprogress", "CONFIRM")


def _order_indexes(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name FROM pragma_index_list('orders')").fetchall()
    return {name for (name,) in rows}


def test_orders_keep_only_the_indexes_a_query_reads(tmp_path: Path) -> None:
    # The primary key (every read by id, list_orders' pages) and the covering status index
    # (order_keys); each more index is one more page to write and sync per stored order.
    from jet_orderhive.storage._migrations import MIGRATIONS

    wanted = {"sqlite_autoindex_orders_1", "orders_by_channel_status"}
    SQLiteStorage(tmp_path / "new.db").close()
    assert _order_indexes(tmp_path / "new.db") == wanted
    path = tmp_path / "v3.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in (*MIGRATIONS[0], *MIGRATIONS[1], *MIGRATIONS[2]):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
    assert "orders_by_updated_at" in _order_indexes(path)
    with SQLiteStorage(path) as storage:
        storage.upsert_order(make_sales_order())
        assert storage.list_orders() == [make_sales_order()]
    assert _order_indexes(path) == wanted


def _statements(storage: SQLiteStorage) -> list[str]:
    """Every statement the calling thread's connection runs from now on, by its first words."""
    seen: list[str] = []
    storage._conn().set_trace_callback(lambda sql: seen.append(" ".join(sql.split()[:3])))
    return seen


def test_a_new_order_is_stored_by_one_statement_and_read_back_only_when_known(
    tmp_path: Path,
) -> None:
    with SQLiteStorage(tmp_path / "store.db") as storage:
        seen = _statements(storage)
        with storage.transaction():
            storage.upsert_order(make_sales_order(), snapshot=OrderSnapshot(status="ready"))
        assert seen == ["BEGIN IMMEDIATE", "INSERT INTO orders", "COMMIT"]
        seen.clear()
        with storage.transaction():
            assert storage.upsert_order(make_sales_order()) is UpsertResult.UNCHANGED
            assert storage.upsert_order(make_sales_order(channel_status="complete")) is (
                UpsertResult.UPDATED
            )
        assert seen == [
            "BEGIN IMMEDIATE",
            *("INSERT INTO orders", "SELECT body, snapshot,"),
            *("INSERT INTO orders", "SELECT body, snapshot,", "UPDATE orders SET"),
            "COMMIT",
        ]
        assert storage.get_order_sides(make_sales_order().channel_order_id) == OrderSides(
            snapshot=OrderSnapshot(status="ready")
        )
        assert storage.order_keys() == {
            make_sales_order().channel_order_id: OrderKey("complete", False)
        }


def test_a_customer_stored_as_given_is_not_decoded_to_be_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SQLiteStorage(tmp_path / "store.db") as storage:
        storage.upsert_customer(make_customer())
        decoded: list[str] = []
        decode = sqlite_module._customer

        def counting(body: str) -> Customer:
            decoded.append(body)
            return decode(body)

        monkeypatch.setattr(sqlite_module, "_customer", counting)
        assert storage.upsert_customer(make_customer("  JANE.DOE@example.com")) is (
            UpsertResult.UNCHANGED
        )
        assert decoded == []
        assert storage.upsert_customer(make_customer(phone="201-555-0199")) is (
            UpsertResult.UPDATED
        )
        assert len(decoded) == 1
        stored = storage.get_customer("jane.doe@example.com")
        assert stored is not None
        assert stored.phone == "201-555-0199"


# -- waiting for a locked database ---------------------------------------------------------------


class _FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> _FakeTime:
    fake = _FakeTime()
    monkeypatch.setattr(sqlite_module, "_monotonic", fake.monotonic)
    monkeypatch.setattr(sqlite_module, "_sleep", fake.sleep)
    return fake


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_locked_database_is_retried_until_the_bounded_wait_ends(
    tmp_path: Path, fake_time: _FakeTime
) -> None:
    path = tmp_path / "store.db"
    with SQLiteStorage(path, busy_timeout=0, max_lock_wait=2.0) as storage:
        other = _hold_write_lock(path)
        with pytest.raises(StorageBusyError, match="locked by another writer") as caught:
            storage.set_state("k", "v")
        other.rollback()
        assert str(path) in str(caught.value)
        assert fake_time.now >= 2.0
        assert len(fake_time.sleeps) > 3
        assert max(fake_time.sleeps) <= 0.5
        storage.set_state("k", "v")
        assert storage.get_state("k") == "v"


def test_write_goes_through_once_the_other_writer_lets_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_time: _FakeTime
) -> None:
    path = tmp_path / "store.db"
    with SQLiteStorage(path, busy_timeout=0, max_lock_wait=30.0) as storage:
        other = _hold_write_lock(path)

        def release_on_third_wait(seconds: float) -> None:
            fake_time.sleep(seconds)
            if len(fake_time.sleeps) == 3:
                other.execute("COMMIT")

        monkeypatch.setattr(sqlite_module, "_sleep", release_on_third_wait)
        storage.set_state("k", "v")
        assert storage.get_state("k") == "v"
        assert len(fake_time.sleeps) == 3


def test_a_database_written_by_release_0_1_is_migrated_into_its_account(tmp_path: Path) -> None:
    # Written by the 0.1.0.dev0 engine for account "shop-a": three imported and acknowledged
    # orders, a stock push, a linked SKU, a quarantined order, a ship push left in flight
    # (its "outbox:inflight" key set) and a held run_once lease.
    path = tmp_path / "old.sqlite"
    shutil.copyfile(Path(__file__).parent / "data" / "schema-v1.sqlite", path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    clock = FakeClock(datetime(2026, 1, 10, 12, 1, tzinfo=UTC))
    with SQLiteStorage(path, clock=clock) as storage:
        assert storage.list_orders() == []
        orders = storage.list_orders(account="shop-a")
        assert len(orders) == 3
        assert {o.channel_status for o in orders} == {"acknowledged"}
        assert len(storage.list_customers(account="shop-a")) == 3
        acks = [e for e in storage.pushes(account="shop-a") if e.kind == "acknowledge"]
        assert len(acks) == 3
        assert all(e.status is PushStatus.DONE for e in acks)
        in_flight = storage.get_push("ship:x:S-1", account="shop-a")
        assert in_flight is not None
        assert in_flight.may_have_been_sent
        assert storage.get_state("outbox:inflight:ship:x:S-1", account="shop-a") is None
        assert storage.get_state("import:window_start", account="shop-a") is not None
        assert storage.get_state("shop-a:import:window_start", account="shop-a") is None
        assert storage.get_linked_sku("SKU-OLD", account="shop-a") is not None
        assert storage.quarantined(account="shop-a")[0].payload == b"{\xff"
        assert storage.pushed_stock_many(
            [("SKU-OLD", "5e3c9f4e0b7a4e1c9d0a1b2c3d4e5f60")], account="shop-a"
        ) == {("SKU-OLD", "5e3c9f4e0b7a4e1c9d0a1b2c3d4e5f60"): 4}
        lease = timedelta(minutes=1)
        assert not storage.acquire_lease("run_once", "new-worker", lease, account="shop-a")
        assert storage.acquire_lease("run_once", "old-worker", lease, account="shop-a")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_a_schema_2_database_gets_order_sides_and_its_id_lists_move_onto_the_rows(
    tmp_path: Path,
) -> None:
    # Schema 2 kept the orders last listed as cancelled, the refresh list and each order's
    # returns as sync-state keys; schema 3 keeps them on the order rows (or re-reads them).
    from jet_orderhive.storage._migrations import MIGRATIONS

    path = tmp_path / "v2.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        for order_id, status in (("o1", "acknowledged"), ("o2", "inprogress")):
            order = make_sales_order(order_id, channel_status=status)
            conn.execute(
                "INSERT INTO orders (account, channel_order_id, channel_status, order_status,"
                " body, updated_at) VALUES ('shop', ?, ?, ?, ?, '2026-01-01T00:00:00.000000Z')",
                (order_id, status, order.order_status.value, order_json(order)),
            )
        conn.executemany(
            "INSERT INTO sync_state VALUES ('shop', ?, ?)",
            [
                ("import:listed_cancelled", '["o2"]'),
                ("import:refresh", '["o1"]'),
                ("returns:o1", '{"R1": {"item": 1}}'),
                ("import:window_start", "2026-01-01T00:00:00+00:00"),
            ],
        )
        conn.commit()
    with SQLiteStorage(path) as storage:
        assert storage.order_keys(account="shop") == {
            "o1": OrderKey("acknowledged", False),
            "o2": OrderKey("inprogress", True),
        }
        assert storage.get_order_sides("o1", account="shop") == OrderSides()
        for gone in ("import:listed_cancelled", "import:refresh", "returns:o1"):
            assert storage.get_state(gone, account="shop") is None
        assert storage.get_state("import:window_start", account="shop") is not None
        order = storage.get_order("o2", account="shop")
        assert order is not None
        assert order.channel_status == "inprogress"


def _v1_file(path: Path, state: dict[str, str], leases: list[str]) -> None:
    """A schema-1 file holding what the 0.1 engine wrote: unscoped rows, prefixed keys."""
    from jet_orderhive.storage._migrations import MIGRATIONS

    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.executemany("INSERT INTO sync_state VALUES (?, ?)", list(state.items()))
        conn.executemany(
            "INSERT INTO leases VALUES (?, 'w1', '2999-01-01T00:00:00.000000Z')",
            [(name,) for name in leases],
        )
        conn.execute(
            "INSERT INTO outbox (key, kind, target, payload, status, next_attempt_at,"
            " created_at, updated_at) VALUES ('ack:o1', 'acknowledge', 'o1', '{}', 'pending',"
            " '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z',"
            " '2026-01-01T00:00:00.000000Z')"
        )
        conn.commit()


def test_migration_keeps_an_account_name_with_a_colon_and_the_hosts_own_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.sqlite"
    _v1_file(
        path,
        {
            "shop:us:import:window_start": "2026-11-01T00:00:00+00:00",
            "shop:us:outbox:inflight:ack:o1": "2026-11-30T00:00:00+00:00",
            "cron:last-export": "yesterday",
        },
        ["shop:us:run_once", "cron:nightly"],
    )
    with SQLiteStorage(path) as storage:
        assert storage.get_state("import:window_start", account="shop:us") is not None
        assert [e.key for e in storage.pushes(account="shop:us")] == ["ack:o1"]
        entry = storage.get_push("ack:o1", account="shop:us")
        assert entry is not None
        assert entry.may_have_been_sent
        # The host's own keys were never an account's: they stay whole, beside the records.
        assert storage.get_state("cron:last-export", account="shop:us") == "yesterday"
        assert not storage.acquire_lease("cron:nightly", "w2", timedelta(1), account="shop:us")
        assert not storage.acquire_lease("run_once", "w2", timedelta(1), account="shop:us")
        assert storage.pushes(account="shop") == []
        assert storage.pushes(account="cron") == []


@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC))
    | st.datetimes(min_value=datetime(1000, 1, 2)).map(
        lambda naive: naive.replace(tzinfo=timezone(timedelta(hours=-5)))
    )
)
def test_a_stored_time_reads_back_as_the_strict_format_reads_it(moment: datetime) -> None:
    text = sqlite_module._time_text(moment)
    strict = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    read = sqlite_module._time_value(text)
    assert read == strict == moment
    assert read.tzinfo is UTC
