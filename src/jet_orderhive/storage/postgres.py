"""`PostgresStorage`: the `Storage` protocol on PostgreSQL (psycopg 3), for many workers at once.

Needs the optional extra: ``pip install 'jet-orderhive[postgres]'`` (``psycopg`` and
``psycopg-pool``). The rest of the library never imports this module, so it runs without them.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import TupleRow, tuple_row
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess without psycopg
    raise ImportError(
        "jet_orderhive.storage.postgres needs psycopg 3: pip install 'jet-orderhive[postgres]'"
    ) from _missing

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.models import Customer, SalesOrder, normalize_email
from jet_orderhive.storage import _rows
from jet_orderhive.storage._canonical import record_json
from jet_orderhive.storage._common import (
    check_aware,
    check_limit,
    check_listed,
    check_price,
    check_quantity,
    check_sides,
    check_statuses,
    check_ttl,
    decode_object,
    encode_json,
    encode_payload,
    order_json,
    order_key,
    turn_by_status,
    utc_now,
)
from jet_orderhive.storage._postgres_migrations import MIGRATIONS, SCHEMA_VERSION
from jet_orderhive.storage.errors import (
    RecordNotFound,
    StorageBusyError,
    StorageError,
    TransactionAborted,
    UnsupportedSchemaError,
)
from jet_orderhive.storage.merge import merge_customer
from jet_orderhive.storage.protocol import Clock
from jet_orderhive.storage.records import (
    DEFAULT_ACCOUNT,
    LinkedSku,
    ListedKeys,
    OrderIntent,
    OrderKey,
    OrderSides,
    OrderSnapshot,
    OutboxEntry,
    PushedKey,
    PushStatus,
    QuarantineEntry,
    UpsertResult,
)

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

__all__ = ["ConnectionFactory", "PostgresStorage"]

_log = logging.getLogger("jet_orderhive.storage")

_T = TypeVar("_T")

Connection: TypeAlias = "psycopg.Connection[Any]"
Cursor: TypeAlias = "psycopg.Cursor[TupleRow]"

ConnectionFactory: TypeAlias = Callable[[], "psycopg.Connection[Any]"]
"""A callable returning a new, open psycopg connection that the storage then owns and closes."""

# pg_advisory_xact_lock(class, hashtext(schema)): one migration at a time per schema.
_MIGRATION_LOCK_CLASS = 0x4A4F4849

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")

# Module-level so tests can drive the conflict-retry loop without really waiting.
_sleep = time.sleep
_monotonic = time.monotonic

_SECRET_KEYS = ("password", "sslpassword")


class _Owner:
    """Kept only in one thread's local state: collected when that thread ends."""

    __slots__ = ("__weakref__",)


def _forget(conns: dict[int, tuple[Connection, int]], lock: threading.Lock, key: int) -> None:
    with lock:
        opened = conns.pop(key, None)
    if opened is not None:
        _close_own(*opened)


def _close_own(conn: Connection, pid: int) -> None:
    # A connection inherited through fork() is the parent's to close, never the child's.
    if os.getpid() == pid:
        conn.close()


class _ThreadState(threading.local):
    conn: Connection | None = None  # this thread's own connection (conninfo / factory modes)
    owner: _Owner | None = None
    pid: int = 0
    unit: Connection | None = None  # the connection of the open unit of work
    depth: int = 0
    doomed: bool = False


class _WriteConflict(StorageBusyError):
    """A deadlock or serialization failure: the unit can run again from the start."""


class _Doomed(Exception):
    """Rolls the outermost unit back when an inner block raised and was swallowed."""


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class PostgresStorage:
    """A `Storage` in a PostgreSQL database, safe for many threads and processes at once.

    Args:
        source: where connections come from, one of:

            - a libpq connection string or URI (``"host=/run/postgresql dbname=shop"``,
              ``"postgresql://sync@db/shop"``): the storage opens one connection per thread
              that uses it and closes them in `close` (or when the thread ends);
            - a `ConnectionFactory`: a callable returning a new psycopg connection, used the
              same way (the storage owns and closes what it returns);
            - a ``psycopg_pool.ConnectionPool``: each unit of work borrows a connection for its
              duration and gives it back; the pool stays yours to size, open and close.

        clock: returns "now" as an aware datetime; defaults to the system clock in UTC. Every
            time the storage stores or compares comes from it, never from the server.
        schema: the PostgreSQL schema holding the tables (created if missing), so the tables
            never mix with the host's own; a lowercase SQL name.
        lock_timeout: seconds one statement waits for a row another transaction holds, and
            the total time a unit that hit a deadlock is retried, before `StorageBusyError`.
        pool_timeout: seconds to wait for a free pool connection (default: the pool's own).

    The schema is versioned and migrated on open under an advisory lock, so processes opening
    one database at once apply each migration once. Use the storage as a context manager, or
    call `close` when done. Its repr, logs and errors never show a password.
    """

    def __init__(
        self,
        source: str | ConnectionFactory | ConnectionPool[Any],
        *,
        clock: Clock | None = None,
        schema: str = "jet_orderhive",
        lock_timeout: float = 30.0,
        pool_timeout: float | None = None,
    ) -> None:
        if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema):
            raise JetOrderhiveValueError(
                f"schema must be a lowercase SQL name (letters, digits, _), got {schema!r}"
            )
        if lock_timeout <= 0 or (pool_timeout is not None and pool_timeout <= 0):
            raise JetOrderhiveValueError("lock_timeout and pool_timeout must be positive")
        self._schema = schema
        self._clock: Clock = clock or utc_now
        self._lock_timeout = float(lock_timeout)
        self._pool_timeout = pool_timeout
        self._params: dict[str, Any] | None = None
        self._factory: ConnectionFactory | None = None
        self._pool: ConnectionPool[Any] | None = None
        self._secrets: tuple[str, ...] = ()
        if isinstance(source, str):
            self._params = _parse_conninfo(source)
            self._secrets = tuple(
                str(self._params[key]) for key in _SECRET_KEYS if self._params.get(key)
            )
            self._label = _describe(self._params)
        elif _is_pool(source):
            self._pool = source  # type: ignore[assignment]
            self._label = f"pool={getattr(source, 'name', '?')!r}"
        elif callable(source):
            self._factory = source
            self._label = f"factory={getattr(source, '__qualname__', type(source).__name__)}"
        else:
            raise JetOrderhiveTypeError(
                "PostgresStorage takes a connection string, a callable returning a psycopg "
                f"connection or a psycopg_pool.ConnectionPool, got {type(source).__name__}"
            )
        self._local = _ThreadState()
        # Keyed by the opening thread's `_Owner`, so a thread's end closes its connection.
        self._open: dict[int, tuple[Connection, int]] = {}
        self._open_lock = threading.Lock()
        self._closed = False
        # Orders by their stored text, so reading back what was just written decodes nothing.
        self._orders = _rows.OrderCache()
        try:
            before = self._migrate()
        except BaseException:
            self.close()
            raise
        if before != SCHEMA_VERSION:
            _log.debug("migrated %r from schema version %d", self, before)

    @property
    def schema(self) -> str:
        """The PostgreSQL schema that holds this storage's tables."""
        return self._schema

    def __repr__(self) -> str:
        return f"PostgresStorage({self._label}, schema={self._schema!r})"

    def __enter__(self) -> PostgresStorage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this storage opened, in all threads; later calls fail.

        A pool passed in is left open: it is the caller's.
        """
        with self._open_lock:
            self._closed = True
            conns = list(self._open.values())
            self._open.clear()
        for conn, pid in conns:
            _close_own(conn, pid)

    # -- connections -----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"{self!r} is closed; open a new PostgresStorage")

    def _connect(self) -> Connection:
        try:
            if self._params is not None:
                conn: Connection = psycopg.connect(**self._params, autocommit=True)
            else:
                assert self._factory is not None
                made = self._factory()
                if not isinstance(made, psycopg.Connection):
                    raise JetOrderhiveTypeError(
                        "the connection factory must return a psycopg.Connection, got "
                        f"{type(made).__name__}"
                    )
                conn = made
            try:
                conn.autocommit = True
                self._configure(conn, local=False)
            except BaseException:
                conn.close()
                raise
        except psycopg.Error as error:
            raise StorageError(f"{self!r} could not connect: {self._redact(str(error))}") from None
        return conn

    def _thread_connection(self) -> Connection:
        local = self._local
        if local.conn is not None and local.pid == os.getpid() and not local.conn.closed:
            return local.conn
        if local.conn is not None and local.pid == os.getpid():
            self._drop_thread_connection()
        conn = self._connect()
        with self._open_lock:
            if self._closed:
                conn.close()
                self._check_open()
            owner = _Owner()
            self._open[id(owner)] = (conn, os.getpid())
        weakref.finalize(owner, _forget, self._open, self._open_lock, id(owner))
        local.conn, local.owner, local.pid = conn, owner, os.getpid()
        return conn

    def _drop_thread_connection(self) -> None:
        local = self._local
        conn, owner = local.conn, local.owner
        local.conn, local.owner = None, None
        if owner is not None:
            with self._open_lock:
                self._open.pop(id(owner), None)
        if conn is not None:
            conn.close()

    def _checkout(self) -> Connection:
        self._check_open()
        if self._pool is None:
            return self._thread_connection()
        try:
            if self._pool_timeout is None:
                conn: Connection = self._pool.getconn()
            else:
                conn = self._pool.getconn(timeout=self._pool_timeout)
        except Exception as error:
            if type(error).__name__ == "PoolTimeout":
                raise StorageBusyError(
                    f"{self!r}: no pool connection came free in time ({error}); "
                    "size the pool for the workers that share it"
                ) from None
            raise StorageError(f"{self!r}: the pool gave no connection ({error})") from None
        return conn

    def _checkin(self, conn: Connection) -> None:
        if self._pool is not None:
            self._pool.putconn(conn)
        elif conn.closed or conn.broken:
            self._drop_thread_connection()

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _error(self, error: psycopg.Error) -> StorageError:
        """The storage error for a psycopg error, its message free of secrets."""
        message = self._redact(str(error).strip())
        if isinstance(error, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
            return _WriteConflict(f"{self!r}: a concurrent write conflicted ({message})")
        if isinstance(error, pg_errors.LockNotAvailable | pg_errors.QueryCanceled):
            return StorageBusyError(
                f"{self!r}: another transaction held the rows for over {self._lock_timeout:g}s "
                f"({message}); find the session holding them or raise lock_timeout"
            )
        if isinstance(error, psycopg.OperationalError):
            return StorageError(f"{self!r}: the database connection failed ({message})")
        return StorageError(f"{self!r}: {type(error).__name__}: {message}")

    def _now(self) -> datetime:
        return check_aware(self._clock(), "clock()")

    # -- unit of work ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block atomically; see `Storage.transaction` for nesting and rollback rules.

        The block runs on one connection (the thread's own, or one borrowed from the pool) in
        one PostgreSQL transaction at ``READ COMMITTED``; the storage's writes lock the rows
        they change until the outermost block ends.
        """
        local = self._local
        if local.depth:
            local.depth += 1
            try:
                yield
            except BaseException:
                local.doomed = True
                raise
            finally:
                local.depth -= 1
            return
        conn = self._checkout()
        local.unit, local.depth, local.doomed = conn, 1, False
        try:
            try:
                with conn.transaction():
                    if self._pool is not None:
                        # The host's connection: the settings last only as long as the unit.
                        self._configure(conn, local=True)
                    yield
                    if local.doomed:
                        raise _Doomed
            except _Doomed:
                raise TransactionAborted(
                    "an inner transaction block raised, so the whole unit of work was rolled "
                    "back; let the exception propagate or retry the unit"
                ) from None
            except psycopg.Error as error:
                raise self._error(error) from None
        finally:
            local.unit, local.depth, local.doomed = None, 0, False
            self._checkin(conn)

    def _configure(self, conn: Connection, *, local: bool) -> None:
        conn.execute(
            "SELECT set_config('lock_timeout', %s, %s), set_config('search_path', %s, %s)",
            (f"{int(self._lock_timeout * 1000)}ms", local, self._schema, local),
        )

    def _cursor(self) -> Cursor:
        conn = self._local.unit
        assert conn is not None, "storage SQL runs only inside a unit of work"
        return conn.cursor(row_factory=tuple_row)

    def _exec(self, query: str | sql.Composable, params: Sequence[object] = ()) -> Cursor:
        cursor = self._cursor()
        try:
            cursor.execute(query, params)  # type: ignore[arg-type]
        except psycopg.Error as error:
            raise self._error(error) from None
        return cursor

    def _rows(self, query: str, params: Sequence[object] = ()) -> list[Any]:
        return self._exec(query, params).fetchall()

    def _row(self, query: str, params: Sequence[object] = ()) -> Any:
        return self._exec(query, params).fetchone()

    def _statement(self, work: Callable[[], _T]) -> _T:
        """Run ``work``, which sends one statement: on its own connection, without a unit.

        One statement is atomic by itself, so outside a unit of work the storage's own
        connections run it in autocommit: one round trip instead of three.
        """
        return self._unit(work, alone=True)

    def _unit(self, work: Callable[[], _T], *, alone: bool = False) -> _T:
        """Run ``work`` in a unit; as the outermost unit, rerun it after a write conflict."""
        local = self._local
        if local.depth:
            with self.transaction():
                return work()
        deadline = _monotonic() + self._lock_timeout
        for attempt in itertools.count():
            try:
                if alone and self._pool is None:
                    conn = self._checkout()
                    local.unit = conn
                    try:
                        return work()
                    finally:
                        local.unit = None
                        self._checkin(conn)
                with self.transaction():
                    return work()
            except _WriteConflict as conflict:
                if _monotonic() >= deadline:
                    raise StorageBusyError(str(conflict)) from None
                delay = min(0.005 * 2**attempt, 0.25) * random.uniform(0.5, 1.0)
                _log.debug("%r: write conflict, retrying in %.3fs", self, delay)
                _sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- migrations ------------------------------------------------------------------------------

    def _migrate(self) -> int:
        def work() -> int:
            self._exec(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                (_MIGRATION_LOCK_CLASS, self._schema),
            )
            (exists,) = self._row("SELECT to_regnamespace(%s) IS NOT NULL", (self._schema,))
            if not exists:
                self._exec(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self._schema)))
            (has_table,) = self._row(
                "SELECT to_regclass(%s) IS NOT NULL", (f"{self._schema}.schema_version",)
            )
            if not has_table:
                self._exec(
                    "CREATE TABLE schema_version (one boolean PRIMARY KEY DEFAULT true"
                    " CHECK (one), version integer NOT NULL)"
                )
                self._exec("INSERT INTO schema_version (version) VALUES (0)")
            (current,) = self._row("SELECT version FROM schema_version")
            if current > SCHEMA_VERSION:
                raise UnsupportedSchemaError(
                    f"{self!r} has storage schema version {current}, but this jet_orderhive "
                    f"knows only up to {SCHEMA_VERSION}; upgrade jet_orderhive to open it"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    self._exec(statement)
                self._exec("UPDATE schema_version SET version = %s", (version,))
            return int(current)

        return self._unit(work)

    # -- orders ----------------------------------------------------------------------------------

    def upsert_order(
        self,
        order: SalesOrder,
        *,
        snapshot: OrderSnapshot | None = None,
        intent: OrderIntent | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> UpsertResult:
        """Store ``order`` and the sides given; report created / updated / unchanged."""
        check_sides(snapshot, intent)
        body = order_json(order)
        # Keyed by the text: right whether or not this write commits.
        self._orders.remember(body, order)
        given_snapshot = None if snapshot is None else encode_json(snapshot.to_json())
        given_intent = None if intent is None else encode_json(intent.to_json())
        listed_cancelled = None if snapshot is None else bool(snapshot.listed_cancelled)

        def work() -> UpsertResult:
            while True:
                # The row lock makes concurrent upserts of one order take turns.
                row = self._row(
                    "SELECT body::text, snapshot::text, intent::text FROM orders"
                    " WHERE account = %s AND channel_order_id = %s FOR UPDATE",
                    (account, order.channel_order_id),
                )
                if row is not None:
                    # A side not given is kept as stored.
                    kept_snapshot = row[1] if given_snapshot is None else given_snapshot
                    kept_intent = row[2] if given_intent is None else given_intent
                    if tuple(row) == (body, kept_snapshot, kept_intent):
                        return UpsertResult.UNCHANGED
                    self._exec(
                        "UPDATE orders SET channel_status = %s, order_status = %s,"
                        " body = %s::json, updated_at = %s, snapshot = %s::json,"
                        " intent = %s::json, listed_cancelled = coalesce(%s, listed_cancelled)"
                        " WHERE account = %s AND channel_order_id = %s",
                        (
                            order.channel_status,
                            order.order_status.value,
                            body,
                            self._now(),
                            kept_snapshot,
                            kept_intent,
                            listed_cancelled,
                            account,
                            order.channel_order_id,
                        ),
                    )
                    return UpsertResult.UPDATED
                cursor = self._exec(
                    "INSERT INTO orders (account, channel_order_id, channel_status, order_status,"
                    " body, updated_at, snapshot, intent, listed_cancelled)"
                    " VALUES (%s, %s, %s, %s, %s::json, %s, %s::json, %s::json, %s)"
                    " ON CONFLICT (account, channel_order_id) DO NOTHING",
                    (
                        account,
                        order.channel_order_id,
                        order.channel_status,
                        order.order_status.value,
                        body,
                        self._now(),
                        given_snapshot,
                        given_intent,
                        bool(listed_cancelled),
                    ),
                )
                if cursor.rowcount == 1:
                    return UpsertResult.CREATED
                # Another worker stored it meanwhile: compare with theirs.

        return self._unit(work)

    def get_order_sides(
        self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> OrderSides | None:
        """Return the stored order's snapshot and intent, or ``None`` if it is not stored."""
        row = self._statement(
            lambda: self._row(
                "SELECT snapshot::text, intent::text FROM orders"
                " WHERE account = %s AND channel_order_id = %s",
                (account, jet_order_id),
            )
        )
        if row is None:
            return None
        snapshot, intent = row
        return OrderSides(
            snapshot=None if snapshot is None else OrderSnapshot.from_json(decode_object(snapshot)),
            intent=None if intent is None else OrderIntent.from_json(decode_object(intent)),
        )

    def get_order(self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT) -> SalesOrder | None:
        """Return the stored order with this Jet order id, or ``None``."""
        row = self._statement(
            lambda: self._row(
                "SELECT body::text FROM orders WHERE account = %s AND channel_order_id = %s",
                (account, jet_order_id),
            )
        )
        return None if row is None else self._orders.order(row[0])

    def list_orders(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[SalesOrder]:
        """Return stored orders by Jet order id (after ``after``, at most ``limit``)."""
        size = check_limit(limit)
        statuses = None if channel_statuses is None else sorted(check_statuses(channel_statuses))
        if statuses == []:
            return []
        # NULL parameters switch their filter off, so one constant statement serves every call.
        rows = self._statement(
            lambda: self._rows(
                "SELECT body::text FROM orders WHERE account = %s"
                " AND (%s::text[] IS NULL OR channel_status = ANY(%s::text[]))"
                " AND (%s::text IS NULL OR channel_order_id > %s::text)"
                " ORDER BY channel_order_id LIMIT %s",
                (account, statuses, statuses, after, after, size),
            )
        )
        return [self._orders.order(body) for (body,) in rows]

    def order_keys(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> dict[str, OrderKey]:
        """Return Jet order id → Jet status and last-listed-cancelled, by id (no JSON read)."""
        columns = "SELECT channel_order_id, channel_status, listed_cancelled FROM orders"
        if channel_statuses is None:
            rows = self._statement(
                lambda: self._rows(
                    f"{columns} WHERE account = %s ORDER BY channel_order_id",
                    (account,),
                )
            )
        else:
            statuses = sorted(check_statuses(channel_statuses))
            if not statuses:
                return {}
            rows = self._statement(
                lambda: self._rows(
                    f"{columns} WHERE account = %s"
                    " AND channel_status = ANY(%s::text[]) ORDER BY channel_order_id",
                    (account, statuses),
                )
            )
        return {
            order_id: order_key(status, bool(cancelled)) for order_id, status, cancelled in rows
        }

    def listed_order_keys(
        self,
        listed: Collection[str],
        *,
        channel_statuses: Collection[str] | None = None,
        after: str = "",
        limit: int = 0,
        account: str = DEFAULT_ACCOUNT,
    ) -> ListedKeys:
        """The keys of the stored orders among ``listed``, a count and a turn of the others.

        A few indexed reads in one unit: the listed ids by primary key, a count from the
        status index, and the turn as ranges of it (of the primary key without statuses).
        """
        ids = sorted(check_listed(listed, after, limit))
        statuses = None if channel_statuses is None else sorted(check_statuses(channel_statuses))
        if statuses == []:
            return ListedKeys()
        # NULL parameters switch their filter off, so each statement is one constant text.
        in_statuses = " AND (%s::text[] IS NULL OR channel_status = ANY(%s::text[]))"

        def read(status: str | None, above: bool, n: int) -> list[tuple[str, str, object]]:
            # A range of the status index, or of the primary key for every status.
            where = "" if status is None else " AND channel_status = %s"
            rows: list[tuple[str, str, object]] = self._rows(
                "SELECT channel_order_id, channel_status, listed_cancelled FROM orders"  # noqa: S608
                f" WHERE account = %s{where} AND channel_order_id {'>' if above else '<='} %s"
                " ORDER BY channel_order_id LIMIT %s",
                (account, *(() if status is None else (status,)), after, n),
            )
            return rows

        def work() -> ListedKeys:
            rows = self._rows(
                "SELECT channel_order_id, channel_status, listed_cancelled FROM orders"  # noqa: S608
                f" WHERE account = %s AND channel_order_id = ANY(%s::text[]){in_statuses}"
                " ORDER BY channel_order_id",
                (account, ids, statuses, statuses),
            )
            keys = {i: order_key(status, bool(cancelled)) for i, status, cancelled in rows}
            (total,) = self._row(
                f"SELECT count(*) FROM orders WHERE account = %s{in_statuses}",  # noqa: S608
                (account, statuses, statuses),
            )
            unlisted = int(total) - len(keys)
            # Ranges of the index only when some order is in no list (never on a small store).
            turn = {}
            if limit and unlisted:
                turn = turn_by_status(read, statuses, keys, after=after, limit=limit)
            return ListedKeys(keys=keys, unlisted=unlisted, turn=turn)

        return self._unit(work)

    # -- customers -------------------------------------------------------------------------------

    def upsert_customer(
        self, customer: Customer, *, account: str = DEFAULT_ACCOUNT
    ) -> UpsertResult:
        """Store ``customer`` by normalised email, merging into the one already stored."""
        key = customer.email  # normalised by Customer itself
        text = record_json(customer)

        def work() -> UpsertResult:
            while True:
                # The row lock makes concurrent merges into one customer take turns.
                row = self._row(
                    "SELECT body::text FROM customers WHERE account = %s AND email = %s FOR UPDATE",
                    (account, key),
                )
                now = self._now()
                if row is None:
                    cursor = self._exec(
                        "INSERT INTO customers (account, email, body, updated_at)"
                        " VALUES (%s, %s, %s::json, %s) ON CONFLICT (account, email) DO NOTHING",
                        (account, key, text, now),
                    )
                    if cursor.rowcount == 1:
                        return UpsertResult.CREATED
                    continue  # another worker created it meanwhile: merge into theirs
                if row[0] == text:
                    # The very record stored: merging it in changes nothing.
                    return UpsertResult.UNCHANGED
                existing = _customer(row[0])
                stored = merge_customer(existing, customer)
                if stored == existing:
                    return UpsertResult.UNCHANGED
                self._exec(
                    "UPDATE customers SET body = %s::json, updated_at = %s"
                    " WHERE account = %s AND email = %s",
                    (record_json(stored), now, account, key),
                )
                return UpsertResult.UPDATED

        return self._unit(work)

    def get_customer(self, email: str, *, account: str = DEFAULT_ACCOUNT) -> Customer | None:
        """Return the customer with this email, ignoring case and surrounding spaces."""
        row = self._statement(
            lambda: self._row(
                "SELECT body::text FROM customers WHERE account = %s AND email = %s",
                (account, normalize_email(email)),
            )
        )
        return None if row is None else _customer(row[0])

    def list_customers(self, *, account: str = DEFAULT_ACCOUNT) -> list[Customer]:
        """Return every stored customer ordered by normalised email."""
        rows = self._statement(
            lambda: self._rows(
                "SELECT body::text FROM customers WHERE account = %s ORDER BY email", (account,)
            )
        )
        return [_customer(body) for (body,) in rows]

    # -- outbox ----------------------------------------------------------------------------------

    _OUTBOX_COLUMNS = (
        "key, kind, target, payload::text, attempts, status, next_attempt_at, last_error,"
        " created_at, updated_at, claimed_by, claim_expires_at, claims"
    )

    def enqueue(
        self,
        key: str,
        *,
        kind: str,
        target: str,
        payload: Mapping[str, JsonValue],
        not_before: datetime | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> bool:
        """Record a push; ``False`` if ``key`` was ever enqueued before, in any state."""
        text = encode_payload(key, payload)
        due_at = None if not_before is None else check_aware(not_before, "not_before")

        def work() -> bool:
            now = self._now()
            cursor = self._exec(
                "INSERT INTO outbox (account, key, kind, target, payload, attempts, status,"
                " next_attempt_at, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s::json, 0, %s, %s, %s, %s)"
                " ON CONFLICT (account, key) DO NOTHING",
                (
                    account,
                    key,
                    kind,
                    target,
                    text,
                    PushStatus.PENDING.value,
                    now if due_at is None else due_at,
                    now,
                    now,
                ),
            )
            return cursor.rowcount == 1

        return self._statement(work)

    def due(
        self,
        now: datetime | None = None,
        limit: int | None = None,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[OutboxEntry]:
        """Return unclaimed pending and failed entries due by ``now``, earliest first."""
        at = self._now() if now is None else check_aware(now, "now")
        rows = self._statement(
            lambda: self._rows(
                f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608 - constant columns
                " WHERE account = %s AND status <> 'done' AND next_attempt_at IS NOT NULL"
                " AND next_attempt_at <= %s"
                " AND (claim_expires_at IS NULL OR claim_expires_at <= %s)"
                " ORDER BY next_attempt_at, created_at, seq LIMIT %s",
                (account, at, self._now(), None if limit is None else max(limit, 0)),
            )
        )
        return [_entry(row) for row in rows]

    def claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> OutboxEntry | None:
        """Take a due entry for ``owner`` until now + ``ttl``; ``None`` if it cannot be had.

        One statement: the entry's row is locked with ``FOR UPDATE SKIP LOCKED``, so a worker
        that finds another one mid-claim gets ``None`` at once instead of waiting for it.
        """
        check_ttl(ttl)

        def work() -> Any:
            now = self._now()
            return self._row(
                "UPDATE outbox SET claimed_by = %s, claim_expires_at = %s, claims = claims + 1"  # noqa: S608
                " WHERE seq = (SELECT seq FROM outbox WHERE account = %s AND key = %s"
                " AND status <> 'done' AND next_attempt_at IS NOT NULL AND next_attempt_at <= %s"
                " AND (claimed_by IS NULL OR claimed_by = %s OR claim_expires_at <= %s)"
                f" FOR UPDATE SKIP LOCKED) RETURNING {self._OUTBOX_COLUMNS}",
                (owner, now + ttl, account, key, now, owner, now),
            )

        row = self._statement(work)
        return None if row is None else _entry(row)

    def renew_claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired claim; ``False`` if it is not held."""
        check_ttl(ttl)

        def work() -> bool:
            now = self._now()
            cursor = self._exec(
                "UPDATE outbox SET claim_expires_at = %s WHERE account = %s AND key = %s"
                " AND claimed_by = %s AND claim_expires_at > %s",
                (now + ttl, account, key, owner, now),
            )
            return cursor.rowcount == 1

        return self._statement(work)

    def reschedule(
        self, key: str, next_attempt_at: datetime, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Move a waiting entry's next attempt without counting an attempt."""
        when = check_aware(next_attempt_at, "next_attempt_at")

        def work() -> bool:
            now = self._now()
            cursor = self._exec(
                "UPDATE outbox SET next_attempt_at = %s, updated_at = %s"
                " WHERE account = %s AND key = %s AND status <> 'done'"
                " AND next_attempt_at IS NOT NULL"
                " AND (claim_expires_at IS NULL OR claim_expires_at <= %s)",
                (when, now, account, key, now),
            )
            return cursor.rowcount == 1

        return self._statement(work)

    def get_push(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> OutboxEntry | None:
        """Return the outbox entry with this key in whatever state it is, or ``None``."""
        row = self._statement(
            lambda: self._row(
                f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608
                " WHERE account = %s AND key = %s",
                (account, key),
            )
        )
        return None if row is None else _entry(row)

    def pushes(
        self, *, status: PushStatus | None = None, account: str = DEFAULT_ACCOUNT
    ) -> list[OutboxEntry]:
        """Return outbox entries, optionally only in ``status``, in enqueue order."""
        if status is None:
            rows = self._statement(
                lambda: self._rows(
                    f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608
                    " WHERE account = %s ORDER BY seq",
                    (account,),
                )
            )
        else:
            rows = self._statement(
                lambda: self._rows(
                    f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608
                    " WHERE account = %s AND status = %s ORDER BY seq",
                    (account, status.value),
                )
            )
        return [_entry(row) for row in rows]

    def _locked_outbox_state(
        self, key: str, account: str
    ) -> tuple[str, str | None, datetime | None]:
        row = self._row(
            "SELECT status, claimed_by, claim_expires_at FROM outbox"
            " WHERE account = %s AND key = %s FOR UPDATE",
            (account, key),
        )
        if row is None:
            raise RecordNotFound(f"no outbox entry with key {key!r}; enqueue it first")
        return row[0], row[1], row[2]

    def mark_done(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Record that the push took effect; it never becomes due again."""

        def work() -> None:
            status, _, _ = self._locked_outbox_state(key, account)
            if status == PushStatus.DONE.value:
                return
            self._exec(
                "UPDATE outbox SET status = %s, attempts = attempts + 1, next_attempt_at = NULL,"
                " updated_at = %s, claimed_by = NULL, claim_expires_at = NULL"
                " WHERE account = %s AND key = %s",
                (PushStatus.DONE.value, self._now(), account, key),
            )

        self._unit(work)

    def mark_failed(
        self,
        key: str,
        error: str,
        next_attempt_at: datetime | None,
        *,
        owner: str | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> bool:
        """Record a failed attempt and when to retry (``None``: never)."""
        retry_at = None if next_attempt_at is None else check_aware(next_attempt_at, "retry time")

        def work() -> bool:
            now = self._now()
            status, holder, expires = self._locked_outbox_state(key, account)
            if status == PushStatus.DONE.value:
                return False
            held = holder is not None and holder != owner and expires is not None and expires > now
            if owner is not None and held:
                return False
            self._exec(
                "UPDATE outbox SET status = %s, attempts = attempts + 1, next_attempt_at = %s,"
                " last_error = %s, updated_at = %s, claimed_by = NULL, claim_expires_at = NULL"
                " WHERE account = %s AND key = %s",
                (PushStatus.FAILED.value, retry_at, error, now, account, key),
            )
            return True

        return self._unit(work)

    # -- last-pushed stock and price -------------------------------------------------------------

    def pushed_stock_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, int]:
        """Return the last-pushed stock of each ``(sku, node)`` that has one."""
        found = self._many("pushed_stock", "quantity", keys, account)
        return {key: int(value) for key, value in found}

    def set_pushed_stock_many(
        self, values: Mapping[PushedKey, int], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Remember many pushed stock levels at once."""
        rows = [(sku, node, check_quantity(sku, node, q)) for (sku, node), q in values.items()]
        self._set_many("pushed_stock", "quantity", "bigint", rows, account)

    def pushed_price_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, Decimal]:
        """Return the last-pushed price of each ``(sku, node)`` that has one."""
        found = self._many("pushed_price", "price", keys, account)
        return {key: Decimal(value) for key, value in found}

    def set_pushed_price_many(
        self, values: Mapping[PushedKey, Decimal], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Remember many pushed prices at once."""
        rows = [(sku, node, check_price(sku, node, price)) for (sku, node), price in values.items()]
        self._set_many("pushed_price", "price", "numeric", rows, account)

    def _many(
        self, table: str, column: str, keys: Iterable[PushedKey], account: str
    ) -> list[tuple[PushedKey, Any]]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        skus = [sku for sku, _ in wanted]
        nodes = [node for _, node in wanted]
        # Table and column names are this module's constants; values are bound parameters.
        query = (
            f"SELECT p.sku, p.node, p.{column} FROM {table} AS p"  # noqa: S608
            " JOIN unnest(%s::text[], %s::text[]) AS k (sku, node)"
            " ON p.sku = k.sku AND p.node = k.node WHERE p.account = %s"
        )
        rows = self._statement(lambda: self._rows(query, (skus, nodes, account)))
        return [((sku, node), value) for sku, node, value in rows]

    def _set_many(
        self,
        table: str,
        column: str,
        kind: str,
        rows: Sequence[tuple[str, str, object]],
        account: str,
    ) -> None:
        if not rows:
            return
        # One lock order for every writer, so two bulk writes cannot deadlock each other.
        ordered = sorted(rows, key=lambda row: (row[0], row[1]))
        query = (
            f"INSERT INTO {table} (account, sku, node, {column}, pushed_at)"  # noqa: S608
            f" SELECT %s, sku, node, value, %s FROM unnest(%s::text[], %s::text[], %s::{kind}[])"
            " WITH ORDINALITY AS v (sku, node, value, n) ORDER BY n"
            f" ON CONFLICT (account, sku, node) DO UPDATE SET {column} = excluded.{column},"
            " pushed_at = excluded.pushed_at"
        )
        skus = [row[0] for row in ordered]
        nodes = [row[1] for row in ordered]
        values = [row[2] for row in ordered]

        def work() -> None:
            self._exec(query, (account, self._now(), skus, nodes, values))

        self._statement(work)

    # -- linked SKUs -----------------------------------------------------------------------------

    def link_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Start managing ``sku``; ``False`` if it was already linked."""

        def work() -> bool:
            cursor = self._exec(
                "INSERT INTO linked_skus (account, sku, archived, linked_at)"
                " VALUES (%s, %s, false, %s) ON CONFLICT (account, sku) DO NOTHING",
                (account, sku, self._now()),
            )
            return cursor.rowcount == 1

        return self._statement(work)

    def link_skus(self, skus: Iterable[str], *, account: str = DEFAULT_ACCOUNT) -> list[str]:
        """Link many SKUs at once; return the newly linked ones in the order first given.

        One statement whatever the number of SKUs; rows are inserted in SKU order, so two
        workers linking overlapping sets cannot deadlock on each other's new rows.
        """
        wanted = list(dict.fromkeys(skus))
        if not wanted:
            return []

        def work() -> list[Any]:
            return self._rows(
                "INSERT INTO linked_skus (account, sku, archived, linked_at)"
                " SELECT %s, sku, false, %s FROM unnest(%s::text[]) AS s (sku) ORDER BY sku"
                " ON CONFLICT (account, sku) DO NOTHING RETURNING sku",
                (account, self._now(), sorted(wanted)),
            )

        newly = {sku for (sku,) in self._statement(work)}
        return [sku for sku in wanted if sku in newly]

    def get_linked_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> LinkedSku | None:
        """Return the linked SKU record, or ``None``."""
        row = self._statement(
            lambda: self._row(
                "SELECT sku, archived, archived_at, linked_at FROM linked_skus"
                " WHERE account = %s AND sku = %s",
                (account, sku),
            )
        )
        return None if row is None else _linked(row)

    def linked_skus(self, *, account: str = DEFAULT_ACCOUNT) -> list[LinkedSku]:
        """Return every linked SKU ordered by SKU."""
        rows = self._statement(
            lambda: self._rows(
                "SELECT sku, archived, archived_at, linked_at FROM linked_skus"
                " WHERE account = %s ORDER BY sku",
                (account,),
            )
        )
        return [_linked(row) for row in rows]

    def set_sku_archived(self, sku: str, archived: bool, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Set the archived flag of a linked SKU; ``True`` if it changed."""

        def work() -> bool:
            row = self._row(
                "SELECT archived FROM linked_skus WHERE account = %s AND sku = %s FOR UPDATE",
                (account, sku),
            )
            if row is None:
                raise RecordNotFound(f"SKU {sku!r} is not linked; call link_sku first")
            if bool(row[0]) == archived:
                return False
            self._exec(
                "UPDATE linked_skus SET archived = %s, archived_at = %s"
                " WHERE account = %s AND sku = %s",
                (bool(archived), self._now() if archived else None, account, sku),
            )
            return True

        return self._unit(work)

    # -- quarantine ------------------------------------------------------------------------------

    _QUARANTINE_COLUMNS = "kind, external_id, payload, reason, first_seen, last_seen, times_seen"

    def quarantine(
        self,
        kind: str,
        external_id: str,
        payload: bytes,
        reason: str,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> QuarantineEntry:
        """Keep a record that failed to parse or map, with its raw bytes."""
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise JetOrderhiveTypeError(
                f"quarantine payload of {kind} {external_id!r} must be bytes"
            )
        raw = bytes(payload)

        def work() -> Any:
            now = self._now()
            return self._row(
                "INSERT INTO quarantine (account, kind, external_id, payload, reason,"  # noqa: S608
                " first_seen, last_seen, times_seen) VALUES (%s, %s, %s, %s, %s, %s, %s, 1)"
                " ON CONFLICT (account, kind, external_id) DO UPDATE SET"
                " payload = excluded.payload, reason = excluded.reason,"
                " last_seen = excluded.last_seen, times_seen = quarantine.times_seen + 1"
                f" RETURNING {self._QUARANTINE_COLUMNS}",
                (account, kind, external_id, raw, reason, now, now),
            )

        return _quarantined(self._statement(work))

    def get_quarantined(
        self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> QuarantineEntry | None:
        """Return the quarantined record, or ``None``."""
        row = self._statement(
            lambda: self._row(
                f"SELECT {self._QUARANTINE_COLUMNS} FROM quarantine"  # noqa: S608
                " WHERE account = %s AND kind = %s AND external_id = %s",
                (account, kind, external_id),
            )
        )
        return None if row is None else _quarantined(row)

    def quarantined(
        self, kind: str | None = None, *, account: str = DEFAULT_ACCOUNT
    ) -> list[QuarantineEntry]:
        """Return quarantined records, optionally of one kind, ordered by first seen."""
        rows = self._statement(
            lambda: self._rows(
                f"SELECT {self._QUARANTINE_COLUMNS} FROM quarantine"  # noqa: S608
                " WHERE account = %s AND (%s::text IS NULL OR kind = %s)"
                " ORDER BY first_seen, kind, external_id",
                (account, kind, kind),
            )
        )
        return [_quarantined(row) for row in rows]

    def release(self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Remove a record from quarantine; ``False`` if it was not there."""
        cursor = self._statement(
            lambda: self._exec(
                "DELETE FROM quarantine WHERE account = %s AND kind = %s AND external_id = %s",
                (account, kind, external_id),
            )
        )
        return cursor.rowcount == 1

    # -- sync state ------------------------------------------------------------------------------

    def get_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> str | None:
        """Return a piece of sync state, or ``None``."""
        row = self._statement(
            lambda: self._row(
                "SELECT value FROM sync_state WHERE account = %s AND key = %s", (account, key)
            )
        )
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Set a piece of sync state."""
        if not isinstance(value, str):
            raise JetOrderhiveTypeError(f"state {key!r} must be a str, got {type(value).__name__}")
        self._statement(
            lambda: self._exec(
                "INSERT INTO sync_state (account, key, value) VALUES (%s, %s, %s)"
                " ON CONFLICT (account, key) DO UPDATE SET value = excluded.value",
                (account, key, value),
            )
        )

    def delete_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Delete a piece of sync state; ``False`` if it was not set."""
        cursor = self._statement(
            lambda: self._exec(
                "DELETE FROM sync_state WHERE account = %s AND key = %s", (account, key)
            )
        )
        return cursor.rowcount == 1

    # -- leases ----------------------------------------------------------------------------------

    def acquire_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Take the lease if it is free, expired or already ``owner``'s.

        One upsert: the lease row's lock makes racing workers take turns, and each sees the
        row as the one before it left it, so only one of them gets a held lease.
        """
        check_ttl(ttl)

        def work() -> bool:
            now = self._now()
            cursor = self._exec(
                "INSERT INTO leases (account, name, owner, expires_at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (account, name) DO UPDATE SET owner = excluded.owner,"
                " expires_at = excluded.expires_at"
                " WHERE leases.owner = excluded.owner OR leases.expires_at <= %s",
                (account, name, owner, now + ttl, now),
            )
            return cursor.rowcount == 1

        return self._statement(work)

    def renew_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired lease; ``False`` if it is not held."""
        check_ttl(ttl)

        def work() -> bool:
            now = self._now()
            cursor = self._exec(
                "UPDATE leases SET expires_at = %s WHERE account = %s AND name = %s"
                " AND owner = %s AND expires_at > %s",
                (now + ttl, account, name, owner, now),
            )
            return cursor.rowcount == 1

        return self._statement(work)

    def release_lease(self, name: str, owner: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Give the lease up; ``False`` unless ``owner`` holds it."""
        cursor = self._statement(
            lambda: self._exec(
                "DELETE FROM leases WHERE account = %s AND name = %s AND owner = %s",
                (account, name, owner),
            )
        )
        return cursor.rowcount == 1


def _is_pool(source: object) -> bool:
    try:
        from psycopg_pool import ConnectionPool
    except ImportError:
        return False
    return isinstance(source, ConnectionPool)


def _parse_conninfo(conninfo: str) -> dict[str, Any]:
    try:
        return conninfo_to_dict(conninfo)
    except psycopg.Error:
        # libpq quotes the part it could not parse, which may be the password: say nothing of it.
        raise JetOrderhiveValueError(
            "PostgresStorage: the connection string is not a valid libpq connection string or "
            "URI (its text is not shown, as it may hold a password)"
        ) from None


def _describe(params: Mapping[str, Any]) -> str:
    keys = ("host", "port", "dbname", "user")
    shown = [f"{key}={params[key]!r}" for key in keys if key in params]
    return ", ".join(shown) or "default connection"


def _customer(body: str) -> Customer:
    return _rows.customer(body)


def _entry(row: Any) -> OutboxEntry:
    return _rows.outbox_entry(row, _utc)


def _linked(row: Any) -> LinkedSku:
    return _rows.linked_sku(row, _utc)


def _quarantined(row: Any) -> QuarantineEntry:
    return _rows.quarantined(row, _utc)
