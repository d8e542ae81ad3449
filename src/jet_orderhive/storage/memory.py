"""`MemoryStorage`: the `Storage` protocol in process memory, for tests, notebooks and dry runs."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.models import Customer, SalesOrder, normalize_email
from jet_orderhive.storage._common import (
    check_aware,
    check_price,
    check_quantity,
    check_statuses,
    check_ttl,
    decode_object,
    encode_payload,
    order_json,
    price_node,
    utc_now,
)
from jet_orderhive.storage.errors import TransactionAborted
from jet_orderhive.storage.merge import merge_customer
from jet_orderhive.storage.protocol import Clock
from jet_orderhive.storage.records import (
    LinkedSku,
    OutboxEntry,
    PushedKey,
    PushStatus,
    QuarantineEntry,
    UpsertResult,
)

__all__ = ["MemoryStorage"]


@attrs.frozen
class _Push:
    entry: OutboxEntry  # its payload is not handed out: callers get a fresh copy of `text`
    text: str
    seq: int


@attrs.frozen
class _Lease:
    owner: str
    expires_at: datetime


@attrs.define
class _Tables:
    orders: dict[str, tuple[str, SalesOrder]] = attrs.Factory(dict)
    customers: dict[str, Customer] = attrs.Factory(dict)
    outbox: dict[str, _Push] = attrs.Factory(dict)
    stock: dict[PushedKey, int] = attrs.Factory(dict)
    prices: dict[PushedKey, Decimal] = attrs.Factory(dict)
    skus: dict[str, LinkedSku] = attrs.Factory(dict)
    quarantine: dict[tuple[str, str], QuarantineEntry] = attrs.Factory(dict)
    state: dict[str, str] = attrs.Factory(dict)
    leases: dict[str, _Lease] = attrs.Factory(dict)
    seq: int = 0

    def copy(self) -> _Tables:
        # Values are immutable records, so copying the dicts is a complete snapshot.
        return _Tables(
            orders=dict(self.orders),
            customers=dict(self.customers),
            outbox=dict(self.outbox),
            stock=dict(self.stock),
            prices=dict(self.prices),
            skus=dict(self.skus),
            quarantine=dict(self.quarantine),
            state=dict(self.state),
            leases=dict(self.leases),
            seq=self.seq,
        )


def _public(push: _Push) -> OutboxEntry:
    return attrs.evolve(push.entry, payload=decode_object(push.text))


class MemoryStorage:
    """A `Storage` held in dicts: thread-safe, transactional, gone when the process ends.

    One re-entrant lock serialises every call, and a transaction holds it until it ends, so
    units of work from several threads run one after the other, as with a single-writer
    database. A transaction snapshots the tables when it begins and restores them on rollback.
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or utc_now
        self._lock = threading.RLock()
        self._tables = _Tables()
        self._depth = 0
        self._doomed = False

    def __repr__(self) -> str:
        with self._lock:
            t = self._tables
            return (
                f"MemoryStorage(orders={len(t.orders)}, customers={len(t.customers)}, "
                f"outbox={len(t.outbox)}, quarantined={len(t.quarantine)})"
            )

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
            snapshot = self._tables.copy()
            self._depth, self._doomed = 1, False
            try:
                yield
            except BaseException:
                self._tables = snapshot
                raise
            finally:
                self._depth = 0
            if self._doomed:
                self._tables = snapshot
                raise TransactionAborted(
                    "an inner transaction block raised, so the whole unit of work was rolled "
                    "back; let the exception propagate or retry the unit"
                )

    # -- orders ----------------------------------------------------------------------------------

    def upsert_order(self, order: SalesOrder) -> UpsertResult:
        """Store ``order`` under its Jet order id; report created / updated / unchanged."""
        text = order_json(order)
        with self._lock:
            stored = self._tables.orders.get(order.channel_order_id)
            if stored is not None and stored[0] == text:
                return UpsertResult.UNCHANGED
            self._tables.orders[order.channel_order_id] = (text, order)
            return UpsertResult.CREATED if stored is None else UpsertResult.UPDATED

    def get_order(self, jet_order_id: str) -> SalesOrder | None:
        """Return the stored order with this Jet order id, or ``None``."""
        with self._lock:
            stored = self._tables.orders.get(jet_order_id)
        return None if stored is None else stored[1]

    def list_orders(self, *, channel_statuses: Collection[str] | None = None) -> list[SalesOrder]:
        """Return stored orders by Jet order id, optionally only those in these Jet statuses."""
        wanted = None if channel_statuses is None else check_statuses(channel_statuses)
        with self._lock:
            orders = [self._tables.orders[key][1] for key in sorted(self._tables.orders)]
        if wanted is None:
            return orders
        return [order for order in orders if order.channel_status in wanted]

    # -- customers -------------------------------------------------------------------------------

    def upsert_customer(self, customer: Customer) -> UpsertResult:
        """Store ``customer`` by normalised email, merging into the one already stored."""
        key = customer.email  # normalised by Customer itself
        with self._lock:
            existing = self._tables.customers.get(key)
            if existing is None:
                self._tables.customers[key] = customer
                return UpsertResult.CREATED
            merged = merge_customer(existing, customer)
            if merged == existing:
                return UpsertResult.UNCHANGED
            self._tables.customers[key] = merged
            return UpsertResult.UPDATED

    def get_customer(self, email: str) -> Customer | None:
        """Return the customer with this email, ignoring case and surrounding spaces."""
        with self._lock:
            return self._tables.customers.get(normalize_email(email))

    def list_customers(self) -> list[Customer]:
        """Return every stored customer ordered by normalised email."""
        with self._lock:
            return [self._tables.customers[key] for key in sorted(self._tables.customers)]

    # -- outbox ----------------------------------------------------------------------------------

    def enqueue(
        self,
        key: str,
        *,
        kind: str,
        target: str,
        payload: Mapping[str, JsonValue],
        not_before: datetime | None = None,
    ) -> bool:
        """Record a push; ``False`` if ``key`` was ever enqueued before, in any state."""
        text = encode_payload(key, payload)
        when = None if not_before is None else check_aware(not_before, "not_before")
        with self._lock:
            if key in self._tables.outbox:
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
            self._tables.seq += 1
            self._tables.outbox[key] = _Push(entry, text, self._tables.seq)
            return True

    def due(self, now: datetime | None = None, limit: int | None = None) -> list[OutboxEntry]:
        """Return pending and failed entries due by ``now``, earliest first."""
        with self._lock:
            at = self._now() if now is None else check_aware(now, "now")
            ready = [
                push
                for push in self._tables.outbox.values()
                if push.entry.status is not PushStatus.DONE
                and push.entry.next_attempt_at is not None
                and push.entry.next_attempt_at <= at
            ]
        ready.sort(key=lambda p: (p.entry.next_attempt_at, p.entry.created_at, p.seq))
        if limit is not None:
            ready = ready[: max(limit, 0)]
        return [_public(push) for push in ready]

    def get_push(self, key: str) -> OutboxEntry | None:
        """Return the outbox entry with this key in whatever state it is, or ``None``."""
        with self._lock:
            push = self._tables.outbox.get(key)
        return None if push is None else _public(push)

    def pushes(self, *, status: PushStatus | None = None) -> list[OutboxEntry]:
        """Return outbox entries, optionally only in ``status``, in enqueue order."""
        with self._lock:
            rows = sorted(self._tables.outbox.values(), key=lambda p: p.seq)
        return [_public(p) for p in rows if status is None or p.entry.status is status]

    def _push(self, key: str) -> _Push:
        try:
            return self._tables.outbox[key]
        except KeyError:
            raise KeyError(f"no outbox entry with key {key!r}; enqueue it first") from None

    def mark_done(self, key: str) -> None:
        """Record that the push took effect; it never becomes due again."""
        with self._lock:
            push = self._push(key)
            if push.entry.status is PushStatus.DONE:
                return
            entry = attrs.evolve(
                push.entry,
                status=PushStatus.DONE,
                attempts=push.entry.attempts + 1,
                next_attempt_at=None,
                updated_at=self._now(),
            )
            self._tables.outbox[key] = attrs.evolve(push, entry=entry)

    def mark_failed(self, key: str, error: str, next_attempt_at: datetime | None) -> None:
        """Record a failed attempt and when to retry (``None``: never)."""
        retry_at = None if next_attempt_at is None else check_aware(next_attempt_at, "retry time")
        with self._lock:
            push = self._push(key)
            if push.entry.status is PushStatus.DONE:
                return
            entry = attrs.evolve(
                push.entry,
                status=PushStatus.FAILED,
                attempts=push.entry.attempts + 1,
                next_attempt_at=retry_at,
                last_error=error,
                updated_at=self._now(),
            )
            self._tables.outbox[key] = attrs.evolve(push, entry=entry)

    # -- last-pushed stock and price -------------------------------------------------------------

    def get_pushed_stock(self, sku: str, node: str) -> int | None:
        """Return the stock last pushed for ``sku`` at ``node``, or ``None``."""
        with self._lock:
            return self._tables.stock.get((sku, node))

    def set_pushed_stock(self, sku: str, node: str, quantity: int) -> None:
        """Remember the stock pushed for ``sku`` at ``node``."""
        check_quantity(sku, node, quantity)
        with self._lock:
            self._tables.stock[(sku, node)] = quantity

    def pushed_stock_many(self, keys: Iterable[PushedKey]) -> dict[PushedKey, int]:
        """Return the last-pushed stock of each ``(sku, node)`` that has one."""
        with self._lock:
            stock = self._tables.stock
            return {key: stock[key] for key in keys if key in stock}

    def set_pushed_stock_many(self, values: Mapping[PushedKey, int]) -> None:
        """Remember many pushed stock levels at once."""
        for (sku, node), quantity in values.items():
            check_quantity(sku, node, quantity)
        with self._lock:
            self._tables.stock.update(values)

    def get_pushed_price(self, sku: str, node: str | None = None) -> Decimal | None:
        """Return the price last pushed for ``sku`` at ``node`` (``None``/``""``: SKU level)."""
        with self._lock:
            return self._tables.prices.get((sku, price_node(node)))

    def set_pushed_price(self, sku: str, node: str | None, price: Decimal) -> None:
        """Remember the price pushed for ``sku`` at ``node``."""
        where = price_node(node)
        check_price(sku, where, price)
        with self._lock:
            self._tables.prices[(sku, where)] = price

    def pushed_price_many(self, keys: Iterable[PushedKey]) -> dict[PushedKey, Decimal]:
        """Return the last-pushed price of each ``(sku, node)`` that has one."""
        with self._lock:
            prices = self._tables.prices
            return {key: prices[key] for key in keys if key in prices}

    def set_pushed_price_many(self, values: Mapping[PushedKey, Decimal]) -> None:
        """Remember many pushed prices at once."""
        for (sku, node), price in values.items():
            check_price(sku, node, price)
        with self._lock:
            self._tables.prices.update(values)

    # -- linked SKUs -----------------------------------------------------------------------------

    def link_sku(self, sku: str) -> bool:
        """Start managing ``sku``; ``False`` if it was already linked."""
        with self._lock:
            if sku in self._tables.skus:
                return False
            self._tables.skus[sku] = LinkedSku(sku=sku, linked_at=self._now())
            return True

    def get_linked_sku(self, sku: str) -> LinkedSku | None:
        """Return the linked SKU record, or ``None``."""
        with self._lock:
            return self._tables.skus.get(sku)

    def linked_skus(self) -> list[LinkedSku]:
        """Return every linked SKU ordered by SKU."""
        with self._lock:
            return [self._tables.skus[sku] for sku in sorted(self._tables.skus)]

    def set_sku_archived(self, sku: str, archived: bool) -> bool:
        """Set the archived flag of a linked SKU; ``True`` if it changed."""
        with self._lock:
            linked = self._tables.skus.get(sku)
            if linked is None:
                raise KeyError(f"SKU {sku!r} is not linked; call link_sku first")
            if linked.archived == archived:
                return False
            archived_at = self._now() if archived else None
            self._tables.skus[sku] = attrs.evolve(
                linked, archived=archived, archived_at=archived_at
            )
            return True

    # -- quarantine ------------------------------------------------------------------------------

    def quarantine(
        self, kind: str, external_id: str, payload: bytes, reason: str
    ) -> QuarantineEntry:
        """Keep a record that failed to parse or map, with its raw bytes."""
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError(f"quarantine payload of {kind} {external_id!r} must be bytes")
        raw = bytes(payload)
        with self._lock:
            now = self._now()
            old = self._tables.quarantine.get((kind, external_id))
            entry = QuarantineEntry(
                kind=kind,
                external_id=external_id,
                payload=raw,
                reason=reason,
                first_seen=now if old is None else old.first_seen,
                last_seen=now,
                times_seen=1 if old is None else old.times_seen + 1,
            )
            self._tables.quarantine[(kind, external_id)] = entry
            return entry

    def get_quarantined(self, kind: str, external_id: str) -> QuarantineEntry | None:
        """Return the quarantined record, or ``None``."""
        with self._lock:
            return self._tables.quarantine.get((kind, external_id))

    def quarantined(self, kind: str | None = None) -> list[QuarantineEntry]:
        """Return quarantined records, optionally of one kind, ordered by first seen."""
        with self._lock:
            entries = list(self._tables.quarantine.values())
        chosen = [e for e in entries if kind is None or e.kind == kind]
        return sorted(chosen, key=lambda e: (e.first_seen, e.kind, e.external_id))

    def release(self, kind: str, external_id: str) -> bool:
        """Remove a record from quarantine; ``False`` if it was not there."""
        with self._lock:
            return self._tables.quarantine.pop((kind, external_id), None) is not None

    # -- sync state ------------------------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        """Return a piece of sync state, or ``None``."""
        with self._lock:
            return self._tables.state.get(key)

    def set_state(self, key: str, value: str) -> None:
        """Set a piece of sync state."""
        if not isinstance(value, str):
            raise TypeError(f"state {key!r} must be a str, got {type(value).__name__}")
        with self._lock:
            self._tables.state[key] = value

    def delete_state(self, key: str) -> bool:
        """Delete a piece of sync state; ``False`` if it was not set."""
        with self._lock:
            return self._tables.state.pop(key, None) is not None

    # -- leases ----------------------------------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Take the lease if it is free, expired or already ``owner``'s."""
        check_ttl(ttl)
        with self._lock:
            now = self._now()
            held = self._tables.leases.get(name)
            if held is not None and held.owner != owner and held.expires_at > now:
                return False
            self._tables.leases[name] = _Lease(owner, now + ttl)
            return True

    def renew_lease(self, name: str, owner: str, ttl: timedelta) -> bool:
        """Extend ``owner``'s unexpired lease; ``False`` if it is not held."""
        check_ttl(ttl)
        with self._lock:
            now = self._now()
            held = self._tables.leases.get(name)
            if held is None or held.owner != owner or held.expires_at <= now:
                return False
            self._tables.leases[name] = _Lease(owner, now + ttl)
            return True

    def release_lease(self, name: str, owner: str) -> bool:
        """Give the lease up; ``False`` unless ``owner`` holds it."""
        with self._lock:
            held = self._tables.leases.get(name)
            if held is None or held.owner != owner:
                return False
            del self._tables.leases[name]
            return True
