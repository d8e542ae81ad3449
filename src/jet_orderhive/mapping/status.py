"""The Jet → Orderhive status table, as data, and the kinds of push to Jet.

Inbound, a row is chosen by the Jet status and what Jet reports was done with the units
(``Fulfilment``); a row keyed ``(status, None)`` covers every fulfilment of that status. A Jet
status with no row lands in the explicit unknown bucket: nothing is guessed.

Whether a push to Jet is owed is decided in one place, `jet_orderhive.mapping.reconcile`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType

import attrs

from jet_orderhive.jet.enums import OrderStatus as JetOrderStatus
from jet_orderhive.jet.models import JetOrder, JetReturn
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.mapping.lines import returned_quantities, shipment_quantities
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import _unvalidated

__all__ = [
    "STATUS_IN",
    "Fulfilment",
    "InboundRule",
    "PushAction",
    "StatusDecision",
    "decide_status_in",
    "fulfilment_of",
]


class Fulfilment(StrEnum):
    """What Jet reports was done with an order's units, most significant first."""

    RETURNED = "returned"
    """At least one unit came back in a return the merchant completed."""
    SHIPPED = "shipped"
    """At least one unit shipped."""
    CANCELLED = "cancelled"
    """Nothing shipped and at least one unit was cancelled."""
    NONE = "none"
    """Nothing shipped or cancelled yet."""


@attrs.frozen(kw_only=True)
class InboundRule:
    """One row of the Jet → Orderhive table."""

    status: OrderStatus
    review_status: OrderStatus | None = None
    """Used instead of ``status`` when ``ctx.confirm_on_import`` is off (manual review)."""
    needs_import_created: bool = False
    """Imported only when ``ctx.import_created`` is on."""


_JET = JetOrderStatus
_OH = OrderStatus

# Enum members' ``value`` and ``name`` are Python-level properties: read once, not per order.
_VALUES: Mapping[Fulfilment, str] = {member: member.value for member in Fulfilment}
_NAMES: Mapping[OrderStatus, str] = {member: member.name for member in OrderStatus}

STATUS_IN: Mapping[tuple[str, Fulfilment | None], InboundRule] = MappingProxyType(
    {
        (_JET.CREATED.value, None): InboundRule(
            status=_OH.NOT_CONFIRMED, needs_import_created=True
        ),
        (_JET.READY.value, None): InboundRule(
            status=_OH.CONFIRMED, review_status=_OH.NOT_CONFIRMED
        ),
        (_JET.ACKNOWLEDGED.value, None): InboundRule(status=_OH.CONFIRMED),
        (_JET.IN_PROGRESS.value, Fulfilment.RETURNED): InboundRule(status=_OH.RETURNED),
        (_JET.IN_PROGRESS.value, Fulfilment.SHIPPED): InboundRule(status=_OH.PARTIALLY_SHIPPED),
        (_JET.IN_PROGRESS.value, Fulfilment.CANCELLED): InboundRule(status=_OH.CONFIRMED),
        (_JET.IN_PROGRESS.value, Fulfilment.NONE): InboundRule(status=_OH.CONFIRMED),
        (_JET.COMPLETE.value, Fulfilment.RETURNED): InboundRule(status=_OH.RETURNED),
        (_JET.COMPLETE.value, Fulfilment.SHIPPED): InboundRule(status=_OH.SHIPPED),
        (_JET.COMPLETE.value, Fulfilment.CANCELLED): InboundRule(status=_OH.CANCELLED),
        # Complete with nothing shipped and no cancel shipment: Jet rejected or cancelled it.
        (_JET.COMPLETE.value, Fulfilment.NONE): InboundRule(status=_OH.CANCELLED),
    }
)
"""Jet → Orderhive: ``(jet status, fulfilment or None for any)`` → rule."""


class PushAction(StrEnum):
    """A request to send to Jet for an Orderhive status change."""

    ACKNOWLEDGE = "acknowledge"
    """``PUT /orders/{id}/acknowledge`` with ``accepted`` and every item ``fulfillable``."""
    REJECT = "reject"
    """``PUT /orders/{id}/acknowledge`` with a ``rejected - …`` status."""
    SHIP = "ship"
    """``PUT /orders/{id}/shipped`` with the order's shipments not yet on Jet."""
    CANCEL = "cancel"
    """``PUT /orders/{id}/shipped`` cancelling every open unit (ship 0, cancel n)."""


@attrs.frozen(kw_only=True)
class StatusDecision:
    """What a Jet order's state means for Orderhive, including "we do not know"."""

    jet_status: str
    status: OrderStatus | None
    """The Orderhive status to record; ``None`` when not imported or unknown."""
    import_: bool
    """Whether the order should be imported (or refreshed) at all."""
    unknown: str | None = None
    """The raw Jet status when no row matches it: report it, do not guess."""
    fulfilment: Fulfilment = Fulfilment.NONE
    directed_cancel: bool = False
    """Jet asked for units to be cancelled that are still open: the host must answer."""
    partially_cancel: bool = False
    """Some, not all, units are cancelled."""
    reason: str


#: StatusDecision has no validators: this builds what StatusDecision(...) builds, faster.
_make_decision = _unvalidated(StatusDecision)


def fulfilment_of(jet_order: JetOrder, returns: Sequence[JetReturn] = ()) -> Fulfilment:
    """Classify what Jet reports was done with the order's units."""
    if any(returned_quantities(jet_order, returns).values()):
        return Fulfilment.RETURNED
    quantities = shipment_quantities(jet_order).values()
    if not quantities:  # nothing shipped or cancelled (most orders being imported)
        return Fulfilment.NONE
    if any(shipped for shipped, _ in quantities):
        return Fulfilment.SHIPPED
    if any(cancelled for _, cancelled in quantities):
        return Fulfilment.CANCELLED
    return Fulfilment.NONE


def _cancel_facts(jet_order: JetOrder) -> tuple[bool, bool]:
    ordered: dict[str, int] = {}
    asked: dict[str, int] = {}
    for item in jet_order.order_items:
        sku = item.merchant_sku
        ordered[sku] = ordered.get(sku, 0) + item.request_order_quantity
        asked[sku] = asked.get(sku, 0) + (item.request_order_cancel_qty or 0)
    done = shipment_quantities(jet_order)
    open_units = sum(max(count - sum(done.get(sku, (0, 0))), 0) for sku, count in ordered.items())
    cancelled = sum(cancel for _, cancel in done.values())
    if any(asked.values()):
        # Jet named the units: the ask is answered once that many are cancelled (or none is open).
        unanswered = any(count > done.get(sku, (0, 0))[1] for sku, count in asked.items() if count)
        directed = unanswered and open_units > 0
    else:
        directed = jet_order.jet_request_directed_cancel and open_units > 0
    partially = 0 < cancelled < sum(ordered.values())
    return directed, partially


def decide_status_in(
    jet_order: JetOrder, ctx: MappingContext, returns: Sequence[JetReturn] = ()
) -> StatusDecision:
    """Look the order up in `STATUS_IN`; an unmatched Jet status goes to the unknown bucket."""
    raw = str(jet_order.status)
    fulfilment = fulfilment_of(jet_order, returns)
    rule = STATUS_IN.get((raw, fulfilment)) or STATUS_IN.get((raw, None))
    if rule is None or not jet_order.status.is_known:
        return _make_decision(
            jet_status=raw,
            status=None,
            import_=False,
            unknown=raw,
            fulfilment=fulfilment,
            reason=f"Jet status {raw!r} is not in the status table; the order is reported, "
            "not imported",
        )
    directed, partially = _cancel_facts(jet_order)
    if rule.needs_import_created and not ctx.import_created:
        return _make_decision(
            jet_status=raw,
            status=None,
            import_=False,
            fulfilment=fulfilment,
            directed_cancel=directed,
            partially_cancel=partially,
            reason=f"Jet status {raw!r} is imported only with import_created on",
        )
    status = rule.status
    if rule.review_status is not None and not ctx.confirm_on_import:
        status = rule.review_status
    return _make_decision(
        jet_status=raw,
        status=status,
        import_=True,
        fulfilment=fulfilment,
        directed_cancel=directed,
        partially_cancel=partially,
        reason=f"Jet {raw!r} with {_VALUES[fulfilment]} units maps to {_NAMES[status]}",
    )
