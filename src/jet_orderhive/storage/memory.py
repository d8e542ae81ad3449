"""`MemoryStorage`: the `Storage` protocol in process memory, for tests, notebooks and dry runs."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

import attrs

from jet_orderhive._errors import JetOrderhiveTypeError
from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.models import Customer, SalesOrder, normalize_email
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
    turn_of,
    utc_now,
)
from jet_orderhive.storage.errors import RecordNotFound, TransactionAborted
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

__all__ = ["MemoryStorage"]

_R = TypeVar("_R", SalesOrder, OrderSnapshot, OrderIntent)


@attrs.frozen
class _Push:
    entry: OutboxEntry  # its payload is not handed out: callers get a fresh copy of `text`
    text: str
    seq: int


@attrs.frozen
class _Lease:
    owner: str
    expires_at: datetime


_MISSING: Any = object()


class _Journal:
    """The undo log of the open unit of work: (table, key, value before) per first write."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[tuple[dict[Any, Any], Any, Any]] | None = None

    def undo(self) -> None:
        entries, self.entries = self.entries or [], None
        for table, key, before in reversed(entries):
            if before is _MISSING:
                dict.pop(table, key, None)
            else:
                dict.__setitem__(table, key, before)


class _Table(dict[Any, Any]):
    """A dict that records what each write replaced while a unit of work is open.

    A rollback replays the journal backwards, so a unit costs what it wrote, never a copy of
    every table (which made each order's unit of work grow with the store).
    """

    __slots__ = ("_journal",)

    def __init__(self, journal: _Journal) -> None:
        super().__init__()
        self._journal = journal

    def _record(self, key: Any) -> None:
        entries = self._journal.entries
        if entries is not None:
            entries.append((self, key, dict.get(self, key, _MISSING)))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._record(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self._record(key)
        super().__delitem__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._record(key)
        return super().pop(key, *default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    # dict types `|` and `|=` as a pair; only the in-place merge writes, so only it is journaled.
    def __ior__(self, other: Any) -> Any:  # type: ignore[misc]
        self.update(other)
        return self

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self) -> tuple[Any, Any]:
        key = next(reversed(self))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self):
            del self[key]


class _StoredOrder(NamedTuple):
    """An order's host view and its two sides."""

    order: SalesOrder
    snapshot: OrderSnapshot | None
    intent: OrderIntent | None


class _Tables:
    """One account's records. Values are immutable records, replaced whole on every write."""

    def __init__(self, journal: _Journal) -> None:
        self.orders: dict[str, _StoredOrder] = _Table(journal)
        self.customers: dict[str, Customer] = _Table(journal)
        self.outbox: dict[str, _Push] = _Table(journal)
        self.stock: dict[PushedKey, int] = _Table(journal)
        self.prices: dict[PushedKey, Decimal] = _Table(journal)
        self.skus: dict[str, LinkedSku] = _Table(journal)
        self.quarantine: dict[tuple[str, str], QuarantineEntry] = _Table(journal)
        self.state: dict[str, str] = _Table(journal)
        self.leases: dict[str, _Lease] = _Table(journal)
        # Enqueue order only; a rolled-back enqueue leaves a gap, which orders the same.
        self.seq = 0


def _order_text(order: SalesOrder) -> str:
    return order_json(order)


def _side_text(side: OrderSnapshot | OrderIntent) -> str:
    return encode_json(side.to_json())


def _same(stored: _R | None, given: _R | None, text: Callable[[_R], str]) -> bool:
    """Whether ``given`` would be stored as ``stored`` is: the same canonical JSON.

    That is what the SQL adapters compare. Records whose JSON is equal are equal records, so
    unequal records (the usual update) are told apart without writing any JSON; equal ones
    still may be written differently (``Decimal("1.0")`` and ``Decimal("1.00")``).
    """
    if stored is given:
        return True
    if stored is None or given is None:
        return False
    if type(stored) is type(given) and stored != given:
        return False
    return text(stored) == text(given)


def _public(push: _Push) -> OutboxEntry:
    return attrs.evolve(push.entry, payload=decode_object(push.text))


def _claimable(entry: OutboxEntry, at: datetime) -> bool:
    """Whether the entry is due: not done, not given up, and its attempt time reached."""
    return (
        entry.status is not PushStatus.DONE
        and entry.next_attempt_at is not None
        and entry.next_attempt_at <= at
    )


def _held(entry: OutboxEntry, owner: str | None, now: datetime) -> bool:
    """Whether a worker other than ``owner`` holds an unexpired claim on the entry."""
    expires = entry.claim_expires_at
    return (
        entry.claimed_by is not None
        and entry.claimed_by != owner
        and expires is not None
        and expires > now
    )


def _mine(entry: OutboxEntry, owner: str, now: datetime) -> bool:
    expires = entry.claim_expires_at
    return entry.claimed_by == owner and expires is not None and expires > now


class MemoryStorage:
    """A `Storage` held in dicts: thread-safe, transactional, gone when the process ends.

    One re-entrant lock serialises every call, and a transaction holds it until it ends, so
    units of work from several threads run one after the other, as with a single-writer
    database. A transaction journals what each write replaces and replays the journal
    backwards on rollback, so a unit of work costs what it writes.
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or utc_now
        self._lock = threading.RLock()
        self._accounts: dict[str, _Tables] = {}
        self._journal = _Journal()
        self._depth = 0
        self._doomed = False

    def __repr__(self) -> str:
        with self._lock:
            tables = list(self._accounts.values())
            orders = sum(len(t.orders) for t in tables)
            customers = sum(len(t.customers) for t in tables)
            outbox = sum(len(t.outbox) for t in tables)
            quarantined = sum(len(t.quarantine) for t in tables)
            return (
                f"MemoryStorage(accounts={len(tables)}, orders={orders}, "
                f"customers={customers}, outbox={outbox}, quarantined={quarantined})"
            )

    def _t(self, account: str) -> _Tables:
        """The tables of one account (created empty on first use); call with the lock held."""
        tables = self._accounts.get(account)
        if tables is None:
            tables = self._accounts[account] = _Tables(self._journal)
        return tables

    def _now(self) -> datetime:
        return check_aware(self._clock(), "clock()")

    # -- unit of work ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block atomically; see `Storage.transaction` for nesting and rollback rules."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                except BaseException:
                    self._doomed = True
                    raise
                finally:
                    self._depth -= 1
                return
            self._journal.entries = []
            self._depth, self._doomed = 1, False
            try:
                yield
            except BaseException:
                self._journal.undo()
                raise
            finally:
                self._depth = 0
            if self._doomed:
                self._journal.undo()
                raise TransactionAborted(
                    "an inner transaction block raised, so the whole unit of work was rolled "
                    "back; let the exception propagate or retry the unit"
                )
            self._journal.entries = None

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
        with self._lock:
            table = self._t(account).orders
            stored = table.get(order.channel_order_id)
            if stored is not None:
                snapshot = stored.snapshot if snapshot is None else snapshot
                intent = stored.intent if intent is None else intent
                if (
                    _same(stored.order, order, _order_text)
                    and _same(stored.snapshot, snapshot, _side_text)
                    and _same(stored.intent, intent, _side_text)
                ):
                    return UpsertResult.UNCHANGED
            table[order.channel_order_id] = _StoredOrder(order, snapshot, intent)
            return UpsertResult.CREATED if stored is None else UpsertResult.UPDATED

    def get_order(self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT) -> SalesOrder | None:
        """Return the stored order with this Jet order id, or ``None``."""
        with self._lock:
            stored = self._t(account).orders.get(jet_order_id)
        return None if stored is None else stored.order

    def get_order_sides(
        self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> OrderSides | None:
        """Return the stored order's snapshot and intent, or ``None`` if it is not stored."""
        with self._lock:
            stored = self._t(account).orders.get(jet_order_id)
        if stored is None:
            return None
        return OrderSides(snapshot=stored.snapshot, intent=stored.intent)

    def list_orders(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[SalesOrder]:
        """Return stored orders by Jet order id (after ``after``, at most ``limit``)."""
        wanted = None if channel_statuses is None else check_statuses(channel_statuses)
        size = check_limit(limit)
        with self._lock:
            table = self._t(account).orders
            keys = sorted(table)
            start = 0 if after is None else bisect.bisect_right(keys, after)
            found: list[SalesOrder] = []
            for key in keys[start:]:
                order = table[key].order
                if wanted is None or order.channel_status in wanted:
                    found.append(order)
                    if size is not None and len(found) >= size:
                        break
        return found

    def order_keys(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> dict[str, OrderKey]:
        """Return Jet order id → Jet status and last-listed-cancelled, by id."""
        wanted = None if channel_statuses is None else check_statuses(channel_statuses)
        with self._lock:
            table = self._t(account).orders
            keys = {}
            for order_id in sorted(table):
                stored = table[order_id]
                status = stored.order.channel_status
                if wanted is None or status in wanted:
                    cancelled = stored.snapshot is not None and stored.snapshot.listed_cancelled
                    keys[order_id] = order_key(status, cancelled)
            return keys

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

        The listed ids are looked up one by one; the others are counted in one pass over the
        orders, and only the ``limit`` of the turn are picked (no sort of every id).
        """
        ids = check_listed(listed, after, limit)
        wanted = None if channel_statuses is None else check_statuses(channel_statuses)

        def key(stored: _StoredOrder) -> OrderKey | None:
            status = stored.order.channel_status
            if wanted is not None and status not in wanted:
                return None
            return order_key(
                status, stored.snapshot is not None and stored.snapshot.listed_cancelled
            )

        with self._lock:
            table = self._t(account).orders
            found: dict[str, OrderKey] = {}
            for order_id in sorted(ids):
                stored = table.get(order_id)
                found_key = None if stored is None else key(stored)
                if found_key is not None:
                    found[order_id] = found_key
            others = [
                order_id
                for order_id, stored in table.items()
                if order_id not in found
                and (wanted is None or stored.order.channel_status in wanted)
            ]
            turn = {}
            for order_id in turn_of(others, after, limit):
                turn_key = key(table[order_id])
                assert turn_key is not None
                turn[order_id] = turn_key
        return ListedKeys(keys=found, unlisted=len(others), turn=turn)

    # -- customers -------------------------------------------------------------------------------

    def upsert_customer(
        self, customer: Customer, *, account: str = DEFAULT_ACCOUNT
    ) -> UpsertResult:
        """Store ``customer`` by normalised email, merging into the one already stored."""
        key = customer.email  # normalised by Customer itself
        with self._lock:
            existing = self._t(account).customers.get(key)
            if existing is None:
                self._t(account).customers[key] = customer
                return UpsertResult.CREATED
            if existing == customer:
                return UpsertResult.UNCHANGED
            merged = merge_customer(existing, customer)
            if merged == existing:
                return UpsertResult.UNCHANGED
            self._t(account).customers[key] = merged
            return UpsertResult.UPDATED

    def get_customer(self, email: str, *, account: str = DEFAULT_ACCOUNT) -> Customer | None:
        """Return the customer with this email, ignoring case and surrounding spaces."""
        with self._lock:
            return self._t(account).customers.get(normalize_email(email))

    def list_customers(self, *, account: str = DEFAULT_ACCOUNT) -> list[Customer]:
        """Return every stored customer ordered by normalised email."""
        with self._lock:
            return [self._t(account).customers[key] for key in sorted(self._t(account).customers)]

    # -- outbox ----------------------------------------------------------------------------------

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
        when = None if not_before is None else check_aware(not_before, "not_before")
        with self._lock:
            if key in self._t(account).outbox:
                return False
            now = self._now()
            due_at = now if when is None else when
            entry = OutboxEntry(
                key=key,
                kind=kind,
                target=target,
                payload=decode_object(text),
                next_attempt_at=due_at,
                created_at=now,
                updated_at=now,
            )
            self._t(account).seq += 1
            self._t(account).outbox[key] = _Push(entry, text, self._t(account).seq)
            return True

    def due(
        self,
        now: datetime | None = None,
        limit: int | None = None,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[OutboxEntry]:
        """Return unclaimed pending and failed entries due by ``now``, earliest first."""
        with self._lock:
            at = self._now() if now is None else check_aware(now, "now")
            clock_now = self._now()
            ready = [
                push
                for push in self._t(account).outbox.values()
                if _claimable(push.entry, at) and not _held(push.entry, None, clock_now)
            ]
        ready.sort(key=lambda p: (p.entry.next_attempt_at, p.entry.created_at, p.seq))
        if limit is not None:
            ready = ready[: max(limit, 0)]
        return [_public(push) for push in ready]

    def claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> OutboxEntry | None:
        """Take a due entry for ``owner`` until now + ``ttl``; ``None`` if it cannot be had."""
        check_ttl(ttl)
        with self._lock:
            push = self._t(account).outbox.get(key)
            now = self._now()
            if push is None or not _claimable(push.entry, now) or _held(push.entry, owner, now):
                return None
            entry = attrs.evolve(
                push.entry,
                claimed_by=owner,
                claim_expires_at=now + ttl,
                claims=push.entry.claims + 1,
            )
            self._t(account).outbox[key] = attrs.evolve(push, entry=entry)
            return _public(self._t(account).outbox[key])

    def renew_claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired claim; ``False`` if it is not held."""
        check_ttl(ttl)
        with self._lock:
            push = self._t(account).outbox.get(key)
            now = self._now()
            if push is None or not _mine(push.entry, owner, now):
                return False
            entry = attrs.evolve(push.entry, claim_expires_at=now + ttl)
            self._t(account).outbox[key] = attrs.evolve(push, entry=entry)
            return True

    def reschedule(
        self, key: str, next_attempt_at: datetime, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Move a waiting entry's next attempt without counting an attempt."""
        when = check_aware(next_attempt_at, "next_attempt_at")
        with self._lock:
            push = self._t(account).outbox.get(key)
            now = self._now()
            if push is None or push.entry.status is PushStatus.DONE:
                return False
            if push.entry.next_attempt_at is None or _held(push.entry, None, now):
                return False
            entry = attrs.evolve(push.entry, next_attempt_at=when, updated_at=now)
            self._t(account).outbox[key] = attrs.evolve(push, entry=entry)
            return True

    def get_push(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> OutboxEntry | None:
        """Return the outbox entry with this key in whatever state it is, or ``None``."""
        with self._lock:
            push = self._t(account).outbox.get(key)
        return None if push is None else _public(push)

    def pushes(
        self, *, status: PushStatus | None = None, account: str = DEFAULT_ACCOUNT
    ) -> list[OutboxEntry]:
        """Return outbox entries, optionally only in ``status``, in enqueue order."""
        with self._lock:
            rows = sorted(self._t(account).outbox.values(), key=lambda p: p.seq)
        return [_public(p) for p in rows if status is None or p.entry.status is status]

    def _push(self, key: str, account: str) -> _Push:
        try:
            return self._t(account).outbox[key]
        except KeyError:
            raise RecordNotFound(f"no outbox entry with key {key!r}; enqueue it first") from None

    def mark_done(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Record that the push took effect; it never becomes due again."""
        with self._lock:
            push = self._push(key, account)
            if push.entry.status is PushStatus.DONE:
                return
            entry = attrs.evolve(
                push.entry,
                status=PushStatus.DONE,
                attempts=push.entry.attempts + 1,
                next_attempt_at=None,
                updated_at=self._now(),
                claimed_by=None,
                claim_expires_at=None,
            )
            self._t(account).outbox[key] = attrs.evolve(push, entry=entry)

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
        with self._lock:
            push = self._push(key, account)
            now = self._now()
            if push.entry.status is PushStatus.DONE:
                return False
            if owner is not None and _held(push.entry, owner, now):
                return False
            entry = attrs.evolve(
                push.entry,
                status=PushStatus.FAILED,
                attempts=push.entry.attempts + 1,
                next_attempt_at=retry_at,
                last_error=error,
                updated_at=now,
                claimed_by=None,
                claim_expires_at=None,
            )
            self._t(account).outbox[key] = attrs.evolve(push, entry=entry)
            return True

    # -- last-pushed stock and price -------------------------------------------------------------

    def pushed_stock_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, int]:
        """Return the last-pushed stock of each ``(sku, node)`` that has one."""
        with self._lock:
            stock = self._t(account).stock
            return {key: stock[key] for key in keys if key in stock}

    def set_pushed_stock_many(
        self, values: Mapping[PushedKey, int], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Remember many pushed stock levels at once."""
        for (sku, node), quantity in values.items():
            check_quantity(sku, node, quantity)
        with self._lock:
            self._t(account).stock.update(values)

    def pushed_price_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, Decimal]:
        """Return the last-pushed price of each ``(sku, node)`` that has one."""
        with self._lock:
            prices = self._t(account).prices
            return {key: prices[key] for key in keys if key in prices}

    def set_pushed_price_many(
        self, values: Mapping[PushedKey, Decimal], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        """Remember many pushed prices at once."""
        for (sku, node), price in values.items():
            check_price(sku, node, price)
        with self._lock:
            self._t(account).prices.update(values)

    # -- linked SKUs -----------------------------------------------------------------------------

    def link_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Start managing ``sku``; ``False`` if it was already linked."""
        with self._lock:
            if sku in self._t(account).skus:
                return False
            self._t(account).skus[sku] = LinkedSku(sku=sku, linked_at=self._now())
            return True

    def link_skus(self, skus: Iterable[str], *, account: str = DEFAULT_ACCOUNT) -> list[str]:
        """Link many SKUs at once; return the newly linked ones in the order first given."""
        wanted = list(dict.fromkeys(skus))
        with self._lock:
            linked = self._t(account).skus
            newly = [sku for sku in wanted if sku not in linked]
            now = self._now()
            for sku in newly:
                linked[sku] = LinkedSku(sku=sku, linked_at=now)
            return newly

    def get_linked_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> LinkedSku | None:
        """Return the linked SKU record, or ``None``."""
        with self._lock:
            return self._t(account).skus.get(sku)

    def linked_skus(self, *, account: str = DEFAULT_ACCOUNT) -> list[LinkedSku]:
        """Return every linked SKU ordered by SKU."""
        with self._lock:
            return [self._t(account).skus[sku] for sku in sorted(self._t(account).skus)]

    def set_sku_archived(self, sku: str, archived: bool, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Set the archived flag of a linked SKU; ``True`` if it changed."""
        with self._lock:
            linked = self._t(account).skus.get(sku)
            if linked is None:
                raise RecordNotFound(f"SKU {sku!r} is not linked; call link_sku first")
            if linked.archived == archived:
                return False
            archived_at = self._now() if archived else None
            self._t(account).skus[sku] = attrs.evolve(
                linked, archived=archived, archived_at=archived_at
            )
            return True

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
        """Keep a record that failed to parse or map, with its raw bytes."""
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise JetOrderhiveTypeError(
                f"quarantine payload of {kind} {external_id!r} must be bytes"
            )
        raw = bytes(payload)
        with self._lock:
            now = self._now()
            old = self._t(account).quarantine.get((kind, external_id))
            entry = QuarantineEntry(
                kind=kind,
                external_id=external_id,
                payload=raw,
                reason=reason,
                first_seen=now if old is None else old.first_seen,
                last_seen=now,
                times_seen=1 if old is None else old.times_seen + 1,
            )
            self._t(account).quarantine[(kind, external_id)] = entry
            return entry

    def get_quarantined(
        self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> QuarantineEntry | None:
        """Return the quarantined record, or ``None``."""
        with self._lock:
            return self._t(account).quarantine.get((kind, external_id))

    def quarantined(
        self, kind: str | None = None, *, account: str = DEFAULT_ACCOUNT
    ) -> list[QuarantineEntry]:
        """Return quarantined records, optionally of one kind, ordered by first seen."""
        with self._lock:
            entries = list(self._t(account).quarantine.values())
        chosen = [e for e in entries if kind is None or e.kind == kind]
        return sorted(chosen, key=lambda e: (e.first_seen, e.kind, e.external_id))

    def release(self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Remove a record from quarantine; ``False`` if it was not there."""
        with self._lock:
            return self._t(account).quarantine.pop((kind, external_id), None) is not None

    # -- sync state ------------------------------------------------------------------------------

    def get_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> str | None:
        """Return a piece of sync state, or ``None``."""
        with self._lock:
            return self._t(account).state.get(key)

    def set_state(self, key: str, value: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        """Set a piece of sync state."""
        if not isinstance(value, str):
            raise JetOrderhiveTypeError(f"state {key!r} must be a str, got {type(value).__name__}")
        with self._lock:
            self._t(account).state[key] = value

    def delete_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Delete a piece of sync state; ``False`` if it was not set."""
        with self._lock:
            return self._t(account).state.pop(key, None) is not None

    # -- leases ----------------------------------------------------------------------------------

    def acquire_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Take the lease if it is free, expired or already ``owner``'s."""
        check_ttl(ttl)
        with self._lock:
            now = self._now()
            held = self._t(account).leases.get(name)
            if held is not None and held.owner != owner and held.expires_at > now:
                return False
            self._t(account).leases[name] = _Lease(owner, now + ttl)
            return True

    def renew_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        """Extend ``owner``'s unexpired lease; ``False`` if it is not held."""
        check_ttl(ttl)
        with self._lock:
            now = self._now()
            held = self._t(account).leases.get(name)
            if held is None or held.owner != owner or held.expires_at <= now:
                return False
            self._t(account).leases[name] = _Lease(owner, now + ttl)
            return True

    def release_lease(self, name: str, owner: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        """Give the lease up; ``False`` unless ``owner`` holds it."""
        with self._lock:
            held = self._t(account).leases.get(name)
            if held is None or held.owner != owner:
                return False
            del self._t(account).leases[name]
            return True
