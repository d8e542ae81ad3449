"""`SQLiteStorage`: the `Storage` protocol in one SQLite file, safe across threads and processes."""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from jet_orderhive import _json
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
    encode_payload,
    order_json,
    order_key,
    turn_by_status,
    utc_now,
)
from jet_orderhive.storage._migrations import migrate
from jet_orderhive.storage.errors import (
    RecordNotFound,
    StorageBusyError,
    StorageError,
    TransactionAborted,
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

__all__ = ["SQLiteStorage"]

_log = logging.getLogger("jet_orderhive.storage")

_T = TypeVar("_T")

# Row values per bulk SELECT: two parameters each, far below SQLite's smallest variable limit.
_CHUNK = 400

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# Module-level so tests can drive the lock-wait loop without really waiting.
_sleep = time.sleep
_monotonic = time.monotonic


def _time_text(value: datetime) -> str:
    # Fixed-width UTC text sorts chronologically, so SQL can compare times as strings.
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def _time_value(text: str) -> datetime:
    # fromisoformat reads the stored form (a "Z" for UTC included) in C; strptime runs in
    # Python and cost each outbox entry read tens of microseconds. It stays for anything else.
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else _time_value(text)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        # Extended codes (SQLITE_BUSY_SNAPSHOT, ...) keep the primary code in the low byte.
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    message = str(error).lower()
    return "locked" in message or "busy" in message


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Owner:
    """Kept only in one thread's local state: collected when that thread ends."""

    __slots__ = ("__weakref__",)


def _forget(conns: dict[int, sqlite3.Connection], lock: threading.Lock, key: int, pid: int) -> None:
    with lock:
        conn = conns.pop(key, None)
    # A connection inherited through fork() is the parent's to close, never the child's.
    if conn is not None and os.getpid() == pid:
        conn.close()


class _ThreadState(threading.local):
    conn: sqlite3.Connection | None = None
    owner: _Owner | None = None
    pid: int = 0
    depth: int = 0
    doomed: bool = False


class SQLiteStorage:
    """A `Storage` in one SQLite file (stdlib ``sqlite3``, WAL journal, parameterised SQL).

    Each thread gets its own connection; write units run under ``BEGIN IMMEDIATE`` so SQLite
    serialises writers across threads and processes, and readers never block them (WAL).
    When another writer holds the lock the adapter waits: first SQLite's own busy handler for
    ``busy_timeout`` seconds, then its own retries with backoff until ``max_lock_wait`` seconds
    have passed, then `StorageBusyError`. The schema is versioned and migrated on open.

    Use it as a context manager, or call `close` when done.

    Args:
        path: the database file; created (with its schema) if missing.
        clock: returns "now" as an aware datetime; defaults to the system clock in UTC.
        busy_timeout: seconds SQLite itself waits on a locked database per attempt.
        max_lock_wait: total seconds to keep retrying a locked database before giving up.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        busy_timeout: float = 5.0,
        max_lock_wait: float = 30.0,
    ) -> None:
        text = os.fspath(path)
        if text == ":memory:" or text.startswith("file::memory:"):
            raise JetOrderhiveValueError(
                "SQLiteStorage needs a file that all its connections share; "
                "use MemoryStorage for an in-memory store"
            )
        if busy_timeout < 0 or max_lock_wait < 0:
            raise JetOrderhiveValueError("busy_timeout and max_lock_wait must not be negative")
        self._path = str(Path(text).absolute())
        self._clock: Clock = clock or utc_now
        self._busy_timeout = busy_timeout
        self._max_lock_wait = max_lock_wait
        self._local = _ThreadState()
        # Keyed by the opening thread's `_Owner`, so a thread's end closes its connection.
        self._open: dict[int, sqlite3.Connection] = {}
        self._open_lock = threading.Lock()
        self._closed = False
        # Orders by their stored text, so reading back what was just written decodes nothing.
        self._orders = _rows.OrderCache()
        conn = self._conn()
        try:
            mode = self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
            if str(mode).lower() != "wal":
                raise StorageError(
                    f"{self._path}: SQLite refused WAL journaling (mode is {mode!r}); "
                    "put the database on a local file system"
                )
            with self.transaction():
                before = migrate(conn, self._path)
        except BaseException:
            self.close()
            raise
        if before:
            _log.debug("opened %s at schema version %d", self._path, before)

    @property
    def path(self) -> str:
        """The absolute path of the database file."""
        return self._path

    def __repr__(self) -> str:
        return f"SQLiteStorage({self._path!r})"

    def __enter__(self) -> SQLiteStorage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this storage opened, in all threads; later calls fail."""
        with self._open_lock:
            self._closed = True
            conns = list(self._open.values())
            self._open.clear()
        for conn in conns:
            conn.close()

    # -- connections and retries -----------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(f"{self!r} is closed; open a new SQLiteStorage")
        local = self._local
        if local.conn is not None and local.pid == os.getpid():
            return local.conn
        with self._open_lock:
            if self._closed:
                raise StorageError(f"{self!r} is closed; open a new SQLiteStorage")
            # A connection inherited through fork() belongs to the parent; open our own.
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            owner = _Owner()
            self._open[id(owner)] = conn
        weakref.finalize(owner, _forget, self._open, self._open_lock, id(owner), os.getpid())
        conn.execute("PRAGMA synchronous=FULL")
        local.conn, local.owner, local.pid = conn, owner, os.getpid()
        local.depth, local.doomed = 0, False
        return conn

    def _retry(self, action: Callable[[], _T]) -> _T:
        deadline = _monotonic() + self._max_lock_wait
        for attempt in itertools.count():
            try:
                return action()
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                if _monotonic() >= deadline:
                    raise StorageBusyError(
                        f"{self._path} stayed locked by another writer for over "
                        f"{self._max_lock_wait:g}s ({error}); find the process holding it "
                        "or raise max_lock_wait"
                    ) from error
                delay = min(0.01 * 2**attempt, 0.5) * random.uniform(0.5, 1.0)
                _log.debug("%s is locked, retrying in %.3fs", self._path, delay)
                _sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _now(self) -> datetime:
        return check_aware(self._clock(), "clock()")

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        conn = self._conn()
        if self._local.depth:
            return conn.execute(sql, params).fetchall()
        return self._retry(lambda: conn.execute(sql, params).fetchall())

    def _row(self, sql: str, params: Sequence[object] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _snapshot(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work``'s reads on one snapshot: in the open unit of work, else in a read
        transaction of their own (a deferred ``BEGIN`` takes no write lock), retried whole."""
        conn = self._conn()
        if self._local.depth:
            return work(conn)

        def read() -> _T:
            conn.execute("BEGIN")
            try:
                return work(conn)
            finally:
                self._rollback(conn)

        return self._retry(read)

    # -- unit of work ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block atomically; see `Storage.transaction` for nesting and rollback rules."""
        conn = self._conn()
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
        self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
        local.depth, local.doomed = 1, False
        try:
            yield
        except BaseException:
            local.depth = 0
            self._rollback(conn)
            raise
        local.depth = 0
        if local.doomed:
            self._rollback(conn)
            raise TransactionAborted(
                "an inner transaction block raised, so the whole unit of work was rolled "
                "back; let the exception propagate or retry the unit"
            )
        try:
            self._retry(lambda: conn.execute("COMMIT"))
        except BaseException:
            self._rollback(conn)
            raise

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        # SQLite rolls back by itself after some errors; a second ROLLBACK would raise.
        if conn.in_transaction:
            conn.execute("ROLLBACK")

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
        snapshot_text = None if snapshot is None else _side_json(snapshot.to_json())
        intent_text = None if intent is None else _side_json(intent.to_json())
        listed_cancelled = snapshot.listed_cancelled if snapshot is not None else None
        key = (account, order.channel_order_id)
        with self.transaction():
            conn = self._conn()
            now = _time_text(self._now())
            # Most upserts of an import are new orders: one statement stores those.
            created = conn.execute(
                "INSERT INTO orders (account, channel_order_id, channel_status, order_status,"
                " body, updated_at, snapshot, intent, listed_cancelled)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, 0))"
                " ON CONFLICT (account, channel_order_id) DO NOTHING",
                (
                    *key,
                    order.channel_status,
                    order.order_status.value,
                    body,
                    now,
                    snapshot_text,
                    intent_text,
                    listed_cancelled,
                ),
            )
            if created.rowcount == 1:
                return UpsertResult.CREATED
            row = conn.execute(
                "SELECT body, snapshot, intent FROM orders"
                " WHERE account = ? AND channel_order_id = ?",
                key,
            ).fetchone()
            snapshot_text = row[1] if snapshot_text is None else snapshot_text
            intent_text = row[2] if intent_text is None else intent_text
            # The canonical texts are equal exactly when the records are and are written
            # alike: see "What unchanged means" in docs/storage.md.
            if tuple(row) == (body, snapshot_text, intent_text):
                return UpsertResult.UNCHANGED
            conn.execute(
                "UPDATE orders SET channel_status = ?, order_status = ?, body = ?,"
                " updated_at = ?, snapshot = ?, intent = ?,"
                " listed_cancelled = coalesce(?, listed_cancelled)"
                " WHERE account = ? AND channel_order_id = ?",
                (
                    order.channel_status,
                    order.order_status.value,
                    body,
                    now,
                    snapshot_text,
                    intent_text,
                    listed_cancelled,
                    *key,
                ),
            )
            return UpsertResult.UPDATED

    def get_order(self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT) -> SalesOrder | None:
        """Return the stored order with this Jet order id, or ``None``."""
        row = self._row(
            "SELECT body FROM orders WHERE account = ? AND channel_order_id = ?",
            (account, jet_order_id),
        )
        return None if row is None else self._orders.order(row[0])

    def get_order_sides(
        self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> OrderSides | None:
        """Return the stored order's snapshot and intent, or ``None`` if it is not stored."""
        row = self._row(
            "SELECT snapshot, intent FROM orders WHERE account = ? AND channel_order_id = ?",
            (account, jet_order_id),
        )
        if row is None:
            return None
        snapshot, intent = row
        return OrderSides(
            snapshot=None if snapshot is None else OrderSnapshot.from_json(decode_object(snapshot)),
            intent=None if intent is None else OrderIntent.from_json(decode_object(intent)),
        )

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
        where = ["account = ?"]
        params: list[object] = [account]
        if channel_statuses is not None:
            statuses = sorted(check_statuses(channel_statuses))
            if not statuses:
                return []
            where.append(f"channel_status IN ({', '.join('?' * len(statuses))})")
            params += statuses
        if after is not None:
            where.append("channel_order_id > ?")
            params.append(after)
        clause = " AND ".join(where)
        sql = f"SELECT body FROM orders WHERE {clause} ORDER BY channel_order_id"  # noqa: S608
        if size is not None:
            sql += " LIMIT ?"
            params.append(size)
        # Only fixed clauses and placeholders are formatted in; every value is a bound parameter.
        return [self._orders.order(body) for (body,) in self._rows(sql, params)]

    def order_keys(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> dict[str, OrderKey]:
        """Return Jet order id → Jet status and last-listed-cancelled, by id."""
        # Read from the covering index alone (never the rows), then sorted here.
        columns = (
            "SELECT channel_order_id, channel_status, listed_cancelled FROM orders"
            " INDEXED BY orders_by_channel_status"
        )
        if channel_statuses is None:
            rows = self._rows(f"{columns} WHERE account = ?", (account,))
        else:
            statuses = sorted(check_statuses(channel_statuses))
            if not statuses:
                return {}
            marks = ", ".join("?" * len(statuses))
            rows = self._rows(
                f"{columns} WHERE account = ? AND channel_status IN ({marks})",
                (account, *statuses),
            )
        return {
            order_id: order_key(status, bool(cancelled))
            for order_id, status, cancelled in sorted(rows)
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

        A few indexed reads on one snapshot: the listed ids by primary key, a count from the
        status index, and the turn as ranges of the status index; none grows with the orders
        stored beyond the count, which SQLite takes from the index alone.
        """
        ids = check_listed(listed, after, limit)
        statuses = None if channel_statuses is None else sorted(check_statuses(channel_statuses))
        if statuses == []:
            return ListedKeys()
        marks = "" if statuses is None else ", ".join("?" * len(statuses))
        in_statuses = "" if statuses is None else f" AND channel_status IN ({marks})"
        # Only fixed clauses and placeholders are formatted in; every value is a bound parameter.
        # With statuses, every part is read from the covering status index alone; the listed
        # ids then cost one index probe per status each, never a row (rows hold the JSON).
        lookup = (
            "SELECT channel_order_id, channel_status, listed_cancelled FROM orders"  # noqa: S608
            + ("" if statuses is None else " INDEXED BY orders_by_channel_status")
            + f" WHERE account = ?{in_statuses}"  # noqa: S608
            " AND channel_order_id IN (SELECT value FROM json_each(?)) ORDER BY channel_order_id"
        )
        count = (
            "SELECT count(*) FROM orders INDEXED BY orders_by_channel_status"  # noqa: S608
            f" WHERE account = ?{in_statuses}"
        )

        def work(conn: sqlite3.Connection) -> ListedKeys:
            def read(status: str | None, above: bool, n: int) -> list[tuple[str, str, object]]:
                # One status: a range of the status index; every status: of the primary key.
                where = (
                    " WHERE account = ?"
                    if status is None
                    else " INDEXED BY orders_by_channel_status"
                    " WHERE account = ? AND channel_status = ?"
                )
                where += " AND channel_order_id > ?" if above else " AND channel_order_id <= ?"
                return conn.execute(
                    "SELECT channel_order_id, channel_status, listed_cancelled FROM orders"  # noqa: S608
                    f"{where} ORDER BY channel_order_id LIMIT ?",
                    (account, *(() if status is None else (status,)), after, n),
                ).fetchall()

            # The ids are plain strings: the standard encoder writes them as the JSON1 reads them.
            rows = conn.execute(lookup, (account, *(statuses or ()), json.dumps(sorted(ids))))
            keys = {i: order_key(status, bool(cancelled)) for i, status, cancelled in rows}
            (total,) = conn.execute(count, (account, *(statuses or ()))).fetchone()
            unlisted = total - len(keys)
            # Ranges of the index only when some order is in no list (never on a small store).
            turn = {}
            if limit and unlisted:
                turn = turn_by_status(read, statuses, keys, after=after, limit=limit)
            return ListedKeys(keys=keys, unlisted=unlisted, turn=turn)

        return self._snapshot(work)

    # -- customers -------------------------------------------------------------------------------

    def upsert_customer(
        self, customer: Customer, *, account: str = DEFAULT_ACCOUNT
    ) -> UpsertResult:
        """Store ``customer`` by normalised email, merging into the one already stored."""
        key = customer.email  # normalised by Customer itself
        text = record_json(customer)
        with self.transaction():
            conn = self._conn()
            row = conn.execute(
                "SELECT body FROM customers WHERE account = ? AND email = ?", (account, key)
            ).fetchone()
            if row is None:
                result = UpsertResult.CREATED
            elif row[0] == text:
                # The very record stored: merging it in changes nothing, no need to read it.
                return UpsertResult.UNCHANGED
            else:
                existing = _customer(row[0])
                stored = merge_customer(existing, customer)
                if stored == existing:
                    return UpsertResult.UNCHANGED
                result, text = UpsertResult.UPDATED, record_json(stored)
            conn.execute(
                "INSERT INTO customers (account, email, body, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account, email) DO UPDATE SET body = excluded.body,"
                " updated_at = excluded.updated_at",
                (account, key, text, _time_text(self._now())),
            )
            return result

    def get_customer(self, email: str, *, account: str = DEFAULT_ACCOUNT) -> Customer | None:
        """Return the customer with this email, ignoring case and surrounding spaces."""
        row = self._row(
            "SELECT body FROM customers WHERE account = ? AND email = ?",
            (account, normalize_email(email)),
        )
        return None if row is None else _customer(row[0])

    def list_customers(self, *, account: str = DEFAULT_ACCOUNT) -> list[Customer]:
        """Return every stored customer ordered by normalised email."""
        rows = self._rows("SELECT body FROM customers WHERE account = ? ORDER BY email", (account,))
        return [_customer(body) for (body,) in rows]

    # -- outbox ----------------------------------------------------------------------------------

    _OUTBOX_COLUMNS = (
        "key, kind, target, payload, attempts, status, next_attempt_at, last_error,"
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
        with self.transaction():
            now = self._now()
            cursor = self._conn().execute(
                "INSERT INTO outbox (account, key, kind, target, payload, attempts, status,"
                " next_attempt_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)"
                " ON CONFLICT (account, key) DO NOTHING",
                (
                    account,
                    key,
                    kind,
                    target,
                    text,
                    PushStatus.PENDING.value,
                    _time_text(now if due_at is None else due_at),
                    _time_text(now),
                    _time_text(now),
                ),
            )
            return cursor.rowcount == 1

    def due(
        self,
        now: datetime | None = None,
        limit: int | None = None,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[OutboxEntry]:
        """Return unclaimed pending and failed entries due by ``now``, earliest first."""
        at = self._now() if now is None else check_aware(now, "now")
        rows = self._rows(
            f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608 - a constant column list
            " WHERE account = ? AND status != 'done' AND next_attempt_at IS NOT NULL"
            " AND next_attempt_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)"
            " ORDER BY next_attempt_at, created_at, seq LIMIT ?",
            (
                account,
                _time_text(at),
                _time_text(self._now()),
                -1 if limit is None else max(limit, 0),
            ),
        )
        return [_entry(row) for row in rows]

    def claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> OutboxEntry | None:
        """Take a due entry for ``owner`` until now + ``ttl``; ``None`` if it cannot be had."""
        check_ttl(ttl)
        with self.transaction():
            now = self._now()
            conn = self._conn()
            cursor = conn.execute(
                "UPDATE outbox SET claimed_by = ?, claim_expires_at = ?, claims = claims + 1"
                " WHERE account = ? AND key = ? AND status != 'done'"
                " AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?"
                " AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at <= ?)",
                (
                    owner,
                    _time_text(now + ttl),
                    account,
                    key,
                    _time_text(now),
                    owner,
                    _time_text(now),
                ),
            )
            if cursor.rowcount != 1:
                return None
            row = conn.execute(
                f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608
                " WHERE account = ? AND key = ?",
                (account, key),
            ).fetchone()
        return _entry(row)

    def renew_claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired claim; ``False`` if it is not held."""
        check_ttl(ttl)
        with self.transaction():
            now = self._now()
            cursor = self._conn().execute(
                "UPDATE outbox SET claim_expires_at = ? WHERE account = ? AND key = ?"
                " AND claimed_by = ? AND claim_expires_at > ?",
                (_time_text(now + ttl), account, key, owner, _time_text(now)),
            )
            return cursor.rowcount == 1

    def reschedule(
        self, key: str, next_attempt_at: datetime, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Move a waiting entry's next attempt without counting an attempt."""
        when = check_aware(next_attempt_at, "next_attempt_at")
        with self.transaction():
            now = _time_text(self._now())
            cursor = self._conn().execute(
                "UPDATE outbox SET next_attempt_at = ?, updated_at = ?"
                " WHERE account = ? AND key = ? AND status != 'done'"
                " AND next_attempt_at IS NOT NULL"
                " AND (claim_expires_at IS NULL OR claim_expires_at <= ?)",
                (_time_text(when), now, account, key, now),
            )
            return cursor.rowcount == 1

    def get_push(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> OutboxEntry | None:
        """Return the outbox entry with this key in whatever state it is, or ``None``."""
        row = self._row(
            f"SELECT {self._OUTBOX_COLUMNS} FROM outbox WHERE account = ? AND key = ?",  # noqa: S608
            (account, key),
        )
        return None if row is None else _entry(row)

    def pushes(
        self, *, status: PushStatus | None = None, account: str = DEFAULT_ACCOUNT
    ) -> list[OutboxEntry]:
        """Return outbox entries, optionally only in ``status``, in enqueue order."""
        if status is None:
            rows = self._rows(
                f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608
                " WHERE account = ? ORDER BY seq",
                (account,),
            )
        else:
            rows = self._rows(
                f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"  # noqa: S608
                " WHERE account = ? AND status = ? ORDER BY seq",
                (account, status.value),
            )
        return [_entry(row) for row in rows]

    def _outbox_state(self, key: str, account: str) -> tuple[str, str | None, str | None]:
        row = (
            self._conn()
            .execute(
                "SELECT status, claimed_by, claim_expires_at FROM outbox"
                " WHERE account = ? AND key = ?",
                (account, key),
            )
            .fetchone()
        )
        if row is None:
            raise RecordNotFound(f"no outbox entry with key {key!r}; enqueue it first")
        return row[0], row[1], row[2]

    def mark_done(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Record that the push took effect; it never becomes due again."""
        with self.transaction():
            status, _, _ = self._outbox_state(key, account)
            if status == PushStatus.DONE.value:
                return
            self._conn().execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = NULL,"
                " updated_at = ?, claimed_by = NULL, claim_expires_at = NULL"
                " WHERE account = ? AND key = ?",
                (PushStatus.DONE.value, _time_text(self._now()), account, key),
            )

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
        with self.transaction():
            now = _time_text(self._now())
            status, holder, expires = self._outbox_state(key, account)
            if status == PushStatus.DONE.value:
                return False
            held = holder is not None and holder != owner and expires is not None and expires > now
            if owner is not None and held:
                return False
            self._conn().execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?,"
                " last_error = ?, updated_at = ?, claimed_by = NULL, claim_expires_at = NULL"
                " WHERE account = ? AND key = ?",
                (
                    PushStatus.FAILED.value,
                    None if retry_at is None else _time_text(retry_at),
                    error,
                    now,
                    account,
                    key,
                ),
            )
            return True

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
        self._set_many("pushed_stock", "quantity", rows, account)

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
        rows = [
            (sku, node, str(check_price(sku, node, price))) for (sku, node), price in values.items()
        ]
        self._set_many("pushed_price", "price", rows, account)

    def _many(
        self, table: str, column: str, keys: Iterable[PushedKey], account: str
    ) -> Iterator[Any]:
        wanted = list(dict.fromkeys(keys))
        for chunk in _chunks(wanted, _CHUNK):
            pairs = ", ".join(["(?, ?)"] * len(chunk))
            params = [account, *(part for key in chunk for part in key)]
            # Table and column names are this module's constants; values are bound parameters.
            sql = (
                f"SELECT sku, node, {column} FROM {table}"  # noqa: S608
                f" WHERE account = ? AND (sku, node) IN (VALUES {pairs})"
            )
            for sku, node, value in self._rows(sql, params):
                yield (sku, node), value

    def _set_many(
        self, table: str, column: str, rows: Sequence[tuple[str, str, object]], account: str
    ) -> None:
        if not rows:
            return
        pushed_at = _time_text(self._now())
        with self.transaction():
            self._conn().executemany(
                f"INSERT INTO {table} (account, sku, node, {column}, pushed_at)"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?)"
                f" ON CONFLICT (account, sku, node) DO UPDATE SET {column} = excluded.{column},"
                " pushed_at = excluded.pushed_at",
                [(account, *row, pushed_at) for row in rows],
            )

    # -- linked SKUs -----------------------------------------------------------------------------

    def link_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Start managing ``sku``; ``False`` if it was already linked."""
        with self.transaction():
            cursor = self._conn().execute(
                "INSERT INTO linked_skus (account, sku, archived, linked_at) VALUES (?, ?, 0, ?)"
                " ON CONFLICT (account, sku) DO NOTHING",
                (account, sku, _time_text(self._now())),
            )
            return cursor.rowcount == 1

    def link_skus(self, skus: Iterable[str], *, account: str = DEFAULT_ACCOUNT) -> list[str]:
        """Link many SKUs at once; return the newly linked ones in the order first given."""
        wanted = list(dict.fromkeys(skus))
        if not wanted:
            return []
        linked_at = _time_text(self._now())
        with self.transaction():
            conn = self._conn()
            known: set[str] = set()
            for start in range(0, len(wanted), _CHUNK):
                batch = wanted[start : start + _CHUNK]
                marks = ", ".join("?" * len(batch))
                rows = conn.execute(
                    f"SELECT sku FROM linked_skus WHERE account = ? AND sku IN ({marks})",  # noqa: S608
                    (account, *batch),
                ).fetchall()
                known.update(row[0] for row in rows)
            newly = [sku for sku in wanted if sku not in known]
            conn.executemany(
                "INSERT INTO linked_skus (account, sku, archived, linked_at) VALUES (?, ?, 0, ?)",
                [(account, sku, linked_at) for sku in newly],
            )
            return newly

    def get_linked_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> LinkedSku | None:
        """Return the linked SKU record, or ``None``."""
        row = self._row(
            "SELECT sku, archived, archived_at, linked_at FROM linked_skus"
            " WHERE account = ? AND sku = ?",
            (account, sku),
        )
        return None if row is None else _linked(row)

    def linked_skus(self, *, account: str = DEFAULT_ACCOUNT) -> list[LinkedSku]:
        """Return every linked SKU ordered by SKU."""
        rows = self._rows(
            "SELECT sku, archived, archived_at, linked_at FROM linked_skus"
            " WHERE account = ? ORDER BY sku",
            (account,),
        )
        return [_linked(row) for row in rows]

    def set_sku_archived(self, sku: str, archived: bool, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Set the archived flag of a linked SKU; ``True`` if it changed."""
        with self.transaction():
            conn = self._conn()
            row = conn.execute(
                "SELECT archived FROM linked_skus WHERE account = ? AND sku = ?", (account, sku)
            ).fetchone()
            if row is None:
                raise RecordNotFound(f"SKU {sku!r} is not linked; call link_sku first")
            if bool(row[0]) == archived:
                return False
            conn.execute(
                "UPDATE linked_skus SET archived = ?, archived_at = ?"
                " WHERE account = ? AND sku = ?",
                (int(archived), _time_text(self._now()) if archived else None, account, sku),
            )
            return True

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
        with self.transaction():
            now = _time_text(self._now())
            conn = self._conn()
            conn.execute(
                "INSERT INTO quarantine (account, kind, external_id, payload, reason, first_seen,"
                " last_seen, times_seen) VALUES (?, ?, ?, ?, ?, ?, ?, 1)"
                " ON CONFLICT (account, kind, external_id) DO UPDATE SET"
                " payload = excluded.payload, reason = excluded.reason,"
                " last_seen = excluded.last_seen, times_seen = times_seen + 1",
                (account, kind, external_id, bytes(payload), reason, now, now),
            )
            row = conn.execute(
                f"SELECT {self._QUARANTINE_COLUMNS} FROM quarantine"  # noqa: S608
                " WHERE account = ? AND kind = ? AND external_id = ?",
                (account, kind, external_id),
            ).fetchone()
        return _quarantined(row)

    def get_quarantined(
        self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> QuarantineEntry | None:
        """Return the quarantined record, or ``None``."""
        row = self._row(
            f"SELECT {self._QUARANTINE_COLUMNS} FROM quarantine"  # noqa: S608
            " WHERE account = ? AND kind = ? AND external_id = ?",
            (account, kind, external_id),
        )
        return None if row is None else _quarantined(row)

    def quarantined(
        self, kind: str | None = None, *, account: str = DEFAULT_ACCOUNT
    ) -> list[QuarantineEntry]:
        """Return quarantined records, optionally of one kind, ordered by first seen."""
        order = " ORDER BY first_seen, kind, external_id"
        if kind is None:
            rows = self._rows(
                f"SELECT {self._QUARANTINE_COLUMNS} FROM quarantine WHERE account = ?{order}",  # noqa: S608
                (account,),
            )
        else:
            rows = self._rows(
                f"SELECT {self._QUARANTINE_COLUMNS} FROM quarantine"  # noqa: S608
                f" WHERE account = ? AND kind = ?{order}",
                (account, kind),
            )
        return [_quarantined(row) for row in rows]

    def release(self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Remove a record from quarantine; ``False`` if it was not there."""
        with self.transaction():
            cursor = self._conn().execute(
                "DELETE FROM quarantine WHERE account = ? AND kind = ? AND external_id = ?",
                (account, kind, external_id),
            )
            return cursor.rowcount == 1

    # -- sync state ------------------------------------------------------------------------------

    def get_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> str | None:
        """Return a piece of sync state, or ``None``."""
        row = self._row(
            "SELECT value FROM sync_state WHERE account = ? AND key = ?", (account, key)
        )
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Set a piece of sync state."""
        if not isinstance(value, str):
            raise JetOrderhiveTypeError(f"state {key!r} must be a str, got {type(value).__name__}")
        with self.transaction():
            self._conn().execute(
                "INSERT INTO sync_state (account, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (account, key) DO UPDATE SET value = excluded.value",
                (account, key, value),
            )

    def delete_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Delete a piece of sync state; ``False`` if it was not set."""
        with self.transaction():
            cursor = self._conn().execute(
                "DELETE FROM sync_state WHERE account = ? AND key = ?", (account, key)
            )
            return cursor.rowcount == 1

    # -- leases ----------------------------------------------------------------------------------

    def acquire_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Take the lease if it is free, expired or already ``owner``'s."""
        check_ttl(ttl)
        with self.transaction():
            now = self._now()
            cursor = self._conn().execute(
                "INSERT INTO leases (account, name, owner, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (account, name) DO UPDATE SET owner = excluded.owner,"
                " expires_at = excluded.expires_at"
                " WHERE leases.owner = excluded.owner OR leases.expires_at <= ?",
                (account, name, owner, _time_text(now + ttl), _time_text(now)),
            )
            return cursor.rowcount == 1

    def renew_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired lease; ``False`` if it is not held."""
        check_ttl(ttl)
        with self.transaction():
            now = self._now()
            cursor = self._conn().execute(
                "UPDATE leases SET expires_at = ? WHERE account = ? AND name = ? AND owner = ?"
                " AND expires_at > ?",
                (_time_text(now + ttl), account, name, owner, _time_text(now)),
            )
            return cursor.rowcount == 1

    def release_lease(self, name: str, owner: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Give the lease up; ``False`` unless ``owner`` holds it."""
        with self.transaction():
            cursor = self._conn().execute(
                "DELETE FROM leases WHERE account = ? AND name = ? AND owner = ?",
                (account, name, owner),
            )
            return cursor.rowcount == 1


def _side_json(value: Mapping[str, JsonValue]) -> str:
    return _json.dumps(value, sort_keys=True)


def _customer(body: str) -> Customer:
    return _rows.customer(body)


def _entry(row: Any) -> OutboxEntry:
    return _rows.outbox_entry(row, _time_value)


def _linked(row: Any) -> LinkedSku:
    return _rows.linked_sku(row, _time_value)


def _quarantined(row: Any) -> QuarantineEntry:
    return _rows.quarantined(row, _time_value)
