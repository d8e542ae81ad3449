"""A worked example: a `Storage` over a key/value mapping of JSON strings.

Many hosts keep state in a key/value store (Redis, DynamoDB, etcd). This adapter shows how the
protocol maps onto one: every record is JSON text under a key namespaced by account and kind,
and a unit of work is an undo journal that restores the previous values on rollback. Pass any
``MutableMapping[str, str]`` (a plain ``dict`` by default). Listing scans keys by prefix, which
is fine for an example; a real store would keep an index per namespace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from jet_orderhive.orderhive import Customer, SalesOrder, normalize_email
from jet_orderhive.storage import (
    DEFAULT_ACCOUNT,
    LinkedSku,
    OrderIntent,
    OrderKey,
    OrderSides,
    OrderSnapshot,
    OutboxEntry,
    PushedKey,
    PushStatus,
    QuarantineEntry,
    TransactionAborted,
    UpsertResult,
    decode_json,
    encode_json,
    merge_customer,
)

_SEP = "\x1f"  # joins compound keys; it cannot occur in a SKU, node or Jet id


def _aware(value: datetime, name: str) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value


def _time(text: Any) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _claimable(entry: OutboxEntry, at: datetime) -> bool:
    return (
        entry.status is not PushStatus.DONE
        and entry.next_attempt_at is not None
        and entry.next_attempt_at <= at
    )


def _claimed_by_other(entry: OutboxEntry, owner: str | None, now: datetime) -> bool:
    expires = entry.claim_expires_at
    return (
        entry.claimed_by is not None
        and entry.claimed_by != owner
        and expires is not None
        and expires > now
    )


def _held_by_other(held: Any, owner: str, now: datetime) -> bool:
    return (
        bool(held) and held["owner"] != owner and datetime.fromisoformat(held["expires_at"]) > now
    )


def _held_by(held: Any, owner: str, now: datetime) -> bool:
    return (
        bool(held) and held["owner"] == owner and datetime.fromisoformat(held["expires_at"]) > now
    )


class DictStorage:
    """A `Storage` whose every record is a JSON string in one key/value mapping."""

    def __init__(
        self,
        data: MutableMapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._data: MutableMapping[str, str] = {} if data is None else data
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._undo: dict[str, str | None] | None = None  # key -> value before the unit began
        self._depth = 0
        self._doomed = False

    # -- the key/value layer: every write goes through _put / _delete to be undoable --------

    def _put(self, key: str, value: Any) -> None:
        if self._undo is not None and key not in self._undo:
            self._undo[key] = self._data.get(key)
        self._data[key] = encode_json(value)

    def _delete(self, key: str) -> bool:
        if key not in self._data:
            return False
        if self._undo is not None and key not in self._undo:
            self._undo[key] = self._data[key]
        del self._data[key]
        return True

    # Reads take the lock too: a unit of work holds it until it commits or rolls back, so no
    # other thread ever reads a value that may still be undone.
    def _get(self, key: str) -> Any:
        with self._lock:
            text = self._data.get(key)
        return None if text is None else decode_json(text)

    def _scan(self, prefix: str) -> list[Any]:
        with self._lock:
            texts = [self._data[key] for key in sorted(self._data) if key.startswith(prefix)]
        return [decode_json(text) for text in texts]

    def _now(self) -> datetime:
        return _aware(self._clock(), "clock()")

    # -- unit of work: an undo journal, replayed backwards on rollback ------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
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
            self._undo, self._depth, self._doomed = {}, 1, False
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            finally:
                self._depth = 0
            if self._doomed:
                self._rollback()
                raise TransactionAborted("an inner block raised; the unit was rolled back")
            self._undo = None

    def _rollback(self) -> None:
        undo, self._undo = self._undo or {}, None
        for key, before in undo.items():
            if before is None:
                self._data.pop(key, None)
            else:
                self._data[key] = before

    # -- orders and customers ---------------------------------------------------------------

    def upsert_order(
        self,
        order: SalesOrder,
        *,
        snapshot: OrderSnapshot | None = None,
        intent: OrderIntent | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> UpsertResult:
        if snapshot is not None and not isinstance(snapshot, OrderSnapshot):
            raise TypeError(f"snapshot must be an OrderSnapshot, got {type(snapshot).__name__}")
        if intent is not None and not isinstance(intent, OrderIntent):
            raise TypeError(f"intent must be an OrderIntent, got {type(intent).__name__}")
        key = f"{account}{_SEP}order:{order.channel_order_id}"
        with self.transaction():
            before = self._get(key)
            record: dict[str, Any] = {
                "view": order.to_dict(),
                "snapshot": None if snapshot is None else snapshot.to_json(),
                "intent": None if intent is None else intent.to_json(),
            }
            if before is not None:
                for side in ("snapshot", "intent"):
                    if record[side] is None:
                        record[side] = before[side]
                if encode_json(record) == encode_json(before):
                    return UpsertResult.UNCHANGED
            self._put(key, record)
            return UpsertResult.CREATED if before is None else UpsertResult.UPDATED

    def get_order(self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT) -> SalesOrder | None:
        record = self._get(f"{account}{_SEP}order:{jet_order_id}")
        return None if record is None else SalesOrder.from_dict(record["view"])

    def get_order_sides(
        self, jet_order_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> OrderSides | None:
        record = self._get(f"{account}{_SEP}order:{jet_order_id}")
        if record is None:
            return None
        snapshot, intent = record["snapshot"], record["intent"]
        return OrderSides(
            snapshot=None if snapshot is None else OrderSnapshot.from_json(snapshot),
            intent=None if intent is None else OrderIntent.from_json(intent),
        )

    def list_orders(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        after: str | None = None,
        limit: int | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[SalesOrder]:
        if isinstance(channel_statuses, str):
            raise TypeError("channel_statuses must be a collection of statuses, not one string")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        # Keys sort by order id within the prefix, so a page is a slice of the scan.
        wanted = None if channel_statuses is None else set(channel_statuses)
        found: list[SalesOrder] = []
        for data in self._scan(f"{account}{_SEP}order:"):
            order = SalesOrder.from_dict(data["view"])
            if after is not None and order.channel_order_id <= after:
                continue
            if wanted is not None and order.channel_status not in wanted:
                continue
            found.append(order)
            if limit is not None and len(found) >= limit:
                break
        return found

    def order_keys(
        self,
        *,
        channel_statuses: Collection[str] | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> dict[str, OrderKey]:
        if isinstance(channel_statuses, str):
            raise TypeError("channel_statuses must be a collection of statuses, not one string")
        keys: dict[str, OrderKey] = {}
        for record in self._scan(f"{account}{_SEP}order:"):
            view, snapshot = record["view"], record["snapshot"]
            status = view["channel_status"]
            if channel_statuses is None or status in set(channel_statuses):
                cancelled = bool(snapshot and snapshot["listed_cancelled"])
                keys[view["channel_order_id"]] = OrderKey(status, cancelled)
        return keys

    def upsert_customer(
        self, customer: Customer, *, account: str = DEFAULT_ACCOUNT
    ) -> UpsertResult:
        key = f"{account}{_SEP}customer:{customer.email}"
        with self.transaction():
            data = self._get(key)
            if data is None:
                self._put(key, customer.to_dict())
                return UpsertResult.CREATED
            existing = Customer.from_dict(data)
            merged = merge_customer(existing, customer)
            if merged == existing:
                return UpsertResult.UNCHANGED
            self._put(key, merged.to_dict())
            return UpsertResult.UPDATED

    def get_customer(self, email: str, *, account: str = DEFAULT_ACCOUNT) -> Customer | None:
        data = self._get(f"{account}{_SEP}customer:{normalize_email(email)}")
        return None if data is None else Customer.from_dict(data)

    def list_customers(self, *, account: str = DEFAULT_ACCOUNT) -> list[Customer]:
        return [Customer.from_dict(data) for data in self._scan(f"{account}{_SEP}customer:")]

    # -- outbox: one JSON object per entry; "seq" keeps enqueue order -----------------------

    def enqueue(
        self,
        key: str,
        *,
        kind: str,
        target: str,
        payload: Mapping[str, Any],
        not_before: datetime | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> bool:
        when = None if not_before is None else _aware(not_before, "not_before")
        with self.transaction():
            if f"{account}{_SEP}push:{key}" in self._data:
                return False
            now = self._now()
            due_at = now if when is None else when
            seq = int(self._get(f"{account}{_SEP}meta:seq") or 0) + 1
            self._put(f"{account}{_SEP}meta:seq", seq)
            self._put(
                f"{account}{_SEP}push:{key}",
                {
                    "key": key,
                    "kind": kind,
                    "target": target,
                    "payload": dict(payload),
                    "attempts": 0,
                    "status": PushStatus.PENDING.value,
                    "next_attempt_at": due_at.isoformat(),
                    "last_error": None,
                    "created_at": now.isoformat(),
                    "updated_at": now.isoformat(),
                    "seq": seq,
                },
            )
            return True

    @staticmethod
    def _entry(data: dict[str, Any]) -> OutboxEntry:
        return OutboxEntry(
            key=data["key"],
            kind=data["kind"],
            target=data["target"],
            payload=data["payload"],
            attempts=data["attempts"],
            status=PushStatus(data["status"]),
            next_attempt_at=_time(data["next_attempt_at"]),
            last_error=data["last_error"],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            claimed_by=data.get("claimed_by"),
            claim_expires_at=_time(data.get("claim_expires_at")),
            claims=data.get("claims", 0),
        )

    def _rows(self, account: str) -> list[dict[str, Any]]:
        return sorted(self._scan(f"{account}{_SEP}push:"), key=lambda row: row["seq"])

    def due(
        self,
        now: datetime | None = None,
        limit: int | None = None,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> list[OutboxEntry]:
        at = self._now() if now is None else _aware(now, "now")
        entries = [self._entry(row) for row in self._rows(account)]
        ready = [
            e for e in entries if _claimable(e, at) and not _claimed_by_other(e, None, self._now())
        ]
        # sorted() is stable, so entries with equal times stay in enqueue order.
        ready.sort(key=lambda e: (e.next_attempt_at, e.created_at))
        return ready if limit is None else ready[:limit]

    def claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> OutboxEntry | None:
        if ttl <= timedelta(0):
            raise ValueError(f"claim ttl must be positive, got {ttl}")
        with self.transaction():
            now = self._now()
            data = self._get(f"{account}{_SEP}push:{key}")
            if data is None:
                return None
            entry = self._entry(data)
            if not _claimable(entry, now) or _claimed_by_other(entry, owner, now):
                return None
            data.update(
                claimed_by=owner,
                claim_expires_at=(now + ttl).isoformat(),
                claims=entry.claims + 1,
            )
            self._put(f"{account}{_SEP}push:{key}", data)
            return self._entry(data)

    def renew_claim(
        self, key: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        if ttl <= timedelta(0):
            raise ValueError(f"claim ttl must be positive, got {ttl}")
        with self.transaction():
            now = self._now()
            data = self._get(f"{account}{_SEP}push:{key}")
            if data is None:
                return False
            entry = self._entry(data)
            expires = entry.claim_expires_at
            if entry.claimed_by != owner or expires is None or expires <= now:
                return False
            data["claim_expires_at"] = (now + ttl).isoformat()
            self._put(f"{account}{_SEP}push:{key}", data)
            return True

    def reschedule(
        self, key: str, next_attempt_at: datetime, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        when = _aware(next_attempt_at, "next_attempt_at")
        with self.transaction():
            now = self._now()
            data = self._get(f"{account}{_SEP}push:{key}")
            if data is None:
                return False
            entry = self._entry(data)
            waiting = entry.status is not PushStatus.DONE and entry.next_attempt_at is not None
            if not waiting or _claimed_by_other(entry, None, now):
                return False
            data.update(next_attempt_at=when.isoformat(), updated_at=now.isoformat())
            self._put(f"{account}{_SEP}push:{key}", data)
            return True

    def get_push(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> OutboxEntry | None:
        data = self._get(f"{account}{_SEP}push:{key}")
        return None if data is None else self._entry(data)

    def pushes(
        self, *, status: PushStatus | None = None, account: str = DEFAULT_ACCOUNT
    ) -> list[OutboxEntry]:
        entries = [self._entry(row) for row in self._rows(account)]
        return [e for e in entries if status is None or e.status is status]

    def _update_push(
        self, key: str, account: str, owner: str | None = None, **changes: Any
    ) -> bool:
        with self.transaction():
            data = self._get(f"{account}{_SEP}push:{key}")
            if data is None:
                raise KeyError(f"no outbox entry with key {key!r}")
            if data["status"] == PushStatus.DONE.value:
                return False  # done is final
            if owner is not None and _claimed_by_other(self._entry(data), owner, self._now()):
                return False  # the worker that lost its claim no longer decides
            data.update(changes, attempts=data["attempts"] + 1)
            data.update(claimed_by=None, claim_expires_at=None)
            data["updated_at"] = self._now().isoformat()
            self._put(f"{account}{_SEP}push:{key}", data)
            return True

    def mark_done(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        self._update_push(key, account, status=PushStatus.DONE.value, next_attempt_at=None)

    def mark_failed(
        self,
        key: str,
        error: str,
        next_attempt_at: datetime | None,
        *,
        owner: str | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> bool:
        retry = None if next_attempt_at is None else _aware(next_attempt_at, "next_attempt_at")
        return self._update_push(
            key,
            account,
            owner,
            status=PushStatus.FAILED.value,
            last_error=error,
            next_attempt_at=None if retry is None else retry.isoformat(),
        )

    # -- last-pushed stock and price --------------------------------------------------------

    def pushed_stock_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, int]:
        found = {key: self._get(f"{account}{_SEP}stock:{key[0]}{_SEP}{key[1]}") for key in keys}
        return {key: int(value) for key, value in found.items() if value is not None}

    def set_pushed_stock_many(
        self, values: Mapping[PushedKey, int], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        for (sku, _node), quantity in values.items():
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise ValueError(f"stock for {sku!r} must be a non-negative int")
        with self.transaction():
            for (sku, node), quantity in values.items():
                self._put(f"{account}{_SEP}stock:{sku}{_SEP}{node}", quantity)

    def pushed_price_many(
        self, keys: Iterable[PushedKey], *, account: str = DEFAULT_ACCOUNT
    ) -> dict[PushedKey, Decimal]:
        found = {key: self._get(f"{account}{_SEP}price:{key[0]}{_SEP}{key[1]}") for key in keys}
        return {key: Decimal(value) for key, value in found.items() if value is not None}

    def set_pushed_price_many(
        self, values: Mapping[PushedKey, Decimal], *, account: str = DEFAULT_ACCOUNT
    ) -> None:
        for (sku, _node), price in values.items():
            if not isinstance(price, Decimal) or not price.is_finite():
                raise TypeError(f"price for {sku!r} must be a finite Decimal, got {price!r}")
        with self.transaction():
            for (sku, node), price in values.items():
                self._put(
                    f"{account}{_SEP}price:{sku}{_SEP}{node}", str(price)
                )  # text keeps trailing zeros

    # -- linked SKUs ------------------------------------------------------------------------

    @staticmethod
    def _linked(data: dict[str, Any]) -> LinkedSku:
        return LinkedSku(
            sku=data["sku"],
            archived=data["archived"],
            archived_at=_time(data["archived_at"]),
            linked_at=datetime.fromisoformat(data["linked_at"]),
        )

    def link_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        with self.transaction():
            if f"{account}{_SEP}sku:{sku}" in self._data:
                return False
            now = self._now().isoformat()
            self._put(
                f"{account}{_SEP}sku:{sku}",
                {"sku": sku, "archived": False, "archived_at": None, "linked_at": now},
            )
            return True

    def link_skus(self, skus: Iterable[str], *, account: str = DEFAULT_ACCOUNT) -> list[str]:
        with self.transaction():
            return [sku for sku in dict.fromkeys(skus) if self.link_sku(sku, account=account)]

    def get_linked_sku(self, sku: str, *, account: str = DEFAULT_ACCOUNT) -> LinkedSku | None:
        data = self._get(f"{account}{_SEP}sku:{sku}")
        return None if data is None else self._linked(data)

    def linked_skus(self, *, account: str = DEFAULT_ACCOUNT) -> list[LinkedSku]:
        return [self._linked(data) for data in self._scan(f"{account}{_SEP}sku:")]

    def set_sku_archived(self, sku: str, archived: bool, *, account: str = DEFAULT_ACCOUNT) -> bool:
        with self.transaction():
            data = self._get(f"{account}{_SEP}sku:{sku}")
            if data is None:
                raise KeyError(f"SKU {sku!r} is not linked")
            if data["archived"] == archived:
                return False
            data["archived"] = archived
            data["archived_at"] = self._now().isoformat() if archived else None
            self._put(f"{account}{_SEP}sku:{sku}", data)
            return True

    # -- quarantine: the raw bytes are kept as hex, so JSON never touches them --------------

    @staticmethod
    def _quarantined(data: dict[str, Any]) -> QuarantineEntry:
        return QuarantineEntry(
            kind=data["kind"],
            external_id=data["external_id"],
            payload=bytes.fromhex(data["payload"]),
            reason=data["reason"],
            first_seen=datetime.fromisoformat(data["first_seen"]),
            last_seen=datetime.fromisoformat(data["last_seen"]),
            times_seen=data["times_seen"],
        )

    def quarantine(
        self,
        kind: str,
        external_id: str,
        payload: bytes,
        reason: str,
        *,
        account: str = DEFAULT_ACCOUNT,
    ) -> QuarantineEntry:
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError("quarantine payload must be bytes")
        payload = bytes(payload)
        key = f"{account}{_SEP}quarantine:{kind}{_SEP}{external_id}"
        with self.transaction():
            old = self._get(key)
            now = self._now().isoformat()
            data = {
                "kind": kind,
                "external_id": external_id,
                "payload": payload.hex(),
                "reason": reason,
                "first_seen": now if old is None else old["first_seen"],
                "last_seen": now,
                "times_seen": 1 if old is None else old["times_seen"] + 1,
            }
            self._put(key, data)
            return self._quarantined(data)

    def get_quarantined(
        self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT
    ) -> QuarantineEntry | None:
        data = self._get(f"{account}{_SEP}quarantine:{kind}{_SEP}{external_id}")
        return None if data is None else self._quarantined(data)

    def quarantined(
        self, kind: str | None = None, *, account: str = DEFAULT_ACCOUNT
    ) -> list[QuarantineEntry]:
        prefix = (
            f"{account}{_SEP}quarantine:"
            if kind is None
            else f"{account}{_SEP}quarantine:{kind}{_SEP}"
        )
        entries = [self._quarantined(data) for data in self._scan(prefix)]
        return sorted(entries, key=lambda e: (e.first_seen, e.kind, e.external_id))

    def release(self, kind: str, external_id: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        with self.transaction():
            return self._delete(f"{account}{_SEP}quarantine:{kind}{_SEP}{external_id}")

    # -- sync state and leases ----------------------------------------------------------------

    def get_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> str | None:
        value = self._get(f"{account}{_SEP}state:{key}")
        return None if value is None else str(value)

    def set_state(self, key: str, value: str, *, account: str = DEFAULT_ACCOUNT) -> None:
        with self.transaction():
            self._put(f"{account}{_SEP}state:{key}", value)

    def delete_state(self, key: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        with self.transaction():
            return self._delete(f"{account}{_SEP}state:{key}")

    def acquire_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        if ttl <= timedelta(0):
            raise ValueError(f"lease ttl must be positive, got {ttl}")
        with self.transaction():
            now = self._now()
            held = self._get(f"{account}{_SEP}lease:{name}")
            if _held_by_other(held, owner, now):
                return False
            self._put(
                f"{account}{_SEP}lease:{name}",
                {"owner": owner, "expires_at": (now + ttl).isoformat()},
            )
            return True

    def renew_lease(
        self, name: str, owner: str, ttl: timedelta, *, account: str = DEFAULT_ACCOUNT
    ) -> bool:
        if ttl <= timedelta(0):
            raise ValueError(f"lease ttl must be positive, got {ttl}")
        with self.transaction():
            now = self._now()
            held = self._get(f"{account}{_SEP}lease:{name}")
            if not _held_by(held, owner, now):
                return False
            self._put(
                f"{account}{_SEP}lease:{name}",
                {"owner": owner, "expires_at": (now + ttl).isoformat()},
            )
            return True

    def release_lease(self, name: str, owner: str, *, account: str = DEFAULT_ACCOUNT) -> bool:
        with self.transaction():
            held = self._get(f"{account}{_SEP}lease:{name}")
            if not held or held["owner"] != owner:
                return False
            return self._delete(f"{account}{_SEP}lease:{name}")
