"""PostgresStorage passes the storage kit on a real server, on its own connections and on a pool.

Beyond the kit: migrations under processes opening one database at once, secrets kept out of
reprs, logs and errors, lock waits and deadlocks turned into storage errors, connections that
end with their thread, a killed connection replaced, and the core package importing without
psycopg.
"""

from __future__ import annotations

import gc
import json
import logging
import selectors
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

import jet_orderhive.storage.postgres as postgres_module
from jet_orderhive.storage import (
    OrderIntent,
    OrderKey,
    OrderSides,
    OrderSnapshot,
    StorageBusyError,
    StorageError,
    TransactionAborted,
    UnsupportedSchemaError,
    UpsertResult,
)
from jet_orderhive.storage._postgres_migrations import SCHEMA_VERSION
from jet_orderhive.storage.postgres import PostgresStorage
from jet_orderhive.testing.storage_kit import FakeClock, StorageContract, make_sales_order
from postgres_server import PostgresServer


@pytest.fixture(scope="module")
def kit_database(postgres_server: PostgresServer) -> Iterator[str]:
    """One database for the kit's many tests: emptying it is far cheaper than creating one."""
    name = postgres_server.create_database()
    yield name
    postgres_server.drop_database(name)


@pytest.fixture
def kit_conninfo(postgres_server: PostgresServer, kit_database: str) -> str:
    """The kit's database with every storage table emptied: a fresh, empty storage."""
    postgres_server.empty_schema(kit_database, "jet_orderhive")
    return postgres_server.conninfo(kit_database)


class TestPostgresStorage(StorageContract):
    @pytest.fixture
    def storage(self, clock: FakeClock, kit_conninfo: str) -> Iterator[PostgresStorage]:
        with PostgresStorage(kit_conninfo, clock=clock) as storage:
            yield storage

    @pytest.fixture
    def other_connection(
        self, storage: PostgresStorage, clock: FakeClock, kit_conninfo: str
    ) -> Iterator[PostgresStorage]:
        with PostgresStorage(kit_conninfo, clock=clock) as other:
            yield other


class TestPostgresStorageOnAPool(StorageContract):
    """The same promises when every unit borrows its connection from the host's pool.

    The pool hands out connections as a host may have set them up: not in autocommit, and
    yielding dicts, so the storage must not rely on either.
    """

    @pytest.fixture
    def storage(self, clock: FakeClock, kit_conninfo: str) -> Iterator[PostgresStorage]:
        with (
            ConnectionPool(
                kit_conninfo,
                min_size=1,
                max_size=8,
                kwargs={"row_factory": dict_row},
                open=True,
            ) as pool,
            PostgresStorage(pool, clock=clock) as storage,
        ):
            yield storage
            assert not pool.closed, "closing the storage must leave the host's pool open"

    @pytest.fixture
    def other_connection(
        self, storage: PostgresStorage, clock: FakeClock, kit_conninfo: str
    ) -> Iterator[PostgresStorage]:
        with PostgresStorage(kit_conninfo, clock=clock) as other:
            yield other


# On a pool only the promises that depend on how connections are had run again: units of work,
# threads, claims and leases; the rest runs the same SQL as above.
_ON_A_POOL = ("transaction", "unit", "nested", "rollback", "thread", "claim", "lease", "commit")
for _name in dir(StorageContract):
    if _name.startswith("test_") and not any(word in _name for word in _ON_A_POOL):
        setattr(TestPostgresStorageOnAPool, _name, None)  # pytest collects no test there


def _connections_to(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


# -- connections -----------------------------------------------------------------------------


def test_a_connection_factory_is_called_once_per_thread_and_its_connections_closed(
    postgres_conninfo: str,
) -> None:
    made: list[psycopg.Connection[Any]] = []

    def factory() -> psycopg.Connection[Any]:
        conn = psycopg.connect(postgres_conninfo)  # not autocommit: the storage copes
        made.append(conn)
        return conn

    with PostgresStorage(factory) as storage:
        storage.set_state("k", "main")
        worker = threading.Thread(target=storage.set_state, args=("k", "thread"))
        worker.start()
        worker.join()
        assert storage.get_state("k") == "thread"
        assert len(made) == 2
    assert all(conn.closed for conn in made)


def test_a_factory_returning_something_else_is_refused(postgres_conninfo: str) -> None:
    with pytest.raises(TypeError, match=r"psycopg\.Connection"):
        PostgresStorage(lambda: object())  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="connection string"):
        PostgresStorage(42)  # type: ignore[arg-type]


def test_a_finished_thread_leaves_no_connection_open(postgres_conninfo: str) -> None:
    with PostgresStorage(postgres_conninfo) as storage:
        storage.set_state("k", "v")
        for n in range(10):
            worker = threading.Thread(target=storage.set_state, args=(f"k{n}", "v"))
            worker.start()
            worker.join()
        gc.collect()
        assert _connections_to(postgres_conninfo) == 1
        assert storage.get_state("k9") == "v"
    assert _connections_to(postgres_conninfo) == 0


def test_closed_storage_refuses_use(postgres_conninfo: str) -> None:
    storage = PostgresStorage(postgres_conninfo)
    storage.close()
    with pytest.raises(StorageError, match="closed"):
        storage.set_state("k", "v")


def test_a_killed_connection_fails_one_call_and_the_next_one_reconnects(
    postgres_conninfo: str,
) -> None:
    with PostgresStorage(postgres_conninfo) as storage:
        storage.set_state("k", "before")
        with psycopg.connect(postgres_conninfo, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        with pytest.raises(StorageError, match="connection"):
            storage.set_state("k", "lost")
        storage.set_state("k", "after")
        assert storage.get_state("k") == "after"


def test_a_pool_lends_a_connection_per_unit_and_gets_it_back(postgres_conninfo: str) -> None:
    with ConnectionPool(postgres_conninfo, min_size=1, max_size=1, open=True) as pool:
        storage = PostgresStorage(pool, pool_timeout=0.5)
        with storage.transaction():
            storage.set_state("k", "v")
            # The one connection is lent to the open unit, so another thread finds none free.
            outcome: list[BaseException] = []
            waiting = threading.Thread(
                target=lambda: _capture(outcome, lambda: storage.get_state("k"))
            )
            waiting.start()
            waiting.join()
            assert len(outcome) == 1
            assert isinstance(outcome[0], StorageBusyError)
            assert "pool" in str(outcome[0])
        assert pool.get_stats()["pool_available"] == 1
        assert storage.get_state("k") == "v"
        storage.close()
        assert not pool.closed


def _capture(into: list[BaseException], action: Any) -> None:
    try:
        action()
    except BaseException as exc:  # handed to the main thread
        into.append(exc)


# -- schema ----------------------------------------------------------------------------------


_CHILD = """
import sys
from jet_orderhive.storage.postgres import PostgresStorage
conninfo = sys.argv[1]
sys.stdout.write("ready\\n")
sys.stdout.flush()
sys.stdin.readline()
with PostgresStorage(conninfo) as storage:
    storage.set_state(sys.argv[2], "opened")
sys.stdout.write("done\\n")
sys.stdout.flush()
"""


def _read_line(proc: subprocess.Popen[str], timeout: float = 60.0) -> str:
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


def test_processes_opening_a_new_database_at_once_migrate_it_once(
    postgres_conninfo: str,
) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, postgres_conninfo, f"child-{n}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    try:
        for child in children:
            assert _read_line(child) == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            assert _read_line(child) == "done"
            assert child.wait(30) == 0
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.communicate(timeout=30)
    with PostgresStorage(postgres_conninfo) as storage:
        assert [storage.get_state(f"child-{n}") for n in range(3)] == ["opened"] * 3
    with psycopg.connect(postgres_conninfo) as conn:
        rows = conn.execute("SELECT version FROM jet_orderhive.schema_version").fetchall()
    assert rows == [(SCHEMA_VERSION,)]


def test_a_database_from_a_newer_release_is_refused(postgres_conninfo: str) -> None:
    PostgresStorage(postgres_conninfo).close()
    with psycopg.connect(postgres_conninfo) as conn:
        conn.execute("UPDATE jet_orderhive.schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(UnsupportedSchemaError, match="upgrade jet_orderhive"):
        PostgresStorage(postgres_conninfo)


def test_orders_keep_only_the_indexes_a_query_reads(postgres_conninfo: str) -> None:
    def indexes() -> set[str]:
        with psycopg.connect(postgres_conninfo) as conn:
            rows = conn.execute(
                "SELECT indexname FROM pg_indexes"
                " WHERE schemaname = 'jet_orderhive' AND tablename = 'orders'"
            ).fetchall()
        return {name for (name,) in rows}

    PostgresStorage(postgres_conninfo).close()
    wanted = {"orders_pkey", "orders_by_channel_status"}
    assert indexes() == wanted
    # A database at schema 1 loses the two indexes no query read when it is opened.
    with psycopg.connect(postgres_conninfo) as conn:
        conn.execute("CREATE INDEX orders_by_order_status ON jet_orderhive.orders (order_status)")
        conn.execute("CREATE INDEX orders_by_updated_at ON jet_orderhive.orders (updated_at)")
        conn.execute("UPDATE jet_orderhive.schema_version SET version = 1")
    with PostgresStorage(postgres_conninfo) as storage:
        storage.upsert_order(make_sales_order())
    assert indexes() == wanted


def test_tables_live_in_their_own_schema_beside_the_hosts_tables(postgres_conninfo: str) -> None:
    with psycopg.connect(postgres_conninfo) as conn:
        conn.execute("CREATE TABLE public.orders (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO public.orders VALUES (1, 'the host''s own')")
    order = make_sales_order()
    with (
        PostgresStorage(postgres_conninfo) as one,
        PostgresStorage(postgres_conninfo, schema="shop_two") as two,
    ):
        assert one.upsert_order(order) is UpsertResult.CREATED
        assert two.get_order(order.channel_order_id) is None
        assert two.upsert_order(order) is UpsertResult.CREATED
    with psycopg.connect(postgres_conninfo) as conn:
        assert conn.execute("SELECT * FROM public.orders").fetchall() == [(1, "the host's own")]
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM jet_orderhive.orders),"
            " (SELECT count(*) FROM shop_two.orders)"
        ).fetchone()
    assert counts == (1, 1)


@pytest.mark.parametrize("schema", ["Shop", "shop; DROP TABLE x", "", "1shop"])
def test_a_schema_that_is_not_a_plain_sql_name_is_refused(
    schema: str, postgres_conninfo: str
) -> None:
    with pytest.raises(ValueError, match="schema"):
        PostgresStorage(postgres_conninfo, schema=schema)


# -- secrets ---------------------------------------------------------------------------------


def _everything_said(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


def test_the_password_never_shows_in_reprs_logs_or_errors(
    postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    password = postgres_server.password
    name = postgres_server.create_database()
    try:
        caplog.set_level(logging.DEBUG)
        tcp = postgres_server.conninfo(name, tcp=True)
        uri = f"postgresql://postgres:{password}@127.0.0.1:{postgres_server.port}/{name}"
        for conninfo in (tcp, uri):
            # The password is really needed here (TCP needs scram), so it really was used.
            with PostgresStorage(conninfo) as storage:
                storage.set_state("k", "v")
                assert password not in repr(storage)
                assert name in repr(storage)
        wrong = tcp.replace(password, password[::-1])
        with pytest.raises(StorageError, match="password authentication failed") as refused:
            PostgresStorage(wrong)
        assert password[::-1] not in _everything_said(refused.value)
        with pytest.raises(ValueError, match="not a valid") as malformed:
            PostgresStorage(f"host=127.0.0.1 password={password} dbname")
        assert password not in _everything_said(malformed.value)
        with pytest.raises(ValueError, match="not a valid") as bad_uri:
            # libpq quotes the token it cannot decode: here, the password itself.
            PostgresStorage(f"postgresql://postgres:{password}%zz@127.0.0.1/{name}")
        assert password not in _everything_said(bad_uri.value)
        assert caplog.records, "nothing was logged, so the log check checked nothing"
        assert all(password not in record.getMessage() for record in caplog.records)
    finally:
        postgres_server.drop_database(name)


# -- waits, conflicts and errors -------------------------------------------------------------


def test_a_row_held_past_the_lock_timeout_raises_storage_busy(postgres_conninfo: str) -> None:
    with PostgresStorage(postgres_conninfo, lock_timeout=0.2) as storage:
        storage.set_state("cursor", "1")
        with psycopg.connect(postgres_conninfo) as holder:
            holder.execute("SELECT * FROM jet_orderhive.sync_state FOR UPDATE")
            started = time.monotonic()
            with pytest.raises(StorageBusyError, match="lock_timeout"):
                storage.set_state("cursor", "2")
            assert time.monotonic() - started < 10
        storage.set_state("cursor", "3")
        assert storage.get_state("cursor") == "3"


def test_a_deadlocked_bulk_write_is_rerun_and_lands(
    postgres_conninfo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The storage's session waits first and checks for a deadlock after the default second,
    # while the other one waits 30 s: so the storage's unit is the one PostgreSQL cancels.
    reruns: list[float] = []
    monkeypatch.setattr(postgres_module, "_sleep", lambda seconds: reruns.append(seconds))
    with PostgresStorage(postgres_conninfo) as storage:
        storage.set_pushed_stock_many({("A", "n"): 1, ("B", "n"): 1})
        other = psycopg.connect(postgres_conninfo)
        try:
            other.execute("SET deadlock_timeout = '30s'")
            other.execute(
                "UPDATE jet_orderhive.pushed_stock SET quantity = 7 WHERE sku = 'B'"
            )  # holds B
            writer_failed: list[BaseException] = []
            writer = threading.Thread(
                target=lambda: _capture(
                    writer_failed,
                    lambda: storage.set_pushed_stock_many({("A", "n"): 5, ("B", "n"): 5}),
                )
            )
            writer.start()  # takes A, then waits for B
            _wait_for_a_lock_wait(postgres_conninfo)
            # Now `other` waits for A: a cycle, which the storage's session breaks.
            other.execute("UPDATE jet_orderhive.pushed_stock SET quantity = 7 WHERE sku = 'A'")
            other.commit()
            writer.join(30)
            assert writer_failed == []
        finally:
            other.close()
        assert reruns, "the deadlock never happened, so nothing was rerun"
        assert storage.pushed_stock_many([("A", "n"), ("B", "n")]) == {
            ("A", "n"): 5,
            ("B", "n"): 5,
        }


def _wait_for_a_lock_wait(conninfo: str) -> None:
    deadline = time.monotonic() + 20
    with psycopg.connect(conninfo, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            ).fetchone()
            if row is not None and row[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the bulk write never waited for the held row")


def test_a_deadlock_inside_the_hosts_unit_rolls_it_back_as_storage_busy(
    postgres_conninfo: str,
) -> None:
    with PostgresStorage(postgres_conninfo) as storage:
        storage.set_state("a", "0")
        storage.set_state("b", "0")
        other = psycopg.connect(postgres_conninfo)
        try:
            other.execute("SET deadlock_timeout = '30s'")
            other.execute("UPDATE jet_orderhive.sync_state SET value = 'x' WHERE key = 'b'")
            failed: list[BaseException] = []

            def unit() -> None:
                with storage.transaction():
                    storage.set_state("a", "1")
                    storage.set_state("b", "1")

            worker = threading.Thread(target=lambda: _capture(failed, unit))
            worker.start()
            _wait_for_a_lock_wait(postgres_conninfo)
            other.execute("UPDATE jet_orderhive.sync_state SET value = 'x' WHERE key = 'a'")
            other.commit()
            worker.join(30)
        finally:
            other.close()
        # A unit the host opened cannot be rerun by the storage: it fails whole.
        assert len(failed) == 1
        assert isinstance(failed[0], StorageBusyError)
        assert (storage.get_state("a"), storage.get_state("b")) == ("x", "x")


def test_a_swallowed_database_error_still_aborts_the_unit(postgres_conninfo: str) -> None:
    with PostgresStorage(postgres_conninfo) as storage:

        def unit() -> None:
            with storage.transaction():
                storage.set_state("kept", "no")
                with pytest.raises(StorageError, match="out of range"):
                    storage.set_pushed_stock_many({("SKU", "n"): 2**70})  # past bigint

        with pytest.raises(TransactionAborted):
            unit()
        assert storage.get_state("kept") is None


def test_the_clock_not_the_server_decides_what_is_due(postgres_conninfo: str) -> None:
    clock = FakeClock()  # years in the past: the server's now() would see everything as due
    with PostgresStorage(postgres_conninfo, clock=clock) as storage:
        storage.enqueue(
            "later", kind="ship", target="o", payload={}, not_before=clock() + timedelta(hours=1)
        )
        assert storage.due() == []
        assert storage.acquire_lease("run", "a", timedelta(minutes=5))
        assert not storage.acquire_lease("run", "b", timedelta(minutes=5))
        clock.advance(timedelta(hours=1))
        assert [e.key for e in storage.due()] == ["later"]
        assert storage.acquire_lease("run", "b", timedelta(minutes=5))


_ROUNDS = 30


def test_workers_writing_different_sides_of_one_order_at_once_lose_neither(
    postgres_conninfo: str,
) -> None:
    """An import writing Jet's side and a command writing the host's race on one order row."""
    order = make_sales_order()
    with PostgresStorage(postgres_conninfo) as storage:
        storage.upsert_order(order)
        barrier = threading.Barrier(8)
        failed: list[BaseException] = []

        def write(worker: int) -> None:
            barrier.wait(timeout=10)
            for round_ in range(_ROUNDS):
                if worker % 2:
                    snapshot = OrderSnapshot(status="acknowledged", shipment_ids={f"s{round_}"})
                    storage.upsert_order(order, snapshot=snapshot)
                else:
                    storage.upsert_order(order, intent=OrderIntent(confirmed=round_ % 2 == 0))

        workers = [
            threading.Thread(target=lambda n=n: _capture(failed, lambda: write(n)))
            for n in range(8)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert failed == []
        # Every writer's last write is the same per side: a write that read the row before
        # another's commit and wrote its stale copy of the other side back would show here.
        assert storage.get_order_sides(order.channel_order_id) == OrderSides(
            snapshot=OrderSnapshot(status="acknowledged", shipment_ids={f"s{_ROUNDS - 1}"}),
            intent=OrderIntent(confirmed=(_ROUNDS - 1) % 2 == 0),
        )
        assert storage.order_keys()[order.channel_order_id] == OrderKey("acknowledged", False)


# -- the core without psycopg ----------------------------------------------------------------


def test_the_core_package_imports_without_psycopg() -> None:
    script = textwrap.dedent(
        """
        import sys
        for name in ("psycopg", "psycopg_pool"):
            sys.modules[name] = None  # makes `import psycopg` fail like an absent package
        import jet_orderhive, jet_orderhive.storage, jet_orderhive.sync, jet_orderhive.testing
        from jet_orderhive.storage import SQLiteStorage
        try:
            import jet_orderhive.storage.postgres
        except ImportError as exc:
            print(json.dumps(str(exc)))
        """
    ).replace("import sys", "import json, sys", 1)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "jet-orderhive[postgres]" in json.loads(result.stdout)
