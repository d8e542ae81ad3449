"""The SQLite schema as an ordered list of migrations; ``PRAGMA user_version`` counts those applied.

Append a new tuple to change the schema; never edit one that was released, because databases in
the field already ran it.
"""

from __future__ import annotations

import sqlite3

from jet_orderhive.storage.errors import UnsupportedSchemaError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

_V1: tuple[str, ...] = (
    """
        CREATE TABLE orders (
            channel_order_id TEXT PRIMARY KEY,
            channel_status TEXT NOT NULL,
            order_status TEXT NOT NULL,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
    "CREATE INDEX orders_by_channel_status ON orders (channel_status)",
    "CREATE INDEX orders_by_order_status ON orders (order_status)",
    "CREATE INDEX orders_by_updated_at ON orders (updated_at)",
    """
        CREATE TABLE customers (
            email TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
    """
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            payload TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,
            next_attempt_at TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
    """
        CREATE INDEX outbox_due ON outbox (next_attempt_at, created_at, seq)
        WHERE status != 'done' AND next_attempt_at IS NOT NULL
        """,
    """
        CREATE TABLE pushed_stock (
            sku TEXT NOT NULL,
            node TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            pushed_at TEXT NOT NULL,
            PRIMARY KEY (sku, node)
        )
        """,
    """
        CREATE TABLE pushed_price (
            sku TEXT NOT NULL,
            node TEXT NOT NULL,
            price TEXT NOT NULL,
            pushed_at TEXT NOT NULL,
            PRIMARY KEY (sku, node)
        )
        """,
    """
        CREATE TABLE linked_skus (
            sku TEXT PRIMARY KEY,
            archived INTEGER NOT NULL DEFAULT 0,
            archived_at TEXT,
            linked_at TEXT NOT NULL
        )
        """,
    """
        CREATE TABLE quarantine (
            kind TEXT NOT NULL,
            external_id TEXT NOT NULL,
            payload BLOB NOT NULL,
            reason TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            times_seen INTEGER NOT NULL,
            PRIMARY KEY (kind, external_id)
        )
        """,
    "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )
        """,
)

# Version 2 scopes every record by merchant account and moves the outbox's in-flight marks onto
# the rows as claims. The 0.1 engine named its sync-state keys "<account>:import:...",
# "<account>:returns:..." and "<account>:outbox:inflight:..." and its lease "<account>:run_once";
# only those shapes say which account a key is about (an account name may itself hold ':').
# Rows written before it (orders, customers, outbox, ...) belong to the one account those keys
# name, or to "default" when they name none or several; any other key or lease moves there too.
_STATE_MARKS = (":import:", ":returns:", ":outbox:inflight:")


def _split_at(column: str) -> str:
    """SQL: where the account prefix of an engine-written sync-state key ends (0: none)."""
    cases = " ".join(
        f"WHEN instr({column}, '{mark}') > 1 THEN instr({column}, '{mark}')"
        for mark in _STATE_MARKS
    )
    return f"(CASE {cases} ELSE 0 END)"


_LEASE_SPLIT = "(CASE WHEN name LIKE '%_:run_once' THEN length(name) - 8 ELSE 0 END)"
_STATE_SPLIT = _split_at("key")

_ACCOUNT_OF_OLD_ROWS = f"""
    SELECT CASE WHEN COUNT(DISTINCT account) = 1 THEN MIN(account) ELSE 'default' END AS account
    FROM (SELECT substr(key, 1, {_STATE_SPLIT} - 1) AS account FROM sync_state
          WHERE {_STATE_SPLIT} > 0
          UNION ALL
          SELECT substr(name, 1, {_LEASE_SPLIT} - 1) FROM leases WHERE {_LEASE_SPLIT} > 0)
"""  # noqa: S608 - only this module's constant SQL fragments are formatted in

_V2: tuple[str, ...] = (
    f"CREATE TEMP TABLE old_account AS {_ACCOUNT_OF_OLD_ROWS.strip()}",
    """
    CREATE TABLE orders_v2 (
        account TEXT NOT NULL,
        channel_order_id TEXT NOT NULL,
        channel_status TEXT NOT NULL,
        order_status TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, channel_order_id)
    )
    """,
    """
    INSERT INTO orders_v2 SELECT (SELECT account FROM old_account), channel_order_id,
        channel_status, order_status, body, updated_at FROM orders
    """,
    "DROP TABLE orders",
    "ALTER TABLE orders_v2 RENAME TO orders",
    "CREATE INDEX orders_by_channel_status ON orders (account, channel_status)",
    "CREATE INDEX orders_by_order_status ON orders (account, order_status)",
    "CREATE INDEX orders_by_updated_at ON orders (account, updated_at)",
    """
    CREATE TABLE customers_v2 (
        account TEXT NOT NULL,
        email TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, email)
    )
    """,
    """
    INSERT INTO customers_v2 SELECT (SELECT account FROM old_account), email, body, updated_at
    FROM customers
    """,
    "DROP TABLE customers",
    "ALTER TABLE customers_v2 RENAME TO customers",
    """
    CREATE TABLE outbox_v2 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        next_attempt_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        claimed_by TEXT,
        claim_expires_at TEXT,
        claims INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account, key)
    )
    """,
    # An entry marked in flight may have reached Jet: two claims make the engine re-read it.
    """
    INSERT INTO outbox_v2 (seq, account, key, kind, target, payload, attempts, status,
        next_attempt_at, last_error, created_at, updated_at, claims)
    SELECT seq, (SELECT account FROM old_account), key, kind, target, payload, attempts,
        status, next_attempt_at, last_error, created_at, updated_at,
        CASE WHEN EXISTS (SELECT 1 FROM sync_state
                          WHERE sync_state.key LIKE '%:outbox:inflight:%'
                          AND substr(sync_state.key, instr(sync_state.key, ':outbox:inflight:')
                                     + 17) = outbox.key)
             THEN 2 ELSE 0 END
    FROM outbox
    """,
    "DROP TABLE outbox",
    "ALTER TABLE outbox_v2 RENAME TO outbox",
    """
    CREATE INDEX outbox_due ON outbox (account, next_attempt_at, created_at, seq)
    WHERE status != 'done' AND next_attempt_at IS NOT NULL
    """,
    """
    CREATE TABLE pushed_stock_v2 (
        account TEXT NOT NULL,
        sku TEXT NOT NULL,
        node TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        pushed_at TEXT NOT NULL,
        PRIMARY KEY (account, sku, node)
    )
    """,
    """
    INSERT INTO pushed_stock_v2 SELECT (SELECT account FROM old_account), sku, node, quantity,
        pushed_at FROM pushed_stock
    """,
    "DROP TABLE pushed_stock",
    "ALTER TABLE pushed_stock_v2 RENAME TO pushed_stock",
    """
    CREATE TABLE pushed_price_v2 (
        account TEXT NOT NULL,
        sku TEXT NOT NULL,
        node TEXT NOT NULL,
        price TEXT NOT NULL,
        pushed_at TEXT NOT NULL,
        PRIMARY KEY (account, sku, node)
    )
    """,
    """
    INSERT INTO pushed_price_v2 SELECT (SELECT account FROM old_account), sku, node, price,
        pushed_at FROM pushed_price
    """,
    "DROP TABLE pushed_price",
    "ALTER TABLE pushed_price_v2 RENAME TO pushed_price",
    """
    CREATE TABLE linked_skus_v2 (
        account TEXT NOT NULL,
        sku TEXT NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0,
        archived_at TEXT,
        linked_at TEXT NOT NULL,
        PRIMARY KEY (account, sku)
    )
    """,
    """
    INSERT INTO linked_skus_v2 SELECT (SELECT account FROM old_account), sku, archived,
        archived_at, linked_at FROM linked_skus
    """,
    "DROP TABLE linked_skus",
    "ALTER TABLE linked_skus_v2 RENAME TO linked_skus",
    """
    CREATE TABLE quarantine_v2 (
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        external_id TEXT NOT NULL,
        payload BLOB NOT NULL,
        reason TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        times_seen INTEGER NOT NULL,
        PRIMARY KEY (account, kind, external_id)
    )
    """,
    """
    INSERT INTO quarantine_v2 SELECT (SELECT account FROM old_account), kind, external_id,
        payload, reason, first_seen, last_seen, times_seen FROM quarantine
    """,
    "DROP TABLE quarantine",
    "ALTER TABLE quarantine_v2 RENAME TO quarantine",
    """
    CREATE TABLE sync_state_v2 (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (account, key)
    )
    """,
    # "<account>:<name>" becomes (account, name); in-flight marks became claims above.
    f"""
    INSERT INTO sync_state_v2
    SELECT CASE WHEN {_STATE_SPLIT} > 0 THEN substr(key, 1, {_STATE_SPLIT} - 1)
                ELSE (SELECT account FROM old_account) END,
           CASE WHEN {_STATE_SPLIT} > 0 THEN substr(key, {_STATE_SPLIT} + 1) ELSE key END,
           value
    FROM sync_state WHERE key NOT LIKE '%_:outbox:inflight:%'
    """,  # noqa: S608
    "DROP TABLE sync_state",
    "ALTER TABLE sync_state_v2 RENAME TO sync_state",
    """
    CREATE TABLE leases_v2 (
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        owner TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (account, name)
    )
    """,
    f"""
    INSERT INTO leases_v2
    SELECT CASE WHEN {_LEASE_SPLIT} > 0 THEN substr(name, 1, {_LEASE_SPLIT} - 1)
                ELSE (SELECT account FROM old_account) END,
           CASE WHEN {_LEASE_SPLIT} > 0 THEN substr(name, {_LEASE_SPLIT} + 1) ELSE name END,
           owner, expires_at
    FROM leases
    """,  # noqa: S608
    "DROP TABLE leases",
    "ALTER TABLE leases_v2 RENAME TO leases",
    "DROP TABLE temp.old_account",
)

_V3: tuple[str, ...] = (
    # Each order keeps Jet's side (snapshot) and the host's side (intent) beside its view.
    # Rows written before have neither; the engine reads Jet's side from the view until the
    # next import of the order writes one.
    "ALTER TABLE orders ADD COLUMN snapshot TEXT",
    "ALTER TABLE orders ADD COLUMN intent TEXT",
    "ALTER TABLE orders ADD COLUMN listed_cancelled INTEGER NOT NULL DEFAULT 0",
    # order_keys reads (id, status, listed_cancelled) from this index alone, never the rows.
    "DROP INDEX orders_by_channel_status",
    """
    CREATE INDEX orders_by_channel_status
    ON orders (account, channel_status, channel_order_id, listed_cancelled)
    """,
    # The id list of orders seen in an isCancelled=true list moves onto the rows.
    """
    UPDATE orders SET listed_cancelled = 1 WHERE EXISTS (
        SELECT 1 FROM sync_state AS s, json_each(s.value) AS j
        WHERE s.account = orders.account AND s.key = 'import:listed_cancelled'
          AND json_valid(s.value) AND j.value = orders.channel_order_id
    )
    """,
    # Kept per order now (the snapshot's returns, re-read by the next import_returns), or
    # no longer needed (refresh lists: a view is derived from both sides on every import).
    """
    DELETE FROM sync_state
    WHERE key IN ('import:listed_cancelled', 'import:refresh') OR key LIKE 'returns:%'
    """,
)

_V4: tuple[str, ...] = (
    # No query reads orders by Orderhive status or by update time, and every index costs each
    # stored order one more page to write and sync at commit.
    "DROP INDEX IF EXISTS orders_by_order_status",
    "DROP INDEX IF EXISTS orders_by_updated_at",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Apply the migrations ``conn``'s database lacks; call inside a write transaction.

    Returns the version the database was at before. Raises `UnsupportedSchemaError` for a
    database written by a newer release, rather than guessing at a schema it does not know.
    """
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    if current > SCHEMA_VERSION:
        raise UnsupportedSchemaError(
            f"{path} has storage schema version {current}, but this jet_orderhive knows only "
            f"up to {SCHEMA_VERSION}; upgrade jet_orderhive to open it"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version - 1]:
            conn.execute(statement)
        # PRAGMA takes no parameters; `version` is an int from this module, not input.
        conn.execute(f"PRAGMA user_version = {int(version)}")
    return int(current)
