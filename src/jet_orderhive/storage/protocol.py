"""The `Storage` protocol: everything the sync engine persists, with the semantics it relies on.

A host application implements `Storage` over its own database (or uses `MemoryStorage` /
`SQLiteStorage`). `jet_orderhive.testing.storage_kit.StorageContract` pins every promise written
here as a test, so an adapter that passes the kit is one the engine can trust.

Conventions every method follows:

- Datetimes given to and returned by a storage are timezone-aware; naive ones raise
  ``ValueError``. "Now" always comes from the adapter's injectable ``clock``.
- Outside ``transaction()`` each call commits on its own; inside, nothing is visible to other
  connections until the outermost block commits.
- Inside ``transaction()``, uncommitted writes are invisible to other threads and connections:
  a reader sees the state before the block, or waits for it to end.
- Unknown keys passed to the ``mark_*`` and ``set_sku_archived`` methods raise ``KeyError``,
  because they mean the caller lost track of what it stored.
- Every record belongs to one merchant account: each method but `transaction` takes
  ``account`` (default ``"default"``), and what one account writes is invisible to every other
  (orders, customers, outbox, pushed values, linked SKUs, quarantine, state and leases), so one
  database serves many accounts.

Optional methods: `ListedOrderKeysReader` declares one more method an adapter may implement to
make incremental imports cheap over a large store. The engine reaches it through
`listed_order_keys`, which works the same answer out from `Storage.order_keys` for an adapter
without it, so every `Storage` keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeAlias, runtime_checkable

from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.models import Customer, SalesOrder
from jet_orderhive.storage._common import check_listed, check_statuses, listed_keys_from
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

__all__ = ["Clock", "ListedOrderKeysReader", "Storage", "listed_order_keys"]

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

    def upsert_order(
        self,
        order: SalesOrder,
        *,
        snapshot: OrderSnapshot | None = None,
        intent: OrderIntent | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> UpsertResult:
        """Store ``order`` (the host view) under its Jet order id, with the sides given.

        ``snapshot`` (Jet's side) and ``intent`` (the host's side) replace the stored ones when
        given; a side passed as ``None`` is kept as stored (``None`` for a new order). Returns
        ``CREATED`` for a new id, ``UNCHANGED`` when the stored view and sides serialise
        exactly like ``order`` and the sides given (nothing is written), ``UPDATED`` otherwise:
        equal records written differently, such as ``Decimal("1.0")`` and ``Decimal("1.00")``,
        are an update (docs/storage.md, "What unchanged means"). One call is one atomic write
        of view and sides.
        """
        ...

    def get_order(self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT) -> SalesOrder | None:
        """Return the stored order with this Jet order id, or ``None``."""
        ...

    def list_orders(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[SalesOrder]:
        """Return stored orders by Jet order id, optionally only those in these Jet statuses.

        ``channel_statuses`` holds raw Jet statuses (``"acknowledged"``, ``"inprogress"``, ...) as
        stored in ``SalesOrder.channel_status``; an empty collection returns nothing. A bare
        string raises ``TypeError``: it would otherwise be read as a collection of characters.

        Paging: ``after`` keeps only orders whose Jet order id sorts after it, ``limit`` (a
        positive int, else ``ValueError``) returns at most that many. Passing the last id of
        one page as ``after`` reads the next, and an order stored meanwhile never shifts a
        page: the order is by id alone. Without both, every matching order comes back.
        """
        ...

    def get_order_sides(
        self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> OrderSides | None:
        """Return the stored order's snapshot and intent (each ``None`` if never written).

        ``None`` when no order with this id is stored. The sides come back equal to what
        `upsert_order` was given.
        """
        ...

    def order_keys(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> dict[str, OrderKey]:
        """Return Jet order id → `OrderKey` (Jet status, last listed cancelled), by id.

        The keys-only read an incremental import runs on: it must not load whole records, so
        its cost stays small however many orders are stored. The status is the view's
        ``channel_status`` (the engine keeps it equal to the snapshot's); ``cancelled`` is the
        snapshot's ``listed_cancelled`` (``False`` without one). Same filter rules as
        `list_orders`.
        """
        ...

    # -- customers -----------------------------------------------------------------------------

    def upsert_customer(
        self, customer: Customer, *, account: str = DEFAULT_ACCOUNT
    ) -> UpsertResult:
        """Store ``customer`` keyed by normalised email, merging into an existing one.

        Merging keeps the stored values where ``customer`` has none, takes ``customer``'s values
        where it has them, and accumulates addresses without duplicates. Returns ``UNCHANGED``
        when the merge changes nothing.
        """
        ...

    def get_customer(self, email: str, *, account: str = DEFAULT_ACCOUNT) -> Customer | None:
        """Return the customer with this email (normalised first: case and spaces ignored)."""
        ...

    def list_customers(self, *, account: str = DEFAULT_ACCOUNT) -> list[Customer]:
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
        account: str = DEFAULT_ACCOUNT,
    ) -> bool:
        """Record a push to send; ``False`` (and nothing changes) if ``key`` was ever enqueued.

        The key is remembered in every state, so a push that is done is never enqueued again.
        The entry becomes due at ``not_before`` (default: now). ``payload`` must be JSON-ready
        (``Decimal`` for money, no floats) and comes back equal from `get_push` / `due`.
        """
        ...

    def due(
        self,
        now: datetime | None = None,
        limit: int | None = None,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[OutboxEntry]:
        """Return pending and failed entries with ``next_attempt_at <= now`` (default: clock).

        Ordered by ``next_attempt_at``, then creation time, then enqueue order; at most
        ``limit`` entries. Done entries, given-up entries and entries another worker holds an
        unexpired claim on never appear.
        """
        ...

    def claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> OutboxEntry | None:
        """Atomically take a due entry for ``owner`` until now + ``ttl``; ``None`` if not.

        Succeeds only for an entry that is due (not done, not given up, ``next_attempt_at``
        reached) and unclaimed, claimed by ``owner``, or whose claim expired. Two workers
        claiming the same key at once: exactly one gets the entry. The entry returned carries
        the new claim, and ``claims`` counts every claim ever taken, so ``claims > 1`` or
        ``attempts > 0`` tells the engine an earlier worker may already have sent it.
        """
        ...

    def renew_claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired claim to now + ``ttl``; ``False`` if it is not held.

        The engine calls it right before each request goes out: an expired claim may already
        have been taken by another worker, which then owns the send.
        """
        ...

    def reschedule(
        self, key: str, next_attempt_at: datetime, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Move the next attempt of a waiting entry, without counting an attempt.

        Only a pending or failed entry that is still retried (not done, not given up) and that
        no worker holds an unexpired claim on; ``False`` (and nothing changes) otherwise. The
        engine makes a push due now when Jet shows it is still owed.
        """
        ...

    def get_push(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> OutboxEntry | None:
        """Return the outbox entry with this key in whatever state it is, or ``None``."""
        ...

    def pushes(
        self, *, status: PushStatus | None = None, account: str = DEFAULT_ACCOUNT
    ) -> list[OutboxEntry]:
        """Return outbox entries (optionally only in ``status``) in enqueue order, for reports."""
        ...

    def mark_done(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Record that the push was sent and took effect; it never becomes due again.

        Counts one attempt, clears ``next_attempt_at`` and the claim. Marking a done entry
        again does nothing. Whoever reports it, done is the truth, so no claim is checked.
        """
        ...

    def mark_failed(
        self,
        key: str,
        error: str,
        next_attempt_at: datetime | None,
        *,
        owner: str | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> bool:
        """Record a failed attempt: ``FAILED``, ``error`` kept, due again at ``next_attempt_at``.

        ``next_attempt_at=None`` gives up: the entry stays ``FAILED`` and is never due again.
        The claim is cleared. A done entry stays done (a late failure report cannot resurrect
        it), and with ``owner`` given, an entry whose unexpired claim another worker holds is
        left alone (the worker that lost its claim no longer decides). ``True`` if recorded.
        """
        ...

    # -- last-pushed stock and price -----------------------------------------------------------

    def pushed_stock_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, int]:
        """Return the last-pushed stock for each ``(sku, node)`` that has one, in one round trip."""
        ...

    def set_pushed_stock_many(
        self, values: Mapping[PushedKey, int], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Remember many pushed stock levels at once (atomically)."""
        ...

    def pushed_price_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, Decimal]:
        """Return the last-pushed price for each ``(sku, node)`` that has one; node ``""``: SKU."""
        ...

    def set_pushed_price_many(
        self, values: Mapping[PushedKey, Decimal], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Remember many pushed prices at once (atomically)."""
        ...

    # -- linked SKUs -----------------------------------------------------------------------------

    def link_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Start managing ``sku``; ``False`` if it was already linked (its flag is kept)."""
        ...

    def link_skus(self, skus: Iterable[str], *, account: str = DEFAULT_ACCOUNT) -> list[str]:
        """Link many SKUs at once (atomically); return those that were not linked before.

        The newly linked SKUs come back once each, in the order first given; already linked
        ones keep their record and archived flag. The engine calls it with every SKU of each
        stored order and of each stock or price push, so it must cost one round trip.
        """
        ...

    def get_linked_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> LinkedSku | None:
        """Return the linked SKU record, or ``None`` if ``sku`` is not linked."""
        ...

    def linked_skus(self, *, account: str = DEFAULT_ACCOUNT) -> list[LinkedSku]:
        """Return every linked SKU ordered by SKU."""
        ...

    def set_sku_archived(self, sku: str, archived: bool, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Set the archived flag of a linked SKU; ``True`` if the flag changed.

        Raises ``KeyError`` for a SKU that is not linked.
        """
        ...

    # -- quarantine ------------------------------------------------------------------------------

    def quarantine(
        self,
        kind: str,
        external_id: str,
        payload: bytes,
        reason: str,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> QuarantineEntry:
        """Keep a record that failed to parse or map, with its raw bytes, and return the entry.

        ``payload`` is what Jet sent, as ``bytes`` (a ``bytearray`` or ``memoryview`` is copied
        into ``bytes``); anything else, ``str`` above all, raises ``TypeError`` and stores
        nothing: decoded text has lost the invalid UTF-8 that is often why the record failed.
        Entries always carry ``bytes``, equal byte for byte to what was given.

        Quarantining the same ``(kind, external_id)`` again replaces payload and reason, moves
        ``last_seen`` to now, counts ``times_seen`` and keeps ``first_seen``.
        """
        ...

    def get_quarantined(
        self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> QuarantineEntry | None:
        """Return the quarantined record, or ``None``."""
        ...

    def quarantined(
        self, kind: str | None = None, *, account: str = DEFAULT_ACCOUNT
    ) -> list[QuarantineEntry]:
        """Return quarantined records (optionally of one kind) ordered by first seen."""
        ...

    def release(self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Remove a record from quarantine; ``False`` if it was not there."""
        ...

    # -- sync state ------------------------------------------------------------------------------

    def get_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> str | None:
        """Return a small piece of sync state (a cursor, the last run), or ``None``."""
        ...

    def set_state(self, key: str, value: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Set a piece of sync state, replacing any previous value."""
        ...

    def delete_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Delete a piece of sync state; ``False`` if it was not set."""
        ...

    # -- leases ----------------------------------------------------------------------------------

    def acquire_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Take the lease ``name`` for ``ttl`` if it is free, expired or already ``owner``'s.

        Returns ``False`` while another owner holds an unexpired lease. Re-acquiring one's own
        lease extends it. ``ttl`` must be positive.
        """
        ...

    def renew_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired lease to now + ``ttl``; ``False`` if it is not held.

        An expired lease cannot be renewed: another worker may already have taken it, so the
        owner must `acquire_lease` again.
        """
        ...

    def release_lease(self, name: str, owner: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Give the lease up; ``False`` (and nothing changes) unless ``owner`` holds it."""
        ...


@runtime_checkable
class ListedOrderKeysReader(Protocol):
    """The optional read an incremental import plans on: keys of what Jet lists, not the store.

    A `Storage` may implement it; the engine calls it through `listed_order_keys`. Answering in
    a few indexed reads (the listed ids by key, a count, and ``limit`` ids from an index of
    (status, id)) keeps an idle run's cost to what Jet lists and the refresh budget, however
    many orders are stored.
    """

    def listed_order_keys(
        self,
        listed: Collection[str],
        *,
        channel_statuses: Collection[str] | None = None,
        after: str = "",
        limit: int = 0,
        account: str = DEFAULT_ACCOUNT,
    ) -> ListedKeys:
        """The keys of the stored orders among ``listed``, and a turn of the others.

        Only orders in ``channel_statuses`` count (``None``: every status; the filter rules
        are `Storage.list_orders`'s). `ListedKeys.keys` maps each id of ``listed`` that is
        stored to its `OrderKey`, as `Storage.order_keys` would; `ListedKeys.unlisted` counts
        the stored orders not in ``listed``; `ListedKeys.turn` holds ``limit`` of those (all
        when fewer): by id from the first that sorts after ``after``, then from the smallest id
        on, in that order, each with its key. Ids compare as strings (code points: the byte
        order of UTF-8). ``limit`` is an int of at least 0, else ``TypeError`` / ``ValueError``.
        """
        ...


def listed_order_keys(
    storage: Storage,
    listed: Collection[str],
    *,
    channel_statuses: Collection[str] | None = None,
    after: str = "",
    limit: int = 0,
    account: str = DEFAULT_ACCOUNT,
) -> ListedKeys:
    """`ListedOrderKeysReader.listed_order_keys` of ``storage``, or the same answer worked out
    from its `Storage.order_keys` when the adapter does not implement it (which reads every
    stored key)."""
    if isinstance(storage, ListedOrderKeysReader):
        return storage.listed_order_keys(
            listed, channel_statuses=channel_statuses, after=after, limit=limit, account=account
        )
    ids = check_listed(listed, after, limit)
    if channel_statuses is not None:
        check_statuses(channel_statuses)
    keys = storage.order_keys(channel_statuses=channel_statuses, account=account)
    return listed_keys_from(keys, ids, after=after, limit=limit)
