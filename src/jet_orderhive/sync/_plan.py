"""Pure decisions of the engine: which lists to read, what to fetch, when to retry a push.

Nothing here does I/O; the orchestrators in ``importer``, ``pushes`` and ``integration`` feed
these functions what they read and act on what they return, and the tests pin them directly.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from jet_orderhive.sync.settings import IntegrationSettings

__all__ = [
    "OPEN_STATUSES",
    "ListQuery",
    "ImportPlan",
    "PushKind",
    "ack_key",
    "budget_turn",
    "cancel_key",
    "list_queries",
    "plan_import",
    "reject_key",
    "retry_at",
    "ship_key",
]

#: Jet statuses after which an order can still change (``complete`` is final).
OPEN_STATUSES = ("created", "ready", "acknowledged", "inprogress")
#: Lists that bring new orders; the other lists only refresh orders already stored.
_REFRESH_STATUSES = ("acknowledged", "inprogress", "complete")
#: Never wait longer than this between two attempts of a failed push.
MAX_RETRY_DELAY = timedelta(hours=6)


@attrs.frozen(kw_only=True)
class ListQuery:
    """One ``GET /orders/{status}?isCancelled=...`` request."""

    status: str
    cancelled: bool


def list_queries(settings: IntegrationSettings) -> tuple[ListQuery, ...]:
    """The order lists one import reads, newest-order lists first.

    Every run reads the same lists: ``ready`` (and ``created`` with ``import_created``) bring
    new orders, ``acknowledged`` / ``inprogress`` / ``complete`` tell the current status of
    stored ones. Each list is read with ``isCancelled`` false and true, because Jet's list
    without the flag is undocumented and cancelled orders must be seen too.
    """
    statuses = (("created",) if settings.import_created else ()) + ("ready", *_REFRESH_STATUSES)
    return tuple(
        ListQuery(status=status, cancelled=cancelled)
        for status in statuses
        for cancelled in (False, True)
    )


def new_order_statuses(settings: IntegrationSettings) -> tuple[str, ...]:
    """Jet statuses whose lists bring orders the integration has not seen yet."""
    return ("created", "ready") if settings.import_created else ("ready",)


@attrs.frozen(kw_only=True)
class ImportPlan:
    """Which orders one import fetches, and why.

    Attributes:
        new: listed, not stored, and eligible to be imported (every list on the initial sync;
            the new-order lists afterwards).
        changed: stored, and listed under another Jet status than the stored one.
        missing: stored and still open, but in no list (past Jet's 1,000-id cap or 90 days):
            fetched directly so their status is not frozen.
        retry: listed ids that sit in quarantine; Jet may serve them correctly now.
        unchanged: stored and listed under the stored status: not fetched.
    """

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    retry: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def to_fetch(self) -> tuple[str, ...]:
        """Every id to fetch, each once, in a stable order."""
        return tuple(dict.fromkeys((*self.new, *self.retry, *self.changed, *self.missing)))


def plan_import(
    *,
    listed: Mapping[str, ListQuery],
    stored: Mapping[str, ListQuery],
    initial: bool,
    new_statuses: Collection[str],
    quarantined: Collection[str] = (),
    ignored: Collection[str] = (),
) -> ImportPlan:
    """Decide which order ids to fetch.

    Args:
        listed: order id → the list (status and cancelled flag) that holds it on Jet.
        stored: order id → the list a stored order was last seen in (its snapshot's status
            and ``listed_cancelled``), at least for every open stored order.
        initial: whether this is the initial sync (every listed id is a candidate).
        new_statuses: statuses whose lists bring new orders on later runs.
        quarantined: ids currently in quarantine.
        ignored: ids known to be outside the import window; never fetched again.
    """
    new: list[str] = []
    changed: list[str] = []
    retry: list[str] = []
    unchanged: list[str] = []
    quarantine = set(quarantined)
    skip = set(ignored)
    for order_id, where in listed.items():
        if order_id in stored:
            same = stored[order_id] == where
            (unchanged if same else changed).append(order_id)
        elif order_id in skip:
            continue
        elif order_id in quarantine:
            retry.append(order_id)
        elif initial or where.status in new_statuses:
            new.append(order_id)
    missing = [
        order_id
        for order_id, where in stored.items()
        if where.status in OPEN_STATUSES and order_id not in listed
    ]
    return ImportPlan(
        new=tuple(new),
        changed=tuple(changed),
        missing=tuple(missing),
        retry=tuple(retry),
        unchanged=tuple(unchanged),
    )


def budget_turn(missing: Iterable[str], after: str, budget: int) -> list[str]:
    """The ``budget`` unlisted open orders a run re-reads: by id from the first after
    ``after`` (where the previous run stopped), wrapping around to the smallest id.

    The storage answers the same turn itself (`listed_order_keys`); this is the turn over the
    ids at hand, for the initial sync, which reads every stored key anyway.
    """
    ordered = sorted(missing)
    start = bisect.bisect_right(ordered, after)
    return (ordered[start:] + ordered[:start])[:budget]


def merge_listings(listings: Iterable[tuple[ListQuery, Iterable[str]]]) -> dict[str, ListQuery]:
    """Combine ``(list, ids)`` pairs into id → list; a later list wins a conflict.

    Lists are read from the earliest status to the latest, so an order that moved while the
    lists were being read ends up under its most advanced status.
    """
    merged: dict[str, ListQuery] = {}
    for query, ids in listings:
        for order_id in ids:
            merged[order_id] = query
    return merged


# -- outbox ------------------------------------------------------------------------------------


class PushKind(enum.StrEnum):
    """What an outbox entry asks Jet to do with an order."""

    ACKNOWLEDGE = "acknowledge"
    REJECT = "reject"
    SHIP = "ship"
    CANCEL = "cancel"


def ack_key(order_id: str) -> str:
    """The outbox key of an order's acknowledgement (an order is acknowledged once, ever)."""
    return f"ack:{order_id}"


def reject_key(order_id: str) -> str:
    """The outbox key of an order's rejection (it shares the ack's one-answer-only rule)."""
    return f"reject:{order_id}"


def ship_key(order_id: str, shipment_id: str) -> str:
    """The outbox key of one shipment: the same shipment id is sent once, however often asked."""
    return f"ship:{order_id}:{shipment_id}"


def cancel_key(order_id: str, alt_shipment_id: str) -> str:
    """The outbox key of one cancel shipment."""
    return f"cancel:{order_id}:{alt_shipment_id}"


def retry_at(now: datetime, attempts_before: int, settings: IntegrationSettings) -> datetime | None:
    """When a push that just failed for the ``attempts_before + 1``-th time is tried again.

    The wait starts at ``push_retry_delay`` and doubles per failure, capped at six hours.
    ``None`` means give up: ``max_push_attempts`` failures were recorded.
    """
    failures = attempts_before + 1
    if failures >= settings.max_push_attempts:
        return None
    delay: timedelta = settings.push_retry_delay * (2 ** min(attempts_before, 32))
    return now + min(delay, MAX_RETRY_DELAY)
