"""Argument checks and encodings the reference adapters share, so both enforce one contract."""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from jet_orderhive import _json
from jet_orderhive._clock import utc_now
from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.models import SalesOrder
from jet_orderhive.storage._canonical import record_json
from jet_orderhive.storage.records import ListedKeys, OrderIntent, OrderKey, OrderSnapshot

__all__ = [
    "check_aware",
    "check_listed",
    "check_price",
    "check_quantity",
    "check_sides",
    "check_statuses",
    "check_ttl",
    "decode_json",
    "decode_object",
    "encode_json",
    "encode_payload",
    "listed_keys_from",
    "order_json",
    "price_node",
    "turn_by_status",
    "turn_of",
    "utc_now",
]


def check_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` in UTC, refusing a naive datetime whose meaning would be a guess."""
    if value.utcoffset() is None:
        raise JetOrderhiveValueError(
            f"{name} must be timezone-aware, got naive {value.isoformat()}"
        )
    return value.astimezone(UTC)


def check_sides(snapshot: object, intent: object) -> None:
    """Refuse order sides of the wrong type before anything is written."""
    if snapshot is not None and not isinstance(snapshot, OrderSnapshot):
        raise JetOrderhiveTypeError(
            f"snapshot must be an OrderSnapshot, got {type(snapshot).__name__}"
        )
    if intent is not None and not isinstance(intent, OrderIntent):
        raise JetOrderhiveTypeError(f"intent must be an OrderIntent, got {type(intent).__name__}")


def check_statuses(statuses: Collection[str]) -> set[str]:
    """The Jet statuses to list, refusing a bare string that would read as its characters."""
    if isinstance(statuses, str):
        raise JetOrderhiveTypeError(
            f"channel_statuses must be a collection of Jet statuses, got the string {statuses!r}; "
            f"pass [{statuses!r}]"
        )
    return set(statuses)


def check_limit(limit: int | None) -> int | None:
    """A page size: ``None`` (no limit) or a positive int."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise JetOrderhiveTypeError(f"limit must be an int or None, got {limit!r}")
    if limit < 1:
        raise JetOrderhiveValueError(f"limit must be at least 1, got {limit}")
    return limit


def check_listed(listed: Iterable[str], after: str, limit: int) -> set[str]:
    """The arguments of ``listed_order_keys``: the ids as a set, a string ``after`` and a
    ``limit`` that is an int of at least 0."""
    if isinstance(listed, str):
        raise JetOrderhiveTypeError(
            f"listed must be a collection of Jet order ids, got the string {listed!r}; "
            f"pass [{listed!r}]"
        )
    if not isinstance(after, str):
        raise JetOrderhiveTypeError(f"after must be a Jet order id (a str), got {after!r}")
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise JetOrderhiveTypeError(f"limit must be an int, got {limit!r}")
    if limit < 0:
        raise JetOrderhiveValueError(f"limit must not be negative, got {limit}")
    return set(listed)


def check_ttl(ttl: timedelta) -> timedelta:
    """Refuse a lease length that would expire at once (or in the past)."""
    if ttl <= timedelta(0):
        raise JetOrderhiveValueError(f"lease ttl must be positive, got {ttl}")
    return ttl


def check_quantity(sku: str, node: str, quantity: int) -> int:
    """Refuse stock that Jet would refuse: anything but a non-negative int."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise JetOrderhiveTypeError(
            f"stock for {sku!r} at {node!r} must be an int, got {quantity!r}"
        )
    if quantity < 0:
        raise JetOrderhiveValueError(
            f"stock for {sku!r} at {node!r} must not be negative, got {quantity}"
        )
    return quantity


def check_price(sku: str, node: str, price: Decimal) -> Decimal:
    """Refuse a price that is not an exact, finite ``Decimal`` (a float would lose cents)."""
    if not isinstance(price, Decimal):
        raise JetOrderhiveTypeError(
            f"price for {sku!r} at {node!r} must be a Decimal, got {price!r}"
        )
    if not price.is_finite():
        raise JetOrderhiveValueError(f"price for {sku!r} at {node!r} must be finite, got {price}")
    return price


def price_node(node: str | None) -> str:
    """The stored node of a price: ``""`` stands for the SKU-level price (``None`` too)."""
    return node or ""


def encode_payload(key: str, payload: Mapping[str, JsonValue]) -> str:
    """Serialise an outbox payload, naming the entry if it is not JSON-ready."""
    try:
        return _json.dumps(payload, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise JetOrderhiveTypeError(f"outbox payload of {key!r} is not JSON-ready: {exc}") from exc


def decode_object(text: str) -> dict[str, JsonValue]:
    """Read stored JSON back as a fresh dict the caller may keep or change."""
    value = _json.loads(text)
    if not isinstance(value, dict):
        raise JetOrderhiveValueError(f"stored JSON is not an object: {text[:80]!r}")
    return value


def encode_json(value: object) -> str:
    """Write a JSON-ready value as canonical JSON text: sorted keys, ``Decimal`` exact."""
    return _json.dumps(value, sort_keys=True)


def decode_json(text: str | bytes) -> JsonValue:
    """Read JSON text with every fractional number as an exact ``Decimal``."""
    return _json.loads(text)


def order_json(order: SalesOrder) -> str:
    """The canonical JSON of an order, ``encode_json(order.to_dict())``: equal text means an
    unchanged order (see "What unchanged means" in docs/storage.md)."""
    return record_json(order)


@functools.lru_cache(maxsize=128)
def order_key(status: str, cancelled: bool) -> OrderKey:
    """The keys-only view of a stored order, one shared (frozen) instance per distinct key: a
    store of many thousand orders holds a handful of them."""
    return OrderKey(status, cancelled)


def listed_keys_from(
    keys: Mapping[str, OrderKey], listed: Collection[str], *, after: str, limit: int
) -> ListedKeys:
    """`ListedKeys` worked out from every stored key (in the statuses asked): what an adapter
    without ``listed_order_keys`` of its own answers with, at the cost of reading every key."""
    found = {order_id: keys[order_id] for order_id in sorted(listed) if order_id in keys}
    others = (order_id for order_id in keys if order_id not in found)
    turn = turn_of(others, after, limit)
    return ListedKeys(
        keys=found,
        unlisted=len(keys) - len(found),
        turn={order_id: keys[order_id] for order_id in turn},
    )


def turn_of(ids: Iterable[str], after: str, limit: int) -> list[str]:
    """The first ``limit`` of ``ids`` in turn: by id after ``after``, then from the start."""
    if not limit:
        return []
    pool = list(ids)
    above = heapq.nsmallest(limit, (i for i in pool if i > after))
    if len(above) < limit:
        above += heapq.nsmallest(limit - len(above), (i for i in pool if i <= after))
    return above


Rows = Sequence[tuple[str, str, object]]
"""Rows of ``(jet order id, status, listed cancelled)``, by id."""


def turn_by_status(
    read: Callable[[str | None, bool, int], Rows],
    statuses: Sequence[str] | None,
    keys: Mapping[str, OrderKey],
    *,
    after: str,
    limit: int,
) -> dict[str, OrderKey]:
    """`ListedKeys.turn` from range reads over a (status, id) index, for the SQL adapters.

    ``read(status, above, n)`` returns the first ``n`` rows by id of one status (``None``: every
    status) whose id sorts after ``after`` (``above``) or not. The listed orders are left out
    here, so each read asks for ``n`` plus the listed ones in its range: what it returns stays
    within the turn and the lists, however many orders are stored.
    """
    turn: dict[str, OrderKey] = {}
    groups: Sequence[str | None] = [None] if statuses is None else statuses
    listed: dict[tuple[str | None, bool], int] = {}
    for order_id, key in keys.items():
        for group in (None, key.status):
            where = (group, order_id > after)
            listed[where] = listed.get(where, 0) + 1
    for above in (True, False):
        wanted = limit - len(turn)
        if wanted <= 0:
            break
        reads = [read(group, above, wanted + listed.get((group, above), 0)) for group in groups]
        for order_id, status, cancelled in heapq.merge(*reads):
            if order_id in keys:
                continue
            turn[order_id] = order_key(status, bool(cancelled))
            if len(turn) >= limit:
                break
    return turn
