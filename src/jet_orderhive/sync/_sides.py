"""The two sides of a stored order: reading Jet's snapshot, and deriving the host view.

Imports write the snapshot (what Jet showed), the host's commands write the intent (what it
asked for), and the host view `SalesOrder` is always derived from both: the mapping of Jet's
order, the returns Jet showed, then everything the host asked for that Jet does not show yet.
Nothing the engine predicts is ever stored as if Jet had said it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import attrs

from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping.lines import returned_units
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import SalesOrder, Shipment
from jet_orderhive.storage.records import (
    OrderIntent,
    OrderSides,
    OrderSnapshot,
    ReturnSeen,
)
from jet_orderhive.sync._changes import apply_shipment, cancel_lines

__all__ = [
    "accepted",
    "apply_intent",
    "apply_returns",
    "confirmed",
    "derive",
    "intent_of",
    "legacy_intent",
    "rejected",
    "snapshot_of",
    "snapshot_or_view",
]

_NOT_ACKNOWLEDGED = frozenset({"created", "ready"})


def snapshot_of(
    jet_order: JetOrder,
    *,
    listed_cancelled: bool,
    returns: Mapping[str, ReturnSeen] | None = None,
) -> OrderSnapshot:
    """Jet's side of an order from a fresh read of it (and the returns seen before)."""
    ack = jet_order.acknowledgement_status
    return OrderSnapshot(
        status=str(jet_order.status),
        listed_cancelled=listed_cancelled,
        acknowledgement_status=None if ack is None else str(ack),
        shipment_ids=frozenset(
            s.alt_shipment_id for s in jet_order.shipments or () if s.alt_shipment_id
        ),
        directed_cancel=bool(jet_order.jet_request_directed_cancel),
        returns=dict(returns or {}),
    )


def snapshot_or_view(sides: OrderSides | None, view: SalesOrder | None) -> OrderSnapshot:
    """The stored snapshot, or, for an order stored without one, what its view says of Jet."""
    if sides is not None and sides.snapshot is not None:
        return sides.snapshot
    if view is None:
        return OrderSnapshot(status="")
    return OrderSnapshot(status=view.channel_status, directed_cancel=view.directed_cancel)


def intent_of(sides: OrderSides | None, view: SalesOrder | None) -> OrderIntent:
    """The stored intent; for an order stored without one, what its view says was asked."""
    if sides is None or sides.intent is None:
        return legacy_intent(view) if view is not None else OrderIntent()
    return sides.intent


def legacy_intent(view: SalesOrder | None) -> OrderIntent:
    """The intent of an order stored by a release that kept none, read from its view.

    Such a view already carries the host's changes: confirmed unless it awaits review, and
    the shipments and cancels the engine recorded under its own ids.
    """
    if view is None:
        return OrderIntent()
    confirmed = view.order_status is not OrderStatus.NOT_CONFIRMED
    own = tuple(s for s in view.shipments if s.alt_shipment_id and not s.channel_shipment_id)
    return OrderIntent(confirmed=confirmed, shipments=own)


def apply_returns(order: SalesOrder, returns: Mapping[str, ReturnSeen]) -> SalesOrder:
    """The view with the returns Jet showed: the one rule of design §6, the mapping's own.

    Only returns the merchant completed count (`returned_units`); a line never shows more
    returned units than it shipped; an order with a returned unit is RETURNED.
    """
    units = returned_units(returns.values())
    if not units and not any(line.quantity_returned for line in order.line_items):
        return order
    lines = tuple(
        attrs.evolve(
            line, quantity_returned=min(units.get(line.variant_id, 0), line.quantity_shipped)
        )
        for line in order.line_items
    )
    status = order.order_status
    if any(line.quantity_returned for line in lines):
        status = OrderStatus.RETURNED
    return attrs.evolve(order, line_items=lines, order_status=status)


def rejected(order: SalesOrder) -> SalesOrder:
    """The view of an order the host rejected: every open unit cancelled, no shipment."""
    if not any(line.quantity_open for line in order.line_items):
        return order
    everything = Shipment(lines=cancel_lines(order, None))
    return attrs.evolve(apply_shipment(order, everything), shipments=order.shipments)


def confirmed(order: SalesOrder) -> SalesOrder:
    """The view of an order the host confirmed (one awaiting review becomes CONFIRMED)."""
    if order.order_status is OrderStatus.NOT_CONFIRMED:
        return attrs.evolve(order, order_status=OrderStatus.CONFIRMED)
    return order


def apply_intent(order: SalesOrder, intent: OrderIntent, settled: Collection[str]) -> SalesOrder:
    """The view of Jet's order as mapped with what the host asked for on top.

    ``settled`` names the shipments and cancels not to apply: those Jet holds already (its
    snapshot's ``shipment_ids``; the mapping counted them) and those Jet refused for good,
    whose units stay open so the host can ship or cancel them again (the refusal is reported).
    """
    if intent.rejection is not None and order.channel_status in _NOT_ACKNOWLEDGED:
        return rejected(order)
    if intent.confirmed and order.channel_status != "created":
        # A created order stays NOT_CONFIRMED until Jet releases it (design §6).
        order = confirmed(order)
    for shipment in intent.shipments:
        if shipment.alt_shipment_id in settled:
            continue
        try:
            order = apply_shipment(order, shipment)
        except ValueError:
            # Jet settled those units otherwise meanwhile (the refused push is reported).
            continue
    return order


def derive(
    mapped: SalesOrder,
    snapshot: OrderSnapshot,
    intent: OrderIntent,
    refused: Collection[str] = (),
) -> SalesOrder:
    """The host view: Jet's order as mapped, the host's asks on top, then Jet's returns."""
    settled = set(snapshot.shipment_ids) | set(refused)
    return apply_returns(apply_intent(mapped, intent, settled), snapshot.returns)


def accepted(snapshot: OrderSnapshot, action: str, alt_shipment_id: str | None) -> OrderSnapshot:
    """The snapshot once Jet answered a push with success: what Jet itself then holds.

    An accepted acknowledgement moves a ``ready`` order to ``acknowledged``; an accepted
    shipment or cancel is among Jet's shipments. Where Jet's next status depends on more than
    the answer (after a shipment: ``inprogress`` or ``complete``) it is left for the next read.
    """
    if action == "acknowledge" and snapshot.status == "ready":
        return attrs.evolve(snapshot, status="acknowledged", acknowledgement_status="accepted")
    if action in ("ship", "cancel") and alt_shipment_id:
        return attrs.evolve(snapshot, shipment_ids=snapshot.shipment_ids | {alt_shipment_id})
    return snapshot
