"""Rows of the SQL adapters read back as records: one decoder per record, for every database.

Each SQL adapter stores times its own way (fixed-width UTC text in SQLite, ``timestamptz`` in
PostgreSQL), so each decoder takes the adapter's ``when`` function that turns a stored time
into an aware UTC datetime; everything else is stored alike.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jet_orderhive.orderhive.models import Customer, SalesOrder
from jet_orderhive.storage._common import decode_object
from jet_orderhive.storage.records import LinkedSku, OutboxEntry, PushStatus, QuarantineEntry

__all__ = ["OrderCache", "customer", "linked_sku", "order", "outbox_entry", "quarantined"]

When = Callable[[Any], datetime]
"""A stored time (never ``None``) as an aware UTC datetime."""


def _maybe(when: When, value: Any) -> datetime | None:
    return None if value is None else when(value)


def order(body: str) -> SalesOrder:
    """An order's stored JSON as its host view."""
    return SalesOrder.from_dict(decode_object(body))


class OrderCache:
    """Stored order JSON as host views, remembering the last orders written or read by text.

    Decoding an order's JSON back into a `SalesOrder` costs more than everything else an
    upsert or a read does, and the engine reads each order back right after it stored it (to
    judge and record its acknowledgement). A `SalesOrder` is immutable and written as exactly
    one canonical text, so the record that text was made from, or was last decoded into, can
    be handed out again for the same text, whoever wrote the row: the text read from the
    database is the key, never a guess about what the row holds. At most ``size`` orders are
    kept (about 10 kB each), the least recently used going first; threads share the cache.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._known: OrderedDict[str, SalesOrder] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, body: str, view: SalesOrder) -> None:
        """Keep ``view`` as the record of its canonical JSON ``body``."""
        if type(view) is not SalesOrder:  # a subclass reads back as a plain SalesOrder
            return
        with self._lock:
            known = self._known
            known[body] = view
            known.move_to_end(body)
            if len(known) > self._size:
                known.popitem(last=False)

    def order(self, body: str) -> SalesOrder:
        """An order's stored JSON as its host view, decoded only if not known."""
        with self._lock:
            view = self._known.get(body)
            if view is not None:
                self._known.move_to_end(body)
                return view
        view = order(body)
        self.remember(body, view)
        return view


def customer(body: str) -> Customer:
    """A customer's stored JSON as the record."""
    return Customer.from_dict(decode_object(body))


def outbox_entry(row: Any, when: When) -> OutboxEntry:
    """``key, kind, target, payload, attempts, status, next_attempt_at, last_error,
    created_at, updated_at, claimed_by, claim_expires_at, claims``."""
    key, kind, target, payload, attempts, status, next_at, error, created, updated, *claim = row
    claimed_by, claim_expires_at, claims = claim
    return OutboxEntry(
        key=key,
        kind=kind,
        target=target,
        payload=decode_object(payload),
        attempts=int(attempts),
        status=PushStatus(status),
        next_attempt_at=_maybe(when, next_at),
        last_error=error,
        created_at=when(created),
        updated_at=when(updated),
        claimed_by=claimed_by,
        claim_expires_at=_maybe(when, claim_expires_at),
        claims=int(claims),
    )


def linked_sku(row: Any, when: When) -> LinkedSku:
    """``sku, archived, archived_at, linked_at``."""
    sku, archived, archived_at, linked_at = row
    return LinkedSku(
        sku=sku,
        archived=bool(archived),
        archived_at=_maybe(when, archived_at),
        linked_at=when(linked_at),
    )


def quarantined(row: Any, when: When) -> QuarantineEntry:
    """``kind, external_id, payload, reason, first_seen, last_seen, times_seen``."""
    kind, external_id, payload, reason, first_seen, last_seen, times_seen = row
    return QuarantineEntry(
        kind=kind,
        external_id=external_id,
        payload=bytes(payload),
        reason=reason,
        first_seen=when(first_seen),
        last_seen=when(last_seen),
        times_seen=int(times_seen),
    )
