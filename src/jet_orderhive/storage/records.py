"""The records a `Storage` keeps and hands back: order sides, outbox entries, quarantine, SKUs."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive.sides import OrderIntent, OrderSides, OrderSnapshot, ReturnSeen

__all__ = [
    "DEFAULT_ACCOUNT",
    "LinkedSku",
    "ListedKeys",
    "OrderIntent",
    "OrderKey",
    "OrderSides",
    "OrderSnapshot",
    "OutboxEntry",
    "PushStatus",
    "PushedKey",
    "QuarantineEntry",
    "ReturnSeen",
    "UpsertResult",
]

DEFAULT_ACCOUNT = "default"
"""The account a storage call is about when none is named."""

PushedKey = tuple[str, str]
"""``(sku, node)``: the key of a last-pushed stock or price; node ``""`` is the SKU-level price."""


class UpsertResult(enum.Enum):
    """What an upsert did, so the engine can count created / updated / unchanged records."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class PushStatus(enum.Enum):
    """Where an outbox entry stands; ``DONE`` is final and never becomes due again."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise JetOrderhiveValueError(
            f"{attribute.name} must be timezone-aware, got naive {value.isoformat()}"
        )


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """A write to Jet, recorded before it is sent so a crash cannot lose or repeat it.

    Attributes:
        key: the de-duplication key; one key is one push for the life of the storage.
        kind: what the push does, e.g. ``"acknowledge"``, ``"reject"``, ``"ship"``, ``"cancel"``.
        target: the Jet order id or SKU the push is about.
        payload: what the engine needs to send it, JSON-ready (money as ``Decimal``).
        attempts: how many sends were recorded (each ``mark_done`` or ``mark_failed``).
        status: pending, done, or failed (and then retried at ``next_attempt_at``).
        next_attempt_at: when the entry becomes due; ``None`` for a done entry or one that was
            given up on.
        last_error: the reason the latest attempt failed, if it did.
        claimed_by: the worker that holds the entry while it sends it, if any.
        claim_expires_at: when that claim lapses and another worker may take the entry.
        claims: how many claims were ever taken; above one (or with ``attempts``) an earlier
            worker may have sent the push, so Jet is read before it is sent again.
    """

    key: str
    kind: str
    target: str
    payload: Mapping[str, JsonValue]
    attempts: int = 0
    status: PushStatus = PushStatus.PENDING
    next_attempt_at: datetime | None = attrs.field(validator=_aware)
    last_error: str | None = None
    created_at: datetime = attrs.field(validator=_aware)
    updated_at: datetime = attrs.field(validator=_aware)
    claimed_by: str | None = None
    claim_expires_at: datetime | None = attrs.field(default=None, validator=_aware)
    claims: int = 0

    @property
    def may_have_been_sent(self) -> bool:
        """Whether an earlier worker may have sent this push without recording the outcome."""
        return self.attempts > 0 or self.claims > 1


@attrs.frozen(kw_only=True)
class QuarantineEntry:
    """A record that failed to parse or map, kept with its raw bytes so nothing is lost.

    Attributes:
        kind: what the record is, e.g. ``"order"`` or ``"return"``.
        external_id: the record's id on Jet (the key together with ``kind``).
        payload: the raw payload exactly as received, byte for byte.
        reason: why it was quarantined, in words a user can act on.
        first_seen: when it was first quarantined; kept when it is quarantined again.
        last_seen: when it was last quarantined.
        times_seen: how many times it was quarantined.
    """

    kind: str
    external_id: str
    # Raw Jet payloads carry buyer names and addresses, which must not reach logs via a repr.
    payload: bytes = attrs.field(repr=False)
    reason: str
    first_seen: datetime = attrs.field(validator=_aware)
    last_seen: datetime = attrs.field(validator=_aware)
    times_seen: int = 1


@attrs.frozen(kw_only=True)
class LinkedSku:
    """A merchant SKU the integration manages on Jet, and whether Jet archived it.

    Attributes:
        archived_at: when it was last marked archived; ``None`` while it is active.
        linked_at: when it was first linked.
    """

    sku: str
    archived: bool = False
    archived_at: datetime | None = attrs.field(default=None, validator=_aware)
    linked_at: datetime = attrs.field(validator=_aware)


# -- the two sides of a stored order live with the order model (orderhive.sides) -----------


@attrs.frozen
class OrderKey:
    """The keys-only view of a stored order an incremental import runs on."""

    status: str
    """Jet's status as last seen (the host view's ``channel_status``)."""
    cancelled: bool = False
    """The order was last listed with ``isCancelled=true``."""


@attrs.frozen(kw_only=True)
class ListedKeys:
    """What `listed_order_keys` answers: the keys of the listed stored orders, and a turn of
    the others.

    An incremental import passes every id Jet's lists show; the answer holds what planning the
    run needs without a read of every stored order.
    """

    keys: Mapping[str, OrderKey] = attrs.field(factory=dict)
    """Jet order id → key of each given id that is stored (in the statuses asked), by id."""
    unlisted: int = 0
    """How many stored orders (in the statuses asked) are not among the ids given."""
    turn: Mapping[str, OrderKey] = attrs.field(factory=dict)
    """Up to ``limit`` of those, in turn: by id from the first after ``after``, then from the
    smallest id on (wrapping around), each with its key, in that order."""
