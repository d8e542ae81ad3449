"""Requests to Jet built from Orderhive records: acknowledge, reject, ship, cancel.

Every builder checks what Jet would refuse before anything is sent (unknown SKUs, more units
than are open, a shipment without tracking, an undocumented carrier) and raises `MappingError`
naming the order and the SKU. Ids that must be unique on Jet (``alt_shipment_id``) are derived
from the content when not given, so rebuilding the same request yields the same id and a
re-send is recognisable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from jet_orderhive.jet.enums import AckStatus, Carrier, ItemAckStatus
from jet_orderhive.jet.models import (
    Acknowledgement,
    AcknowledgementItem,
    ShipNotice,
    ShipNoticeItem,
    ShipNoticeShipment,
)
from jet_orderhive.mapping.context import MappingContext, MappingError
from jet_orderhive.orderhive.models import SalesOrder, Shipment

if TYPE_CHECKING:
    pass

__all__ = [
    "build_acknowledgement",
    "build_cancel_notice",
    "build_rejection",
    "build_ship_notice",
    "cancel_shipment_id",
    "check_open_units",
    "open_units",
    "shipment_id_for",
]

_MIN_TRACKING = 3
_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")


def _error(order: SalesOrder, message: str) -> MappingError:
    return MappingError(
        f"order {order.channel_order_id}: {message}", order_id=order.channel_order_id
    )


def open_units(order: SalesOrder) -> dict[str, int]:
    """Units per SKU neither shipped nor cancelled, as Jet counts them (per SKU)."""
    units: dict[str, int] = {}
    for line in order.line_items:
        units[line.sku] = units.get(line.sku, 0) + line.quantity_open
    return units


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def shipment_id_for(order: SalesOrder, shipment: Shipment) -> str:
    """The shipment's ``alt_shipment_id``, or one derived from its content when it has none."""
    if shipment.alt_shipment_id:
        return shipment.alt_shipment_id
    lines = [
        f"{line.sku}:{line.quantity_shipped}:{line.quantity_cancelled}" for line in shipment.lines
    ]
    return f"S-{order.channel_order_number}-" + _digest(
        order.channel_order_id, shipment.tracking_number or "", *lines
    )


def cancel_shipment_id(order: SalesOrder, quantities: Mapping[str, int]) -> str:
    """The ``alt_shipment_id`` of cancelling these units of the order now: the one rule.

    Derived from the order, the units and how many units were cancelled before, so a retried
    call maps to the same id while a second, later cancel of the same units does not.
    """
    before = sum(line.quantity_cancelled for line in order.line_items)
    lines = [f"{sku}:{qty}" for sku, qty in sorted(quantities.items()) if qty]
    return f"C-{order.channel_order_number}-" + _digest(
        order.channel_order_id, *lines, f"before:{before}"
    )


def build_acknowledgement(
    order: SalesOrder, ctx: MappingContext, *, alt_order_id: str | None = None
) -> Acknowledgement:
    """Accept the order: ``accepted`` with every item ``fulfillable``."""
    return _acknowledgement(order, AckStatus.ACCEPTED, ItemAckStatus.FULFILLABLE, alt_order_id)


def build_rejection(
    order: SalesOrder,
    ctx: MappingContext,
    *,
    reason: AckStatus = AckStatus.REJECTED_OTHER,
    item_status: ItemAckStatus | None = None,
    alt_order_id: str | None = None,
) -> Acknowledgement:
    """Reject the whole order (which cancels it at Jet) with a ``rejected - …`` reason.

    Items are ``nonfulfillable - no inventory`` for ``rejected - item level error`` (Jet expects
    an item at fault) and ``fulfillable`` otherwise, unless ``item_status`` says differently.
    """
    if reason == AckStatus.ACCEPTED or not reason.is_known:
        raise _error(order, f"{reason!s} is not a rejection; pass a documented 'rejected - …'")
    if item_status is None:
        item_status = (
            ItemAckStatus.NONFULFILLABLE_NO_INVENTORY
            if reason == AckStatus.REJECTED_ITEM_LEVEL_ERROR
            else ItemAckStatus.FULFILLABLE
        )
    return _acknowledgement(order, reason, item_status, alt_order_id)


def _acknowledgement(
    order: SalesOrder, status: AckStatus, item_status: ItemAckStatus, alt_order_id: str | None
) -> Acknowledgement:
    if not order.line_items:
        raise _error(order, "has no lines to acknowledge")
    return Acknowledgement(
        acknowledgement_status=status,
        alt_order_id=alt_order_id,
        order_items=tuple(
            AcknowledgementItem(
                order_item_id=line.variant_id,
                order_item_acknowledgement_status=item_status,
                alt_order_item_id=line.alt_order_item_id,
            )
            for line in order.line_items
        ),
    )


def _carrier(order: SalesOrder, name: str | None) -> Carrier:
    if name is None:
        raise _error(order, "a shipment with shipped units needs a carrier (courier_name)")
    carrier = Carrier(name)
    if not carrier.is_known:
        raise _error(
            order,
            f"carrier {name!r} is not one Jet accepts; use a documented name "
            "(jet_orderhive.jet.enums.Carrier) or 'Other'",
        )
    return carrier


def _ship_from_zip(order: SalesOrder, text: str | None) -> str | None:
    # Jet takes exactly five characters; a ZIP+4 keeps its five-digit ZIP.
    if text is None or not text.strip():
        return None
    match = _ZIP.fullmatch(text.strip())
    if match is None:
        raise _error(order, f"ship_from_zip_code {text!r} is not a US ZIP; Jet takes 5 digits")
    return match.group(1)


def check_open_units(order: SalesOrder, wanted: Mapping[str, int]) -> None:
    """Refuse shipping or cancelling more units of a SKU than are open: the one check."""
    available = open_units(order)
    for sku, quantity in wanted.items():
        if sku not in available:
            raise _error(order, f"SKU {sku!r} is not on the order")
        if quantity > available[sku]:
            raise _error(
                order,
                f"SKU {sku!r}: {quantity} units to ship or cancel but only {available[sku]} open",
            )


def build_ship_notice(
    order: SalesOrder, shipment: Shipment, ctx: MappingContext, *, alt_order_id: str | None = None
) -> ShipNotice:
    """Report one shipment (it may also cancel units): carrier, tracking, dates and quantities.

    The shipment date defaults to ``ctx.clock()`` when the record has none.
    """
    wanted: dict[str, int] = {}
    for line in shipment.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity_shipped + line.quantity_cancelled
    if not any(wanted.values()):
        raise _error(order, "the shipment ships and cancels nothing")
    check_open_units(order, wanted)
    ships = shipment.quantity_shipped > 0
    carrier = _carrier(order, shipment.courier_name) if ships else None
    tracking = shipment.tracking_number
    if ships and (tracking is None or len(tracking.strip()) < _MIN_TRACKING):
        raise _error(order, "a shipment with shipped units needs a tracking number (3+ characters)")
    return ShipNotice(
        alt_order_id=alt_order_id,
        shipments=(
            ShipNoticeShipment(
                alt_shipment_id=shipment_id_for(order, shipment),
                shipment_tracking_number=tracking.strip() if ships and tracking else None,
                response_shipment_date=(shipment.shipping_date or ctx.now()) if ships else None,
                response_shipment_method=shipment.shipping_method if ships else None,
                expected_delivery_date=shipment.expected_delivery_date if ships else None,
                carrier_pick_up_date=shipment.carrier_pick_up_date if ships else None,
                ship_from_zip_code=_ship_from_zip(order, shipment.ship_from_zip_code)
                if ships
                else None,
                carrier=carrier,
                shipment_items=tuple(
                    ShipNoticeItem(
                        merchant_sku=line.sku,
                        response_shipment_sku_quantity=line.quantity_shipped,
                        response_shipment_cancel_qty=line.quantity_cancelled,
                    )
                    for line in shipment.lines
                    if line.quantity_shipped or line.quantity_cancelled
                ),
            ),
        ),
    )


def build_cancel_notice(
    order: SalesOrder,
    lines: Mapping[str, int] | None,
    ctx: MappingContext,
    *,
    alt_shipment_id: str | None = None,
    alt_order_id: str | None = None,
) -> ShipNotice:
    """Cancel units after acknowledgement: a shipment that ships 0 and cancels n per SKU.

    ``lines`` maps SKU to units to cancel; ``None`` cancels every open unit. The shipment has no
    tracking and a unique ``alt_shipment_id`` (derived from the content when not given).
    """
    wanted = dict(open_units(order)) if lines is None else dict(lines)
    wanted = {sku: quantity for sku, quantity in wanted.items() if quantity}
    if any(quantity < 0 for quantity in wanted.values()):
        raise _error(order, "cancel quantities must not be negative")
    if not wanted:
        raise _error(order, "nothing to cancel: every unit is already shipped or cancelled")
    check_open_units(order, wanted)
    return ShipNotice(
        alt_order_id=alt_order_id,
        shipments=(
            ShipNoticeShipment(
                alt_shipment_id=alt_shipment_id or cancel_shipment_id(order, wanted),
                shipment_items=tuple(
                    ShipNoticeItem(
                        merchant_sku=sku,
                        response_shipment_sku_quantity=0,
                        response_shipment_cancel_qty=quantity,
                    )
                    for sku, quantity in wanted.items()
                ),
            ),
        ),
    )
