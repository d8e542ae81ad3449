"""The `Storage` protocol: everything the sync engine persists, with the semantics it relies on.

A host application implements `Storage` over its own database (or uses `MemoryStorage` /
`SQLiteStorage`). `jet_orderhive.testing.storage_kit.StorageContract` pins every promise written
here as a test, so an adapter that passes the kit is one the engine can trust.

Conventions every method follows:

- Datetimes given to and returned by a storage are timezone-aware; naive ones raise
  ``ValueError``. "Now" always comes from the adapter's injectable ``clock``.
- Outside ``transaction()`` each call commits on its own; inside, nothing is visible to other
  connections until the outermost block commits.
- Unknown keys passed to the ``mark_*`` and ``set_sku_archived`` methods raise ``KeyError``,
  because they mean the caller lost track of what it stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeAlias, runtime_checkable

from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.models import Customer, SalesOrder
from jet_orderhive.storage.records import (
    LinkedSku,
    OutboxEntry,
    PushedKey,
    PushStatus,
    QuarantineEntry,
    UpsertResult,
)

__all__ = ["Clock", "Storage"]

Clock: TypeAlias = Callable[[], datetime]
"""Returns the current time as an aware datetime; adapters take one so tests control time."""


@runtime_checkable
class Storage(Protocol):
    """Persistence for the sync engine: orders, customers, outbox, pushed values, state, leases."""

    # -- unit of work ------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Run a block as one atomic unit: everything in it commits together or not at all.

        Nested use joins the outermost block. An exception escaping any block rolls back
        everything done since the outermost block began; if an inner block raised and the outer
        code swallowed the exception, the outermost exit rolls back and raises
        `TransactionAborted`. A transaction belongs to the thread that opened it.
        """
        ...

    # -- orders --------------------------------------------------------------------------------

    def upsert_order(self, order: SalesOrder) -> UpsertResult:
        """Store ``order`` under its Jet order id (``channel_order_id``), replacing any older copy.

        Returns ``CREATED`` for a new id, ``UNCHANGED`` when the stored copy serialises exactly
        like ``order`` (the stored record is left untouched), ``UPDATED`` otherwise.
        """
        ...

    def get_order(self, jet_order_id: str) -> SalesOrder | None:
        """Return the stored order with this Jet order id, or ``None``."""
        ...

    def list_orders(self, *, channel_statuses: Collection[str] | None = None) -> list[SalesOrder]:
        """Return stored orders by Jet order id, optionally only those in these Jet statuses.

        ``channel_statuses`` holds raw Jet statuses (``"acknowledged"``, ``"inprogress"``, ...) as
        stored in ``SalesOrder.channel_status``; an empty collection returns nothing. A bare
        string raises ``TypeError``: it would otherwise be read as a collection of characters.
        """
        ...

    # -- customers -----------------------------------------------------------------------------

    def upsert_customer(self, customer: Customer) -> UpsertResult:
        """Store ``customer`` keyed by normalised email, merging into an existing one.

        Merging keeps the stored values where ``customer`` has none, takes ``customer``'s values
        where it has them, and accumulates addresses without duplicates. Returns ``UNCHANGED``
        when the merge changes nothing.
        """
        ...

    def get_customer(self, email: str) -> Customer | None:
        """Return the customer with this email (normalised first: case and spaces ignored)."""
        ...

    def list_customers(self) -> list[Customer]:
        """Return every stored customer ordered by normalised email."""
        ...

    # -- outbox of pushes to Jet -----------------------------------------------------------------

    def enqueue(
        self,
        key: str,
        *,
        kind: str,
        target: str,
        payload: Mapping[str, JsonValue],
        not_before: datetime | None = None,
    ) -> bool:
        """Record a push to send; ``False`` (and nothing changes) if ``key`` was ever enqueued.

        The key is remembered in every state, so a push that is done is never enqueued again.
        The entry becomes due at ``not_before`` (default: now). ``payload`` must be JSON-ready
        (``Decimal`` for money, no floats) and comes back equal from `get_push` / `due`.
        """
        ...

    def due(self, now: datetime | None = None, limit: int | None = None) -> list[OutboxEntry]:
        """Return pending and failed entries with ``next_attempt_at <= now`` (default: clock).

        Ordered by ``next_attempt_at``, then creation time, then enqueue order; at most
        ``limit`` entries. Done entries and given-up entries never appear.
        """
        ...

    def get_push(self, key: str) -> OutboxEntry | None:
        """Return the outbox entry with this key in whatever state it is, or ``None``."""
        ...

    def pushes(self, *, status: PushStatus | None = None) -> list[OutboxEntry]:
        """Return outbox entries (optionally only in ``status``) in enqueue order, for reports."""
        ...

    def mark_done(self, key: str) -> None:
        """Record that the push was sent and took effect; it never becomes due again.

        Counts one attempt and clears ``next_attempt_at``. Marking a done entry again does
        nothing.
        """
        ...

    def mark_failed(self, key: str, error: str, next_attempt_at: datetime | None) -> None:
        """Record a failed attempt: ``FAILED``, ``error`` kept, due again at ``next_attempt_at``.

        ``next_attempt_at=None`` gives up: the entry stays ``FAILED`` and is never due again.
        A done entry stays done (a late failure report cannot resurrect it).
        """
        ...

    # -- last-pushed stock and price -----------------------------------------------------------

    def get_pushed_stock(self, sku: str, node: str) -> int | None:
        """Return the stock last pushed for ``sku`` at fulfillment node ``node``, or ``None``."""
        ...

    def set_pushed_stock(self, sku: str, node: str, quantity: int) -> None:
        """Remember that ``quantity`` (a non-negative int) was pushed for ``sku`` at ``node``."""
        ...

    def pushed_stock_many(self, keys: Iterable[PushedKey]) -> dict[PushedKey, int]:
        """Return the last-pushed stock for each ``(sku, node)`` that has one, in one round trip."""
        ...

    def set_pushed_stock_many(self, values: Mapping[PushedKey, int]) -> None:
        """Remember many pushed stock levels at once (atomically)."""
        ...

    def get_pushed_price(self, sku: str, node: str | None = None) -> Decimal | None:
        """Return the price last pushed for ``sku`` at ``node`` (``None`` or ``""``: SKU level)."""
        ...

    def set_pushed_price(self, sku: str, node: str | None, price: Decimal) -> None:
        """Remember that ``price`` (a finite ``Decimal``) was pushed for ``sku`` at ``node``."""
        ...

    def pushed_price_many(self, keys: Iterable[PushedKey]) -> dict[PushedKey, Decimal]:
        """Return the last-pushed price for each ``(sku, node)`` that has one; node ``""``: SKU."""
        ...

    def set_pushed_price_many(self, values: Mapping[PushedKey, Decimal]) -> None:
        """Remember many pushed prices at once (atomically)."""
        ...

    # -- linked SKUs -----------------------------------------------------------------------------

    def link_sku(self, sku: str) -> bool:
        """Start managing ``sku``; ``False`` if it was already linked (its flag is kept)."""
        ...

    def get_linked_sku(self, sku: str) -> LinkedSku | None:
        """Return the linked SKU record, or ``None`` if ``sku`` is not linked."""
        ...

    def linked_skus(self) -> list[LinkedSku]:
        """Return every linked SKU ordered by SKU."""
        ...

    def set_sku_archived(self, sku: str, archived: bool) -> bool:
        """Set the archived flag of a linked SKU; ``True`` if the flag changed.

        Raises ``KeyError`` for a SKU that is not linked.
        """
        ...

    # -- quarantine ------------------------------------------------------------------------------

    def quarantine(
        self, kind: str, external_id: str, payload: bytes, reason: str
    ) -> QuarantineEntry:
        """Keep a record that failed to parse or map, with its raw bytes, and return the entry.

        Quarantining the same ``(kind, external_id)`` again replaces payload and reason, moves
        ``last_seen`` to now, counts ``times_seen`` and keeps ``first_seen``.
        """
        ...

    def get_quarantined(self, kind: str, external_id: str) -> QuarantineEntry | None:
        """Return the quarantined record, or ``None``."""
        ...

    def quarantined(self, kind: str | None = None) -> list[QuarantineEntry]:
        """Return quarantined records (optionally of one kind) ordered by first seen."""
        ...

    def release(self, kind: str, external_id: str) -> bool:
        """Remove a record from quarantine; ``False`` if it was not there."""
        ...

    # -- sync state ------------------------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        """Return a small piece of sync state (a cursor, the last run), or ``None``."""
        ...

    def set_state(self, key: str, value: str) -> None:
        """Set a piece of sync state, replacing any previous value."""
        ...

    def delete_state(self, key: str) -> bool:
        """Delete a piece of sync state; ``False`` if it was not set."""
        ...

    # -- leases ----------------------------------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Take the lease ``name`` for ``ttl`` if it is free, expired or already ``owner``'s.

        Returns ``False`` while another owner holds an unexpired lease. Re-acquiring one's own
        lease extends it. ``ttl`` must be positive.
        """
        ...

    def renew_lease(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Extend ``owner``'s unexpired lease to now + ``ttl``; ``False`` if it is not held.

        An expired lease cannot be renewed: another worker may already have taken it, so the
        owner must `acquire_lease` again.
        """
        ...

    def release_lease(self, name: str, owner: str) -> bool:
        """Give the lease up; ``False`` (and nothing changes) unless ``owner`` holds it."""
        ...
