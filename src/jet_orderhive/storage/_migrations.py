"""The SQLite schema as an ordered list of migrations; ``PRAGMA user_version`` counts those applied.

Append a new tuple to change the schema; never edit one that was released, because databases in
the field already ran it.
"""

from __future__ import annotations

import sqlite3

from jet_orderhive.storage.errors import UnsupportedSchemaError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
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
    ),
)

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
