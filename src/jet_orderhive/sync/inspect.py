"""Look at what the engine keeps, and act on it: pushes, quarantine and stored orders.

`Integration` exposes these as methods (``pending_pushes()``, ``retry_push(key)``,
``orders(...)``, ...) and the command line as ``status``, ``pushes``, ``quarantine``,
``orders`` and ``retry``. Every view is a plain frozen record with a ``to_dict()`` for JSON;
none holds a raw payload, a buyer address or an email, so a view is safe to print and log.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import TypedDict

import attrs

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.orderhive.models import SalesOrder
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.records import OutboxEntry, PushStatus, QuarantineEntry
from jet_orderhive.sync import _plan, importer, pushes
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._plan import PushKind
from jet_orderhive.sync.errors import PushNotFound
from jet_orderhive.sync.importer import SUPERSEDED as _SUPERSEDED
from jet_orderhive.sync.report import ReportBuilder

__all__ = [
    "OrderPage",
    "OrderView",
    "OrderViewDict",
    "OwedAction",
    "PushState",
    "PushView",
    "PushViewDict",
    "QuarantineView",
    "QuarantineViewDict",
    "StatusView",
    "StatusViewDict",
    "iter_order_views",
    "order_page",
    "push_views",
    "quarantine_views",
    "retry_pushes",
    "retry_quarantined",
    "status_view",
]

#: How many stored orders one storage read takes while a filtered page is being filled.
_SCAN = 200


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# -- pushes -----------------------------------------------------------------------------------


class PushState(enum.StrEnum):
    """Where a status push stands, in the host's terms."""

    PENDING = "pending"
    """Waiting to be sent: due now, or at ``next_attempt_at``."""
    RETRYING = "retrying"
    """An attempt failed; the engine tries again at ``next_attempt_at``."""
    GIVEN_UP = "given_up"
    """Failed for good (Jet refused it, or retries ran out); ``retry_push`` sends it again."""
    SUPERSEDED = "superseded"
    """Retired because the host asked for another change of the order; never sent."""
    DONE = "done"
    """Sent and taken by Jet."""


def _state(entry: OutboxEntry) -> PushState:
    if entry.status is PushStatus.DONE:
        return PushState.DONE
    if entry.status is PushStatus.PENDING:
        return PushState.PENDING
    if entry.next_attempt_at is not None:
        return PushState.RETRYING
    if (entry.last_error or "").startswith(_SUPERSEDED):
        return PushState.SUPERSEDED
    return PushState.GIVEN_UP


class PushViewDict(TypedDict):
    """`PushView` as JSON (datetimes as ISO text)."""

    key: str
    kind: str
    target: str
    state: str
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str
    updated_at: str
    claimed_by: str | None


@attrs.frozen(kw_only=True)
class PushView:
    """One status push of the outbox (acknowledge, reject, ship or cancel), without its body.

    Attributes:
        key: the outbox key; ``retry_push(key)`` acts on it.
        kind: ``"acknowledge"``, ``"reject"``, ``"ship"`` or ``"cancel"``.
        target: the Jet order id.
        state: where it stands (`PushState`).
        attempts: sends recorded so far.
        next_attempt_at: when it is tried next; ``None`` once done or given up.
        last_error: why the latest attempt failed, if one did.
        claimed_by: the worker sending it right now, if any.
    """

    key: str
    kind: str
    target: str
    state: PushState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    claimed_by: str | None = None

    @classmethod
    def of(cls, entry: OutboxEntry) -> PushView:
        """The view of one outbox entry."""
        return cls(
            key=entry.key,
            kind=entry.kind,
            target=entry.target,
            state=_state(entry),
            attempts=entry.attempts,
            next_attempt_at=entry.next_attempt_at,
            last_error=entry.last_error,
            created_at=entry.created_at,
            updated_at=entry.updated_at,
            claimed_by=entry.claimed_by,
        )

    def to_dict(self) -> PushViewDict:
        """A JSON-ready dict."""
        return {
            "key": self.key,
            "kind": self.kind,
            "target": self.target,
            "state": self.state.value,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "claimed_by": self.claimed_by,
        }


def push_views(storage: Storage, account: str, *states: PushState) -> list[PushView]:
    """The outbox's status pushes in these states (every state when none is named)."""
    wanted = set(states) or set(PushState)
    statuses = []
    if PushState.PENDING in wanted:
        statuses.append(PushStatus.PENDING)
    if wanted & {PushState.RETRYING, PushState.GIVEN_UP, PushState.SUPERSEDED}:
        statuses.append(PushStatus.FAILED)
    if PushState.DONE in wanted:
        statuses.append(PushStatus.DONE)
    views = [
        PushView.of(entry)
        for status in statuses
        for entry in storage.pushes(status=status, account=account)
    ]
    return sorted(
        (view for view in views if view.state in wanted), key=lambda v: (v.created_at, v.key)
    )


def retry_pushes(engine: Engine, report: ReportBuilder, keys: list[str]) -> None:
    """Make each push due now and send it in one flush.

    A push that is pending or retrying is moved to now without counting an attempt; one that
    was given up is made due again (counting the failed attempt it ended with). A done or
    superseded push is left alone, and so is one another worker is sending. Before anything is
    sent again, Jet's copy of the order is read, so a push Jet already applied is marked done
    instead of sent twice.
    """
    storage, account, now = engine.storage, engine.account, engine.now()
    due: set[str] = set()
    targets: set[str] = set()
    for key in keys:
        entry = storage.get_push(key, account=account)
        if entry is None:
            raise PushNotFound(key)
        state = _state(entry)
        if state is PushState.DONE:
            report.note(f"push {key} is done already; nothing to retry")
            continue
        if state is PushState.SUPERSEDED:
            report.note(
                f"push {key} was superseded by a later change of order {entry.target}; it is "
                "not sent"
            )
            continue
        expires = entry.claim_expires_at
        if entry.claimed_by is not None and expires is not None and expires > now:
            report.note(f"push {key} is being sent by another worker right now")
            continue
        if engine.dry_run:
            report.note(f"dry run: push {key} would be made due now and sent")
            continue
        if state is PushState.GIVEN_UP:
            storage.mark_failed(key, entry.last_error or "given up", now, account=account)
        else:
            storage.reschedule(key, now, account=account)
        due.add(key)
        targets.add(entry.target)
    if due:
        pushes.flush(engine, report, keys=due, targets=targets)


# -- quarantine -------------------------------------------------------------------------------


class QuarantineViewDict(TypedDict):
    """`QuarantineView` as JSON (datetimes as ISO text)."""

    kind: str
    external_id: str
    reason: str
    first_seen: str
    last_seen: str
    times_seen: int
    payload_bytes: int


@attrs.frozen(kw_only=True)
class QuarantineView:
    """A quarantined record, without its raw payload (which may hold buyer data).

    Attributes:
        kind: ``"order"`` (what the engine quarantines).
        external_id: the Jet id of the record.
        reason: why it was quarantined.
        payload_bytes: the size of the raw payload kept next to it in storage.
    """

    kind: str
    external_id: str
    reason: str
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    payload_bytes: int

    @classmethod
    def of(cls, entry: QuarantineEntry) -> QuarantineView:
        """The view of one quarantine entry."""
        return cls(
            kind=entry.kind,
            external_id=entry.external_id,
            reason=entry.reason,
            first_seen=entry.first_seen,
            last_seen=entry.last_seen,
            times_seen=entry.times_seen,
            payload_bytes=len(entry.payload),
        )

    def to_dict(self) -> QuarantineViewDict:
        """A JSON-ready dict."""
        return {
            "kind": self.kind,
            "external_id": self.external_id,
            "reason": self.reason,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "times_seen": self.times_seen,
            "payload_bytes": self.payload_bytes,
        }


def quarantine_views(
    storage: Storage, account: str, kind: str | None = None
) -> list[QuarantineView]:
    """Quarantined records (optionally of one kind), first seen first."""
    return [QuarantineView.of(entry) for entry in storage.quarantined(kind, account=account)]


def retry_quarantined(engine: Engine, report: ReportBuilder, order_ids: list[str]) -> None:
    """Fetch quarantined orders from Jet again; each one that now maps is stored and released.

    The import's own path is used, so a released order is stored, its customer merged and its
    acknowledgement queued (and sent) exactly as on a normal import. An order that still fails
    stays quarantined with the new reason; one that is not in quarantine is only noted.
    """
    storage, account = engine.storage, engine.account
    wanted: list[str] = []
    for order_id in order_ids:
        if storage.get_quarantined("order", order_id, account=account) is None:
            report.note(f"order {order_id} is not in quarantine; nothing to retry")
        else:
            wanted.append(order_id)
    if not wanted:
        return
    fresh, outside = importer.import_ids(engine, report, wanted)
    for order_id in sorted(outside):
        report.note(
            f"order {order_id} was placed before the import window and is not ready, so it is "
            "not imported; it stays in quarantine"
        )
    if not engine.dry_run and fresh:
        pushes.flush(
            engine,
            report,
            fresh=fresh,
            keys={_plan.ack_key(order_id) for order_id in fresh},
            kinds={PushKind.ACKNOWLEDGE},
        )


# -- stored orders ----------------------------------------------------------------------------


class OwedAction(enum.StrEnum):
    """Something the host must do about a stored order."""

    ANSWER_DIRECTED_CANCEL = "answer_directed_cancel"
    """Jet asks the merchant to cancel the order: call ``cancel()`` (or ship what went out)."""
    FIX_REFUSED_PUSH = "fix_refused_push"
    """A status push of the order was given up: fix the cause, then ``retry_push(key)`` or
    confirm, ship or cancel again."""
    CONFIRM_OR_REJECT = "confirm_or_reject"
    """Jet shows the order ready and no answer is queued: ``confirm()`` or ``cancel()`` it."""


class OrderViewDict(TypedDict):
    """`OrderView` as JSON: the order's figures and statuses, never addresses or emails."""

    jet_order_id: str
    order_number: str
    jet_status: str
    order_status: str
    placed_at: str
    grand_total: str
    currency: str
    units_ordered: int
    units_open: int
    directed_cancel: bool
    owes: list[str]


@attrs.frozen(kw_only=True)
class OrderView:
    """A stored order and what the host owes on it.

    Attributes:
        order: the stored record, whole (it holds the buyer's addresses; ``to_dict`` does not).
        owes: the actions the host owes, empty when none.
    """

    order: SalesOrder
    owes: tuple[OwedAction, ...] = ()

    def to_dict(self) -> OrderViewDict:
        """A JSON-ready summary without buyer data (no names, addresses or emails)."""
        order = self.order
        return {
            "jet_order_id": order.channel_order_id,
            "order_number": order.channel_order_number,
            "jet_status": order.channel_status,
            "order_status": order.order_status.value,
            "placed_at": order.placed_at.isoformat(),
            "grand_total": str(order.grand_total),
            "currency": order.currency,
            "units_ordered": sum(line.quantity_ordered for line in order.line_items),
            "units_open": sum(line.quantity_open for line in order.line_items),
            "directed_cancel": order.directed_cancel,
            "owes": [action.value for action in self.owes],
        }


@attrs.frozen(kw_only=True)
class OrderPage:
    """One page of stored orders, by Jet order id.

    Attributes:
        orders: the orders of this page.
        next_after: pass it as ``after=`` to read the next page; ``None`` once the last stored
            order was read (a page that ended exactly at the last order is followed by an
            empty one).
    """

    orders: tuple[OrderView, ...]
    next_after: str | None


def _refused_targets(storage: Storage, account: str) -> set[str]:
    return {
        entry.target
        for entry in storage.pushes(status=PushStatus.FAILED, account=account)
        if _state(entry) is PushState.GIVEN_UP
    }


def _owes(
    storage: Storage, account: str, order: SalesOrder, refused: set[str]
) -> tuple[OwedAction, ...]:
    owes: list[OwedAction] = []
    if order.directed_cancel:
        owes.append(OwedAction.ANSWER_DIRECTED_CANCEL)
    if order.channel_order_id in refused:
        owes.append(OwedAction.FIX_REFUSED_PUSH)
    if order.channel_status == "ready":
        order_id = order.channel_order_id
        answered = storage.get_push(_plan.ack_key(order_id), account=account) or storage.get_push(
            _plan.reject_key(order_id), account=account
        )
        if answered is None:
            owes.append(OwedAction.CONFIRM_OR_REJECT)
    return tuple(owes)


def _check_filters(
    placed_from: datetime | None, placed_before: datetime | None, limit: int
) -> None:
    for name, value in (("placed_from", placed_from), ("placed_before", placed_before)):
        if value is not None and value.utcoffset() is None:
            raise JetOrderhiveValueError(
                f"{name} must be timezone-aware, got naive {value.isoformat()}"
            )
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise JetOrderhiveValueError(f"limit must be a positive int, got {limit!r}")


def iter_order_views(
    storage: Storage,
    account: str,
    *,
    jet_statuses: Collection[str] | None = None,
    placed_from: datetime | None = None,
    placed_before: datetime | None = None,
    owes_action: bool | None = None,
    after: str | None = None,
) -> Iterator[OrderView]:
    """Every stored order matching the filters, by Jet order id, read page by page."""
    _check_filters(placed_from, placed_before, 1)
    refused = _refused_targets(storage, account)
    cursor = after
    while True:
        batch = storage.list_orders(
            channel_statuses=jet_statuses, after=cursor, limit=_SCAN, account=account
        )
        for order in batch:
            if placed_from is not None and order.placed_at < placed_from:
                continue
            if placed_before is not None and order.placed_at >= placed_before:
                continue
            view = OrderView(order=order, owes=_owes(storage, account, order, refused))
            if owes_action is not None and bool(view.owes) is not owes_action:
                continue
            yield view
        if len(batch) < _SCAN:
            return
        cursor = batch[-1].channel_order_id


def order_page(
    storage: Storage,
    account: str,
    *,
    jet_statuses: Collection[str] | None = None,
    placed_from: datetime | None = None,
    placed_before: datetime | None = None,
    owes_action: bool | None = None,
    after: str | None = None,
    limit: int = 50,
) -> OrderPage:
    """At most ``limit`` stored orders matching the filters, after the Jet order id ``after``."""
    _check_filters(placed_from, placed_before, limit)
    found: list[OrderView] = []
    views = iter_order_views(
        storage,
        account,
        jet_statuses=jet_statuses,
        placed_from=placed_from,
        placed_before=placed_before,
        owes_action=owes_action,
        after=after,
    )
    for view in views:
        found.append(view)
        if len(found) == limit:
            return OrderPage(orders=tuple(found), next_after=view.order.channel_order_id)
    return OrderPage(orders=tuple(found), next_after=None)


# -- the whole picture ------------------------------------------------------------------------


class StatusViewDict(TypedDict):
    """`StatusView` as JSON."""

    account: str
    orders_by_jet_status: dict[str, int]
    pushes_by_state: dict[str, int]
    next_push_at: str | None
    quarantined: int
    linked_skus: int


@attrs.frozen(kw_only=True)
class StatusView:
    """What storage holds for one account, in figures: the CLI's ``status``.

    Attributes:
        orders_by_jet_status: stored orders per Jet status.
        pushes_by_state: status pushes per `PushState` (done ones included).
        next_push_at: the earliest next attempt of a pending or retrying push.
        quarantined: records in quarantine.
        linked_skus: SKUs auto-archive checks.
    """

    account: str
    orders_by_jet_status: dict[str, int]
    pushes_by_state: dict[PushState, int]
    next_push_at: datetime | None
    quarantined: int
    linked_skus: int

    def to_dict(self) -> StatusViewDict:
        """A JSON-ready dict."""
        return {
            "account": self.account,
            "orders_by_jet_status": dict(self.orders_by_jet_status),
            "pushes_by_state": {state.value: n for state, n in self.pushes_by_state.items()},
            "next_push_at": _iso(self.next_push_at),
            "quarantined": self.quarantined,
            "linked_skus": self.linked_skus,
        }


def status_view(storage: Storage, account: str) -> StatusView:
    """Count what storage holds; orders are read by key and status only."""
    by_status: dict[str, int] = {}
    for key in storage.order_keys(account=account).values():
        status = key.status
        by_status[status] = by_status.get(status, 0) + 1
    views = push_views(storage, account)
    by_state = {state: sum(1 for v in views if v.state is state) for state in PushState}
    times = [
        v.next_attempt_at
        for v in views
        if v.next_attempt_at is not None and v.state in (PushState.PENDING, PushState.RETRYING)
    ]
    return StatusView(
        account=account,
        orders_by_jet_status=dict(sorted(by_status.items())),
        pushes_by_state=by_state,
        next_push_at=min(times, default=None),
        quarantined=len(storage.quarantined(account=account)),
        linked_skus=len(storage.linked_skus(account=account)),
    )
