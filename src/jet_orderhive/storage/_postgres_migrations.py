"""The PostgreSQL schema as an ordered list of migrations; ``schema_version`` counts those applied.

Append a new tuple to change the schema; never edit one that was released, because databases in
the field already ran it. Every statement is constant SQL: the adapter runs them inside its own
schema (``search_path``), in one transaction, under an advisory lock.

Text keys use the ``"C"`` collation, so ``ORDER BY`` sorts by code point as the other adapters
do (and as Python sorts), whatever locale the database was created with. JSON is stored as
``json`` (the exact text, still queryable with ``->``): money stays the exact decimal digits the
library wrote, and equal text means an unchanged record. An order row holds the host view
(``body``) and the two sides, Jet's ``snapshot`` and the host's ``intent``; ``listed_cancelled``
copies the snapshot's flag so the keys-only read never parses JSON.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

_V1: tuple[str, ...] = (
    """
    CREATE TABLE orders (
        account text COLLATE "C" NOT NULL,
        channel_order_id text COLLATE "C" NOT NULL,
        channel_status text COLLATE "C" NOT NULL,
        order_status text COLLATE "C" NOT NULL,
        body json NOT NULL,
        snapshot json,
        intent json,
        listed_cancelled boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (account, channel_order_id)
    )
    """,
    "CREATE INDEX orders_by_channel_status ON orders (account, channel_status, channel_order_id)",
    "CREATE INDEX orders_by_order_status ON orders (account, order_status)",
    "CREATE INDEX orders_by_updated_at ON orders (account, updated_at)",
    """
    CREATE TABLE customers (
        account text COLLATE "C" NOT NULL,
        email text COLLATE "C" NOT NULL,
        body json NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (account, email)
    )
    """,
    """
    CREATE TABLE outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        kind text NOT NULL,
        target text NOT NULL,
        payload json NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        status text NOT NULL,
        next_attempt_at timestamptz,
        last_error text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        claimed_by text,
        claim_expires_at timestamptz,
        claims integer NOT NULL DEFAULT 0,
        UNIQUE (account, key)
    )
    """,
    """
    CREATE INDEX outbox_due ON outbox (account, next_attempt_at, created_at, seq)
    WHERE status <> 'done' AND next_attempt_at IS NOT NULL
    """,
    "CREATE INDEX outbox_by_status ON outbox (account, status, seq)",
    """
    CREATE TABLE pushed_stock (
        account text COLLATE "C" NOT NULL,
        sku text COLLATE "C" NOT NULL,
        node text COLLATE "C" NOT NULL,
        quantity bigint NOT NULL,
        pushed_at timestamptz NOT NULL,
        PRIMARY KEY (account, sku, node)
    )
    """,
    """
    CREATE TABLE pushed_price (
        account text COLLATE "C" NOT NULL,
        sku text COLLATE "C" NOT NULL,
        node text COLLATE "C" NOT NULL,
        price numeric NOT NULL,
        pushed_at timestamptz NOT NULL,
        PRIMARY KEY (account, sku, node)
    )
    """,
    """
    CREATE TABLE linked_skus (
        account text COLLATE "C" NOT NULL,
        sku text COLLATE "C" NOT NULL,
        archived boolean NOT NULL DEFAULT false,
        archived_at timestamptz,
        linked_at timestamptz NOT NULL,
        PRIMARY KEY (account, sku)
    )
    """,
    """
    CREATE TABLE quarantine (
        account text COLLATE "C" NOT NULL,
        kind text COLLATE "C" NOT NULL,
        external_id text COLLATE "C" NOT NULL,
        payload bytea NOT NULL,
        reason text NOT NULL,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        times_seen integer NOT NULL,
        PRIMARY KEY (account, kind, external_id)
    )
    """,
    """
    CREATE TABLE sync_state (
        account text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (account, key)
    )
    """,
    """
    CREATE TABLE leases (
        account text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        owner text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (account, name)
    )
    """,
)

_V2: tuple[str, ...] = (
    # No query reads orders by Orderhive status or by update time; without those indexes an
    # update writes fewer index entries (and can stay a heap-only update).
    "DROP INDEX IF EXISTS orders_by_order_status",
    "DROP INDEX IF EXISTS orders_by_updated_at",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)

SCHEMA_VERSION = len(MIGRATIONS)
