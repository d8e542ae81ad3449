"""Pure changes to a stored order when the host confirms, ships or cancels it."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from jet_orderhive._errors import JetOrderhiveValueError
from jet_orderhive.mapping.outbound import check_open_units
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import LineItem, SalesOrder, Shipment, ShipmentLine

__all__ = ["apply_shipment", "cancel_lines"]


def _status_after(order: SalesOrder, lines: tuple[LineItem, ...]) -> OrderStatus:
    shipped = sum(line.quantity_shipped for line in lines)
    settled = all(line.quantity_open == 0 for line in lines)
    if settled:
        return OrderStatus.SHIPPED if shipped else OrderStatus.CANCELLED
    if shipped:
        return OrderStatus.PARTIALLY_SHIPPED
    return order.order_status


def _apply_units(
    order: SalesOrder, shipped: Mapping[str, int], cancelled: Mapping[str, int]
) -> tuple[LineItem, ...]:
    """Spread per-SKU units over the order's lines (in line order), refusing too many."""
    wanted: dict[str, int] = {}
    for units in (shipped, cancelled):
        for sku, count in units.items():
            wanted[sku] = wanted.get(sku, 0) + count
    check_open_units(order, wanted)
    to_ship, to_cancel = dict(shipped), dict(cancelled)
    lines: list[LineItem] = []
    for line in order.line_items:
        room = line.quantity_open
        ship = min(to_ship.get(line.sku, 0), room)
        cancel = min(to_cancel.get(line.sku, 0), room - ship)
        to_ship[line.sku] = to_ship.get(line.sku, 0) - ship
        to_cancel[line.sku] = to_cancel.get(line.sku, 0) - cancel
        lines.append(
            attrs.evolve(
                line,
                quantity_shipped=line.quantity_shipped + ship,
                quantity_cancelled=line.quantity_cancelled + cancel,
            )
        )
    return tuple(lines)


def _units(lines: tuple[ShipmentLine, ...]) -> tuple[dict[str, int], dict[str, int]]:
    shipped: dict[str, int] = {}
    cancelled: dict[str, int] = {}
    for line in lines:
        shipped[line.sku] = shipped.get(line.sku, 0) + line.quantity_shipped
        cancelled[line.sku] = cancelled.get(line.sku, 0) + line.quantity_cancelled
    return shipped, cancelled


def apply_shipment(order: SalesOrder, shipment: Shipment) -> SalesOrder:
    """The order with ``shipment`` recorded: quantities, shipments and status updated."""
    if not shipment.lines or not any(
        line.quantity_shipped or line.quantity_cancelled for line in shipment.lines
    ):
        raise JetOrderhiveValueError(
            f"shipment for order {order.channel_order_id} carries no units"
        )
    shipped, cancelled = _units(shipment.lines)
    lines = _apply_units(order, shipped, cancelled)
    status = _status_after(order, lines)
    any_open = any(line.quantity_open for line in lines)
    partially = any(line.quantity_cancelled for line in lines) and any_open
    return attrs.evolve(
        order,
        line_items=lines,
        shipments=(*order.shipments, shipment),
        order_status=status,
        partially_cancel=partially,
        # As in the mapping: a directed cancel is open only while units are; a settled order
        # is complete on Jet and never refreshed, so the flag would otherwise stay forever.
        directed_cancel=order.directed_cancel and any_open,
    )


def cancel_lines(order: SalesOrder, lines: Mapping[str, int] | None) -> tuple[ShipmentLine, ...]:
    """The cancel-shipment lines for ``lines`` (``{sku: units}``), or every open unit."""
    if lines is None:
        open_units: dict[str, int] = {}
        for line in order.line_items:
            if line.quantity_open:
                open_units[line.sku] = open_units.get(line.sku, 0) + line.quantity_open
        if not open_units:
            raise JetOrderhiveValueError(
                f"order {order.channel_order_id} has no open units to cancel"
            )
        lines = open_units
    return tuple(
        ShipmentLine(sku=sku, quantity_shipped=0, quantity_cancelled=units)
        for sku, units in lines.items()
        if units
    )
