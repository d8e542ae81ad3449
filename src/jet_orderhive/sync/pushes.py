"""Order status pushes through the outbox: acknowledge, reject, ship and cancel.

A push is recorded in storage before it is sent and marked done after Jet accepted it. Before a
push that may already have reached Jet is sent again (an earlier attempt failed, or the process
died mid-send), the order is read back from Jet and "already in that state" counts as done, so
no order is acknowledged, rejected, shipped or cancelled twice.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection, Mapping

import attrs

from jet_orderhive.jet.errors import JetError, JetNotFound, JetValidationError
from jet_orderhive.jet.models import Acknowledgement, JetOrder, ShipNotice
from jet_orderhive.orderhive.models import SalesOrder
from jet_orderhive.storage.records import OutboxEntry
from jet_orderhive.sync import _plan
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._plan import PushKind
from jet_orderhive.sync.importer import request_refresh
from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder

__all__ = ["Verdict", "flush", "judge", "may_have_been_sent"]

log = logging.getLogger("jet_orderhive.sync")

_SHIPPABLE = frozenset({"acknowledged", "inprogress"})


class Verdict(enum.Enum):
    """What Jet's current view of an order means for a push about it."""

    SEND = "send"
    DONE = "done"
    WAIT = "wait"
    IMPOSSIBLE = "impossible"


@attrs.frozen
class Judgement:
    """A verdict and, for WAIT and IMPOSSIBLE, the reason in words."""

    verdict: Verdict
    reason: str | None = None


def _shipment_ids(order: JetOrder) -> set[str]:
    return {s.alt_shipment_id for s in (order.shipments or ()) if s.alt_shipment_id}


_HELD_FOR_CANCEL = (
    "Jet asks to cancel this order; its acknowledgement is held until the request is answered"
    " with cancel()"
)


def judge(kind: str, payload: Mapping[str, object], order: JetOrder) -> Judgement:
    """Decide from Jet's current order whether a push must be sent, is done, or cannot be."""
    status = str(order.status)
    ack_status = str(order.acknowledgement_status or "")
    if kind == PushKind.ACKNOWLEDGE:
        if status == "ready" and order.jet_request_directed_cancel:
            return Judgement(Verdict.WAIT, _HELD_FOR_CANCEL)
        if status == "ready":
            return Judgement(Verdict.SEND)
        if status == "created":
            return Judgement(Verdict.WAIT, "Jet still holds the order in 'created'")
        if ack_status.startswith("rejected"):
            return Judgement(Verdict.IMPOSSIBLE, f"Jet shows the order as {ack_status!r}")
        return Judgement(Verdict.DONE)
    if kind == PushKind.REJECT:
        if status == "ready":
            return Judgement(Verdict.SEND)
        if ack_status.startswith("rejected"):
            return Judgement(Verdict.DONE)
        return Judgement(
            Verdict.IMPOSSIBLE,
            f"the order is already {status!r} on Jet; cancel its units with cancel() instead",
        )
    alt_id = payload.get("alt_shipment_id")
    if isinstance(alt_id, str) and alt_id in _shipment_ids(order):
        return Judgement(Verdict.DONE)
    if status in _SHIPPABLE:
        return Judgement(Verdict.SEND)
    if status in ("created", "ready"):
        return Judgement(Verdict.WAIT, f"the order is still {status!r} on Jet; ack it first")
    return Judgement(Verdict.IMPOSSIBLE, f"the order is already {status!r} on Jet")


def _inflight_key(engine: Engine, key: str) -> str:
    return f"outbox:inflight:{key}"


def may_have_been_sent(engine: Engine, entry: OutboxEntry) -> bool:
    """Whether Jet may have applied this push unconfirmed (a failed try, or a send cut short)."""
    return (
        entry.attempts > 0
        or engine.storage.get_state(_inflight_key(engine, entry.key), account=engine.account)
        is not None
    )


class _Flush:
    def __init__(self, engine: Engine, report: ReportBuilder, fresh: Mapping[str, JetOrder]):
        self.engine = engine
        self.storage = engine.storage
        self.report = report
        self.fresh = dict(fresh)

    def outcome(self, entry: OutboxEntry, result: PushResult, reason: str | None = None) -> None:
        self.report.push(
            PushOutcome(kind=entry.kind, target=entry.target, result=result, reason=reason)
        )

    def one(self, entry: OutboxEntry) -> None:
        engine = self.engine
        order_id = entry.target
        if not isinstance(entry.payload.get("body"), Mapping):
            # Written by another program or an older version: it can never be sent, and must
            # not stop the pushes queued after it.
            self.give_up(entry, "the outbox entry has no request body")
            return
        current = self.fresh.get(order_id)
        # An acknowledgement not sent right after its import is checked against Jet first: Jet
        # may have asked to cancel the order since, and then it must not be accepted.
        stale_ack = entry.kind == PushKind.ACKNOWLEDGE
        if current is None and (stale_ack or may_have_been_sent(engine, entry)):
            try:
                current = engine.client.get_order(order_id)
            except JetNotFound as error:
                self.give_up(entry, f"Jet no longer knows the order: {error}")
                return
            except JetError as error:
                self.failed(entry, f"could not re-read the order before re-sending: {error}")
                return
        if current is not None:
            judgement = judge(entry.kind, entry.payload, current)
        else:
            judgement = self.judge_from_storage(entry)
        if judgement.verdict is Verdict.IMPOSSIBLE:
            self.give_up(entry, judgement.reason or "Jet's order state forbids it")
            return
        if judgement.verdict is Verdict.WAIT:
            self.failed(entry, judgement.reason or "not yet possible")
            return
        if engine.dry_run:
            self.outcome(entry, PushResult.PLANNED)
            return
        if judgement.verdict is Verdict.DONE:
            self.complete(entry)
            self.outcome(entry, PushResult.SKIPPED, "Jet already shows this change")
            return
        self.storage.set_state(
            _inflight_key(engine, entry.key), engine.now().isoformat(), account=self.engine.account
        )
        try:
            self.send(entry)
        except JetValidationError as error:
            self.give_up(entry, f"Jet refused it: {error}")
            return
        except JetNotFound as error:
            self.give_up(entry, f"Jet no longer knows the order: {error}")
            return
        except JetError as error:
            # The outcome may be unknown (a dropped connection): the next attempt re-reads first.
            self.failed(entry, str(error))
            return
        self.complete(entry)
        self.count_sent(entry)
        self.outcome(entry, PushResult.SENT)

    def judge_from_storage(self, entry: OutboxEntry) -> Judgement:
        """Without a fresh read, hold a shipment back while its order's ack is not through,
        and an acknowledgement while Jet asks to cancel the order."""
        stored = self.storage.get_order(entry.target, account=self.engine.account)
        if entry.kind == PushKind.ACKNOWLEDGE:
            if stored is not None and stored.directed_cancel:
                return Judgement(Verdict.WAIT, _HELD_FOR_CANCEL)
            return Judgement(Verdict.SEND)
        if entry.kind not in (PushKind.SHIP, PushKind.CANCEL):
            return Judgement(Verdict.SEND)
        if stored is not None and stored.channel_status in ("created", "ready"):
            return Judgement(Verdict.WAIT, "the order's acknowledgement has not reached Jet yet")
        return Judgement(Verdict.SEND)

    def send(self, entry: OutboxEntry) -> None:
        client = self.engine.client
        body = entry.payload["body"]
        if not isinstance(body, Mapping):
            raise ValueError(f"outbox entry {entry.key!r} has no request body")
        if entry.kind in (PushKind.ACKNOWLEDGE, PushKind.REJECT):
            client.acknowledge_order(entry.target, Acknowledgement.from_dict(dict(body)))
        else:
            client.ship_order(entry.target, ShipNotice.from_dict(dict(body)))

    def count_sent(self, entry: OutboxEntry) -> None:
        counter = {
            PushKind.ACKNOWLEDGE: "acknowledged",
            PushKind.REJECT: "rejected",
            PushKind.SHIP: "shipped",
            PushKind.CANCEL: "cancelled",
        }.get(PushKind(entry.kind))
        if counter:
            self.report.count(counter)

    def complete(self, entry: OutboxEntry) -> None:
        """Mark the entry done and move the stored order's Jet status along, atomically."""
        with self.storage.transaction():
            self.storage.mark_done(entry.key, account=self.engine.account)
            self.storage.delete_state(
                _inflight_key(self.engine, entry.key), account=self.engine.account
            )
            order = self.storage.get_order(entry.target, account=self.engine.account)
            if order is not None:
                updated = after_push(order, entry.kind)
                if updated != order:
                    self.storage.upsert_order(updated, account=self.engine.account)
            if entry.kind == PushKind.CANCEL:
                # Whether the cancel answered a directed cancel only Jet knows: refetch once.
                request_refresh(self.engine, entry.target)

    def failed(self, entry: OutboxEntry, reason: str) -> None:
        engine = self.engine
        when = _plan.retry_at(engine.now(), entry.attempts, engine.settings)
        if when is None:
            self.give_up(entry, f"{reason} (gave up after {entry.attempts + 1} attempts)")
            return
        log.warning("push %s failed, retrying at %s: %s", entry.key, when.isoformat(), reason)
        if not engine.dry_run:
            self.storage.mark_failed(entry.key, reason, when, account=self.engine.account)
        self.outcome(entry, PushResult.FAILED, f"{reason}; retried at {when.isoformat()}")

    def give_up(self, entry: OutboxEntry, reason: str) -> None:
        log.warning("push %s failed for good: %s", entry.key, reason)
        if not self.engine.dry_run:
            with self.storage.transaction():
                self.storage.mark_failed(entry.key, reason, None, account=self.engine.account)
                self.storage.delete_state(
                    _inflight_key(self.engine, entry.key), account=self.engine.account
                )
                if entry.kind != PushKind.ACKNOWLEDGE:
                    # The stored record shows a change Jet never took; Jet's copy undoes it,
                    # so the host can ship or cancel those units again.
                    request_refresh(self.engine, entry.target)
        self.outcome(entry, PushResult.FAILED, reason)


def after_push(order: SalesOrder, kind: str) -> SalesOrder:
    """The stored order once Jet accepted a push of ``kind`` (its Jet status moves on)."""
    if kind == PushKind.ACKNOWLEDGE:
        if order.channel_status == "ready":
            return attrs.evolve(order, channel_status="acknowledged")
        return order
    if kind == PushKind.REJECT:
        return attrs.evolve(order, channel_status="complete")
    settled = all(line.quantity_open == 0 for line in order.line_items)
    return attrs.evolve(order, channel_status="complete" if settled else "inprogress")


def flush(
    engine: Engine,
    report: ReportBuilder,
    *,
    fresh: Mapping[str, JetOrder] | None = None,
    keys: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
) -> None:
    """Send the due outbox entries (only ``keys`` / ``kinds`` when given) into ``report``."""
    if not engine.settings.push_order_status:
        report.note("push_order_status is off: no order status was sent to Jet")
        return
    entries = engine.storage.due(engine.now(), account=engine.account)
    if keys is not None:
        entries = [entry for entry in entries if entry.key in keys]
    if kinds is not None:
        entries = [entry for entry in entries if entry.kind in kinds]
    runner = _Flush(engine, report, fresh or {})
    for index, entry in enumerate(entries, start=1):
        runner.one(entry)
        engine.tick("push order status", index, len(entries))
