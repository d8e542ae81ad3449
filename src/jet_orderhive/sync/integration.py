"""`Integration`: the one object a host uses to sync a Jet account with its order store."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from typing import Self

import attrs

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive._json import JsonValue
from jet_orderhive.jet.client import JetClient
from jet_orderhive.jet.enums import AckStatus
from jet_orderhive.mapping import Mappings, cancel_shipment_id, shipment_id_for
from jet_orderhive.orderhive.models import SalesOrder, Shipment
from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.records import OrderIntent, OrderSnapshot, PushStatus
from jet_orderhive.sync import _plan, importer, inspect, pushes
from jet_orderhive.sync._changes import apply_shipment, cancel_lines
from jet_orderhive.sync._engine import Engine, Lease, LeaseLost, utc_now
from jet_orderhive.sync._plan import PushKind
from jet_orderhive.sync._sides import confirmed, intent_of, rejected, snapshot_or_view
from jet_orderhive.sync.archive import sync_archived
from jet_orderhive.sync.errors import OrderNotStored
from jet_orderhive.sync.importer import refresh_order
from jet_orderhive.sync.prices import PriceInput, push_prices
from jet_orderhive.sync.progress import ProgressCallback
from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder, SyncReport
from jet_orderhive.sync.returns import import_returns
from jet_orderhive.sync.settings import IntegrationSettings
from jet_orderhive.sync.stock import StockInput, push_stock

__all__ = ["Integration", "OrderNotStored"]

log = logging.getLogger("jet_orderhive.sync")

_NOT_ACKNOWLEDGED = frozenset({"created", "ready"})


class Integration:
    """Imports orders and customers from Jet and pushes status, stock and prices back.

    Every method returns a :class:`SyncReport`. Settings decide what is done: a push whose
    toggle is off sends nothing (the report says so), and ``dry_run`` computes everything and
    writes nothing to Jet or to storage.

    Args:
        client: a :class:`JetClient` (``sandbox.client()`` in tests).
        storage: where orders, customers, the outbox and sync state live.
        settings: what to do; Orderhive's toggles plus the engine's knobs.
        mappings: how Jet records become Orderhive records, and back.
        clock: "now" for the engine (windows, backoff, reports); UTC now by default.
        progress: called with a :class:`ProgressEvent` as work advances.
        sleep: how the engine waits between tries of a push within one call (``time.sleep``).
        owns_client: whether `close()` closes ``client`` (default: the caller keeps it).
        owns_storage: whether `close()` closes ``storage`` (default: the caller keeps it).

    It is a context manager: ``with Integration(client, storage, owns_client=True) as it:``
    closes what it owns on exit (see `close`).
    """

    def __init__(
        self,
        client: JetClient,
        storage: Storage,
        *,
        settings: IntegrationSettings | None = None,
        mappings: Mappings | None = None,
        clock: Callable[[], datetime] | None = None,
        progress: ProgressCallback | None = None,
        sleep: Callable[[float], None] | None = None,
        owns_client: bool = False,
        owns_storage: bool = False,
    ) -> None:
        self._owns_client = owns_client
        self._owns_storage = owns_storage
        self._closed = False
        self._engine = Engine(
            client=client,
            storage=storage,
            settings=settings if settings is not None else IntegrationSettings(),
            mappings=mappings if mappings is not None else Mappings.default(),
            clock=clock if clock is not None else utc_now,
            progress=progress,
            sleep=sleep if sleep is not None else time.sleep,
        )

    def __repr__(self) -> str:
        settings = self.settings
        flag = " dry_run" if settings.dry_run else ""
        storage = type(self.storage).__name__
        return f"<Integration account={settings.account!r}{flag} storage={storage}>"

    @property
    def settings(self) -> IntegrationSettings:
        """The settings this integration runs with."""
        return self._engine.settings

    @property
    def storage(self) -> Storage:
        """The storage this integration writes to."""
        return self._engine.storage

    @property
    def client(self) -> JetClient:
        """The Jet client this integration talks through."""
        return self._engine.client

    # -- import ----------------------------------------------------------------------------------

    def import_orders(self) -> SyncReport:
        """Import new orders and customers, refresh stored ones, and acknowledge new ones.

        The first run is the initial sync (orders placed within ``initial_sync_days``); later
        runs import new orders and refresh stored ones. Acknowledgements go through the
        outbox: each is sent as soon as the unit of work that stored its order committed,
        while the other orders are still being fetched.
        """
        engine = self._engine
        with engine.step("import_orders") as report:
            acks = None if engine.dry_run else pushes.Acknowledgements(engine, report)
            importer.import_orders(engine, report, acks)
        return engine.finish(report)

    # -- order status pushes ---------------------------------------------------------------------

    def flush_pushes(self) -> SyncReport:
        """Send every due status push: pending ones and failed ones whose retry time came."""
        engine = self._engine
        with engine.step("flush_pushes") as report:
            pushes.flush(engine, report)
        return engine.finish(report)

    def confirm(self, order_id: str) -> SyncReport:
        """Confirm a stored order and acknowledge it on Jet (``accepted``) while it is ready."""
        engine = self._engine
        order, snapshot, intent = self._sides(order_id)
        with engine.step("confirm") as report:
            if snapshot.status not in _NOT_ACKNOWLEDGED:
                report.note(
                    f"order {order_id} is already {snapshot.status!r} on Jet; "
                    "only ready orders are acknowledged"
                )
            else:
                asked = attrs.evolve(intent, confirmed=True, rejection=None)
                updated = confirmed(order)
                payload: dict[str, JsonValue] = {"body": engine.acknowledgement(updated).to_dict()}
                key = _plan.ack_key(order_id)
                self._record(report, order, updated, asked, key, PushKind.ACKNOWLEDGE, payload)
        return engine.finish(report)

    def ship(self, order_id: str, shipment: Shipment) -> SyncReport:
        """Record a shipment on the stored order and send it to Jet.

        Shipping the same shipment twice (same ``alt_shipment_id``, or same tracking number and
        lines) records and sends it once. A shipment that leaves units open makes the order
        PARTIALLY_SHIPPED (Jet: ``inprogress``); the last one makes it SHIPPED (``complete``).
        """
        engine = self._engine
        order, snapshot, intent = self._sides(order_id)
        alt_id = shipment_id_for(order, shipment)
        shipment = attrs.evolve(shipment, alt_shipment_id=alt_id)
        key = _plan.ship_key(order_id, alt_id)
        shown = any(s.alt_shipment_id == alt_id for s in order.shipments)
        asked_before = intent.shipment(alt_id) is not None
        if not shown:
            self._check_answered(order_id, snapshot, intent, "shipped")
        with engine.step("ship") as report:
            if shown:
                report.note(f"shipment {alt_id} of order {order_id} was already recorded")
                if engine.settings.push_order_status and not engine.dry_run:
                    self._rearm(key)
                    pushes.flush(engine, report, keys={key}, targets={order_id})
            else:
                # New, or asked before and refused by Jet for good: its units are open again.
                updated = apply_shipment(order, shipment)
                body = engine.ship_notice(order, shipment).to_dict()
                asked = intent
                if not asked_before:
                    asked = attrs.evolve(intent, shipments=(*intent.shipments, shipment))
                payload: dict[str, JsonValue] = {"body": body, "alt_shipment_id": alt_id}
                self._record(report, order, updated, asked, key, PushKind.SHIP, payload)
        return engine.finish(report)

    def cancel(
        self,
        order_id: str,
        lines: Mapping[str, int] | None = None,
        reason: AckStatus | str = AckStatus.REJECTED_OTHER,
    ) -> SyncReport:
        """Cancel units of a stored order (every open unit when ``lines`` is ``None``).

        Before Jet has the order acknowledged the whole order is rejected, with ``reason`` (one
        of Jet's ``rejected - ...`` values); after, or once units were shipped or an
        acknowledgement may have reached Jet, the units are cancelled with a cancel shipment
        that carries a unique ``alt_shipment_id``.
        """
        engine = self._engine
        order, snapshot, intent = self._sides(order_id)
        with engine.step("cancel") as report:
            if snapshot.status in _NOT_ACKNOWLEDGED and self._ack_uncertain(order_id):
                # Jet's snapshot may predate an acknowledgement that reached it: read it anew.
                refresh_order(engine, report, order_id)
                order, snapshot, intent = self._sides(order_id)
            if self._rejectable(order, snapshot, intent):
                self._reject(report, order, intent, lines, AckStatus(reason))
            else:
                self._cancel_units(report, order, intent, lines)
        return engine.finish(report)

    def _rejectable(self, order: SalesOrder, snapshot: OrderSnapshot, intent: OrderIntent) -> bool:
        """Whether cancelling the whole order is still a rejection rather than cancel units.

        Only while Jet's snapshot shows the order unanswered, nothing was shipped or
        cancelled, and no acknowledgement is done (Jet refuses to reject an acknowledged
        order; `cancel` refreshes the snapshot first when one may have reached Jet).
        """
        if snapshot.status not in _NOT_ACKNOWLEDGED or intent.shipments:
            return False
        if any(line.quantity_shipped or line.quantity_cancelled for line in order.line_items):
            return False
        engine = self._engine
        ack = engine.storage.get_push(_plan.ack_key(order.channel_order_id), account=engine.account)
        return ack is None or ack.status is not PushStatus.DONE

    def _ack_uncertain(self, order_id: str) -> bool:
        """Whether an acknowledgement may have reached Jet without its answer recorded."""
        engine = self._engine
        ack = engine.storage.get_push(_plan.ack_key(order_id), account=engine.account)
        return (
            ack is not None
            and ack.status is not PushStatus.DONE
            and (ack.may_have_been_sent or ack.claimed_by is not None)
        )

    def _reject(
        self,
        report: ReportBuilder,
        order: SalesOrder,
        intent: OrderIntent,
        lines: Mapping[str, int] | None,
        reason: AckStatus,
    ) -> None:
        engine = self._engine
        order_id = order.channel_order_id
        every = {line.sku: line.quantity_cancelled for line in cancel_lines(order, None)}
        if lines is not None and {sku: n for sku, n in lines.items() if n} != every:
            raise JetOrderhiveValueError(
                f"order {order_id} is not acknowledged on Jet yet, so only the whole order can "
                "be cancelled (rejected); call cancel() without lines, or confirm it first"
            )
        payload: dict[str, JsonValue] = {"body": engine.rejection(order, reason).to_dict()}
        asked = attrs.evolve(intent, rejection=reason.value)
        updated = rejected(order)
        self._record(
            report, order, updated, asked, _plan.reject_key(order_id), PushKind.REJECT, payload
        )

    def _cancel_units(
        self,
        report: ReportBuilder,
        order: SalesOrder,
        intent: OrderIntent,
        lines: Mapping[str, int] | None,
    ) -> None:
        order_id = order.channel_order_id
        cancel = cancel_lines(order, lines)
        units = {line.sku: line.quantity_cancelled for line in cancel}
        alt_id = cancel_shipment_id(order, units)
        shipment = Shipment(lines=cancel, alt_shipment_id=alt_id)
        updated = apply_shipment(order, shipment)
        body = self._engine.cancel_notice(order, units, alt_id).to_dict()
        asked = attrs.evolve(intent, shipments=(*intent.shipments, shipment))
        payload: dict[str, JsonValue] = {"body": body, "alt_shipment_id": alt_id}
        key = _plan.cancel_key(order_id, alt_id)
        self._record(report, order, updated, asked, key, PushKind.CANCEL, payload)

    def _record(
        self,
        report: ReportBuilder,
        order: SalesOrder,
        updated: SalesOrder,
        intent: OrderIntent,
        key: str,
        kind: PushKind,
        payload: Mapping[str, JsonValue],
    ) -> None:
        """Store the intent, the view and the push in one unit of work, then send the push."""
        engine = self._engine
        storage = engine.storage
        order_id = order.channel_order_id
        push_on = engine.settings.push_order_status
        if engine.dry_run:
            result = PushResult.PLANNED if push_on else PushResult.DISABLED
            report.push(PushOutcome(kind=kind.value, target=order_id, result=result))
            report.count("updated" if updated != order else "unchanged")
            if not push_on:
                report.note("push_order_status is off: no order status would be sent to Jet")
            return
        with storage.transaction():
            stored = storage.upsert_order(updated, intent=intent, account=engine.account)
            if push_on:
                pushes.supersede(engine, order_id, keep=key)
                if not storage.enqueue(
                    key, kind=kind.value, target=order_id, payload=payload, account=engine.account
                ):
                    self._rearm(key)
        report.count(stored.value)
        if push_on:
            pushes.flush(engine, report, keys={key}, targets={order_id})
        else:
            report.push(PushOutcome(kind=kind.value, target=order_id, result=PushResult.DISABLED))
            report.note("push_order_status is off: the order was updated locally, nothing was sent")

    def _rearm(self, key: str) -> None:
        """Make a push that gave up due again: the host asked for the same change once more.

        A key is enqueued once ever, so without this the change would be recorded locally and
        never sent. A push that is pending, retrying or done is left alone.
        """
        storage = self._engine.storage
        entry = storage.get_push(key, account=self._engine.account)
        if entry is None or entry.status is not PushStatus.FAILED or entry.next_attempt_at:
            return
        storage.mark_failed(
            key, "asked for again; sent once more", self._engine.now(), account=self._engine.account
        )

    def _check_answered(
        self, order_id: str, snapshot: OrderSnapshot, intent: OrderIntent, what: str
    ) -> None:
        """Refuse a change Jet would refuse: shipping an order nobody is acknowledging."""
        if not self._engine.settings.push_order_status:
            return
        if snapshot.status in _NOT_ACKNOWLEDGED and not intent.confirmed:
            raise JetOrderhiveValueError(
                f"order {order_id} is {snapshot.status!r} on Jet and cannot be {what} before "
                "it is acknowledged: call confirm() first"
            )

    def _sides(self, order_id: str) -> tuple[SalesOrder, OrderSnapshot, OrderIntent]:
        """The stored view of the order and its two sides."""
        order = self._stored(order_id)
        sides = self._engine.storage.get_order_sides(order_id, account=self._engine.account)
        return order, snapshot_or_view(sides, order), intent_of(sides, order)

    def _stored(self, order_id: str) -> SalesOrder:
        order = self._engine.storage.get_order(order_id, account=self._engine.account)
        if order is None:
            raise OrderNotStored(order_id)
        return order

    # -- stock, prices, archive, returns -----------------------------------------------------

    def push_stock(self, levels: StockInput) -> SyncReport:
        """Push stock as desired state; values equal to the last pushed ones are skipped."""
        engine = self._engine
        with engine.step("push_stock") as report:
            push_stock(engine, report, levels)
        return engine.finish(report)

    def push_prices(self, prices: PriceInput) -> SyncReport:
        """Push prices as desired state; values equal to the last pushed ones are skipped."""
        engine = self._engine
        with engine.step("push_prices") as report:
            push_prices(engine, report, prices)
        return engine.finish(report)

    def sync_archived_products(self) -> SyncReport:
        """Mark linked SKUs that Jet archived (or no longer knows) as archived in storage."""
        engine = self._engine
        with engine.step("sync_archived_products") as report:
            sync_archived(engine, report)
        return engine.finish(report)

    def import_returns(self) -> SyncReport:
        """Record returned units on stored orders; an order with every unit back is RETURNED."""
        engine = self._engine
        with engine.step("import_returns") as report:
            import_returns(engine, report)
        return engine.finish(report)

    # -- everything ------------------------------------------------------------------------------

    def run_once(
        self, *, stock: StockInput | None = None, prices: PriceInput | None = None
    ) -> SyncReport:
        """Everything the settings enable, under a lease so two workers never overlap.

        Order: import orders (and acknowledge them), flush pending pushes, import returns,
        sync archived products, then stock and prices when given. If another worker holds the
        lease nothing is done and the report says so.
        """
        engine = self._engine
        storage = engine.storage
        name = "run_once"
        owner = uuid.uuid4().hex
        ttl = engine.settings.lease_ttl
        # A dry run writes nothing, not even a lease.
        if not engine.dry_run and not storage.acquire_lease(
            name, owner, ttl, account=engine.account
        ):
            builder = ReportBuilder("run_once", engine.now(), dry_run=engine.dry_run)
            builder.note(f"another worker holds the lease {name!r}; nothing was done")
            return engine.finish(builder)
        steps: list[Callable[[], SyncReport]] = [
            self.import_orders,
            self.flush_pushes,
            self.import_returns,
        ]
        if engine.settings.auto_archive:
            steps.append(self.sync_archived_products)
        if stock is not None:
            steps.append(lambda: self.push_stock(stock))
        if prices is not None:
            steps.append(lambda: self.push_prices(prices))
        reports: list[SyncReport] = []
        if not engine.dry_run:
            engine.lease = Lease(name=name, owner=owner, ttl=ttl, renewed_at=engine.now())
        try:
            for index, step in enumerate(steps):
                if index and engine.lease is not None:
                    if not storage.renew_lease(name, owner, ttl, account=engine.account):
                        raise LeaseLost(f"lost the lease {name!r} between steps")
                    engine.lease.renewed_at = engine.now()
                reports.append(step())
        except LeaseLost as error:
            builder = ReportBuilder("run_once", engine.now(), dry_run=engine.dry_run)
            builder.note(f"{error}; the remaining work was not done and the next run resumes it")
            reports.append(engine.finish(builder))
        finally:
            engine.lease = None
            if not engine.dry_run:
                storage.release_lease(name, owner, account=engine.account)
        return SyncReport.combine("run_once", reports)

    # -- inspect and act (see sync/inspect.py); closing ------------------------------------------

    def status(self) -> inspect.StatusView:
        """Figures of what storage holds: orders per Jet status, pushes per state, quarantine."""
        return inspect.status_view(self.storage, self._engine.account)

    def push_views(self, *states: inspect.PushState) -> list[inspect.PushView]:
        """Status pushes of the outbox in these states (all when none is named), oldest first."""
        return inspect.push_views(self.storage, self._engine.account, *states)

    def pending_pushes(self) -> list[inspect.PushView]:
        """Status pushes waiting to be sent (due now or at their ``next_attempt_at``)."""
        return inspect.push_views(self.storage, self._engine.account, inspect.PushState.PENDING)

    def failed_pushes(self) -> list[inspect.PushView]:
        """Status pushes whose last attempt failed: retried later, or given up for good."""
        return inspect.push_views(
            self.storage,
            self._engine.account,
            inspect.PushState.RETRYING,
            inspect.PushState.GIVEN_UP,
        )

    def quarantined(self, kind: str | None = None) -> list[inspect.QuarantineView]:
        """Records in quarantine (optionally of one kind), first seen first, without payloads."""
        return inspect.quarantine_views(self.storage, self._engine.account, kind)

    def retry_push(self, key: str) -> SyncReport:
        """Make one status push due now and send it (``PushNotFound`` for an unknown key).

        A pending or retrying push is moved to now; a given-up one is made due again. Jet's
        copy of the order is read first, so a change Jet already shows is not sent twice.
        """
        engine = self._engine
        with engine.step("retry_push") as report:
            inspect.retry_pushes(engine, report, [key])
        return engine.finish(report)

    def retry_failed_pushes(self) -> SyncReport:
        """Make every failed push (retrying or given up, not superseded) due now and send them."""
        engine = self._engine
        keys = [view.key for view in self.failed_pushes()]
        with engine.step("retry_failed_pushes") as report:
            inspect.retry_pushes(engine, report, keys)
        return engine.finish(report)

    def retry_quarantined(self, order_ids: Collection[str] | None = None) -> SyncReport:
        """Fetch quarantined orders again (all when ``order_ids`` is ``None``).

        Each order that now parses and maps is stored, released from quarantine and
        acknowledged as a normal import would; one that still fails stays, with the new reason.
        """
        engine = self._engine
        if order_ids is None:
            ids = [view.external_id for view in self.quarantined("order")]
        elif isinstance(order_ids, str):
            ids = [order_ids]
        else:
            ids = list(order_ids)
        with engine.step("retry_quarantined") as report:
            inspect.retry_quarantined(engine, report, ids)
        return engine.finish(report)

    def orders(
        self,
        *,
        jet_statuses: Collection[str] | None = None,
        placed_from: datetime | None = None,
        placed_before: datetime | None = None,
        owes_action: bool | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> inspect.OrderPage:
        """One page of stored orders by Jet order id, filtered; ``page.next_after`` reads on.

        Args:
            jet_statuses: only orders in these Jet statuses (``["acknowledged"]``).
            placed_from: only orders placed at or after this aware datetime.
            placed_before: only orders placed before this aware datetime.
            owes_action: ``True``: only orders the host owes an action (a directed cancel to
                answer, a refused push, a ready order with no answer queued); ``False``: only
                the others.
            after: the Jet order id the page starts after (the previous page's ``next_after``).
            limit: at most this many orders.
        """
        return inspect.order_page(
            self.storage,
            self._engine.account,
            jet_statuses=jet_statuses,
            placed_from=placed_from,
            placed_before=placed_before,
            owes_action=owes_action,
            after=after,
            limit=limit,
        )

    def iter_orders(
        self,
        *,
        jet_statuses: Collection[str] | None = None,
        placed_from: datetime | None = None,
        placed_before: datetime | None = None,
        owes_action: bool | None = None,
    ) -> Iterator[inspect.OrderView]:
        """Every stored order matching the filters (as `orders`), read from storage in pages."""
        return inspect.iter_order_views(
            self.storage,
            self._engine.account,
            jet_statuses=jet_statuses,
            placed_from=placed_from,
            placed_before=placed_before,
            owes_action=owes_action,
        )

    def close(self) -> None:
        """Close what this integration owns; calling it again does nothing.

        The rule is the one `JetClient` follows for its connection pool: an object closes
        what it was handed ownership of, never what the caller still holds. So ``close()``
        (and leaving a ``with Integration(...)`` block) closes the client only if it was built
        with ``owns_client=True``, and the storage (when it has a ``close()``) only with
        ``owns_storage=True``. A client or storage shared by several integrations stays open.
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            self.client.close()
        if self._owns_storage:
            closer = getattr(self.storage, "close", None)
            if callable(closer):
                closer()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
