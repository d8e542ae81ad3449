"""Order lines from Jet's ``order_items``, with quantities from shipments and returns.

Money rules: ``row_total`` is Jet's ``base_price`` exactly (Jet's base price is the total for the
line's quantity); the unit ``price`` is ``base_price / quantity`` rounded half-even to
``ctx.unit_price_quantum`` (cents), for display only; ``tax_percent`` is
``item_tax / base_price * 100`` rounded half-even to ``ctx.tax_percent_quantum`` (0 when the base
price is 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

import attrs

from jet_orderhive.jet.enums import AckStatus, ExceptionState, OrderStatus, ReturnStatus
from jet_orderhive.jet.models import JetOrder, JetReturn, OrderItem, PriceAdjustment
from jet_orderhive.mapping._checked import make_line_item
from jet_orderhive.mapping.context import MappingContext, MappingError
from jet_orderhive.orderhive.models import LineItem

__all__ = [
    "discount_of",
    "ReturnFacts",
    "map_line_items",
    "return_facts",
    "returned_quantities",
    "returned_units",
    "shipment_quantities",
    "tax_percent",
    "unit_price",
]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_COMPLETED = ReturnStatus.COMPLETED_BY_MERCHANT.value


def unit_price(row_total: Decimal, quantity: int, quantum: Decimal) -> Decimal:
    """``row_total / quantity`` rounded half-even to ``quantum``; the row total stays exact."""
    return (row_total / quantity).quantize(quantum, rounding=ROUND_HALF_EVEN)


def tax_percent(tax: Decimal, base: Decimal, quantum: Decimal) -> Decimal:
    """``tax / base * 100`` rounded half-even to ``quantum``; 0 for a zero base."""
    if base == 0:
        return _ZERO.quantize(quantum)
    return (tax * _HUNDRED / base).quantize(quantum, rounding=ROUND_HALF_EVEN)


def discount_of(adjustment: PriceAdjustment | Decimal | None) -> Decimal:
    """The discount a Jet price adjustment stands for, as a positive amount (0 if none).

    Jet documented the adjustment as an object whose ``principal`` is the line's share; clients
    also saw a bare number. Either sign reads as a reduction.
    """
    if adjustment is None:
        return _ZERO
    if isinstance(adjustment, Decimal):
        return abs(adjustment)
    return abs(adjustment.principal or _ZERO)


def shipment_quantities(jet_order: JetOrder) -> dict[str, tuple[int, int]]:
    """Units shipped and cancelled per SKU over every shipment Jet reports."""
    totals: dict[str, tuple[int, int]] = {}
    for shipment in jet_order.shipments or ():
        for item in shipment.shipment_items:
            if item.merchant_sku is None:
                continue
            shipped, cancelled = totals.get(item.merchant_sku, (0, 0))
            totals[item.merchant_sku] = (
                shipped + (item.response_shipment_sku_quantity or 0),
                cancelled + (item.response_shipment_cancel_qty or 0),
            )
    return totals


class ReturnFacts(Protocol):
    """What the returns rule needs of a return: its status and units per order item."""

    @property
    def status(self) -> str: ...

    @property
    def units(self) -> Mapping[str, int]: ...


def returned_units(returns: Iterable[ReturnFacts]) -> dict[str, int]:
    """Units returned per order item id: the one returns rule (design §6).

    Only returns the merchant completed count; a return Jet still shows as created or in
    progress may yet be refused, so its units are not back. The mapping and the engine both
    count returns through this function.
    """
    completed = _COMPLETED
    totals: dict[str, int] = {}
    for facts in returns:
        if facts.status != completed:
            continue
        for key, units in facts.units.items():
            totals[key] = totals.get(key, 0) + units
    return totals


@attrs.frozen
class _Facts:
    status: str
    units: Mapping[str, int]


def return_facts(jet_return: JetReturn) -> _Facts:
    """A Jet return as the facts `returned_units` counts."""
    units: dict[str, int] = {}
    for line in jet_return.return_merchant_skus or ():
        key = line.order_item_id
        units[key] = units.get(key, 0) + (line.return_quantity or 0)
    return _Facts(status=str(jet_return.return_status), units=units)


def returned_quantities(jet_order: JetOrder, returns: Iterable[JetReturn]) -> dict[str, int]:
    """Units returned per order item id, counting only returns the merchant completed."""
    if not returns:  # most orders: nothing to count (a generator, always true, is counted)
        return {}
    order_id = jet_order.merchant_order_id
    return returned_units(return_facts(r) for r in returns if r.merchant_order_id == order_id)


def is_closed(jet_order: JetOrder) -> bool:
    """Whether Jet closed the order: ``complete``, or rejected at acknowledgement.

    Jet closes an order only when every unit is shipped or cancelled, so on a closed order every
    unit not shipped counts as cancelled, whether or not a cancel shipment says so (a rejection
    or a cancel by Jet sends none).
    """
    if jet_order.status == OrderStatus.COMPLETE:
        return True
    if jet_order.exception_state == ExceptionState.ORDER_REJECTED:
        return True
    ack = jet_order.acknowledgement_status
    return ack is not None and ack.is_known and ack is not AckStatus.ACCEPTED


def _take(pool: dict[str, int], key: str, wanted: int) -> int:
    # Jet reports shipments per SKU; when two lines share a SKU the units fill lines in order.
    available = pool.get(key, 0)
    taken = min(available, wanted)
    pool[key] = available - taken
    return taken


def _line(
    item: OrderItem,
    ctx: MappingContext,
    order_id: str,
    index: int,
    quantities: tuple[int, int, int],
) -> LineItem:
    quantity = item.request_order_quantity
    if quantity < 1:
        raise MappingError(
            f"order {order_id}: order_items[{index}].request_order_quantity is {quantity}; "
            "a line needs at least one unit",
            order_id=order_id,
        )
    price = item.item_price
    base = price.base_price
    tax = price.item_tax or _ZERO
    shipped, cancelled, returned = quantities
    unit = unit_price(base, quantity, ctx.unit_price_quantum)
    discount = discount_of(item.price_adjustment)
    percent = tax_percent(tax, base, ctx.tax_percent_quantum)
    # Jet keeps its ask on the item after the merchant answers; only the rest is open.
    asked = max((item.request_order_cancel_qty or 0) - cancelled, 0)
    # The line's validators, inline: counts are ints (not bools) and not negative, money is
    # finite Decimals (``quantity`` is at least 1 and ``asked`` at least 0 when they are ints).
    checked = (
        type(quantity) is int
        and type(shipped) is int
        and type(cancelled) is int
        and type(returned) is int
        and type(asked) is int
        and shipped >= 0
        and cancelled >= 0
        and returned >= 0
        and type(unit) is Decimal
        and type(base) is Decimal
        and type(discount) is Decimal
        and type(tax) is Decimal
        and type(percent) is Decimal
        and unit.is_finite()
        and base.is_finite()
        and discount.is_finite()
        and tax.is_finite()
        and percent.is_finite()
    )
    return (make_line_item if checked else LineItem)(
        sku=item.merchant_sku,
        name=item.product_title or item.merchant_sku,
        variant_id=item.order_item_id,
        alt_order_item_id=item.alt_order_item_id,
        quantity_ordered=quantity,
        price=unit,
        row_total=base,
        discount=discount,
        tax_value=tax,
        tax_percent=percent,
        quantity_shipped=shipped,
        quantity_cancelled=cancelled,
        quantity_returned=returned,
        quantity_cancel_requested=asked,
    )


def map_line_items(
    jet_order: JetOrder, ctx: MappingContext, returns: Sequence[JetReturn] = ()
) -> tuple[LineItem, ...]:
    """One line per ``order_items[]`` entry, in Jet's order."""
    shipped_pool: dict[str, int] = {}
    cancelled_pool: dict[str, int] = {}
    for sku, (shipped, cancelled) in shipment_quantities(jet_order).items():
        shipped_pool[sku] = shipped
        cancelled_pool[sku] = cancelled
    returned = returned_quantities(jet_order, returns)
    closed = is_closed(jet_order)
    lines = []
    for index, item in enumerate(jet_order.order_items):
        quantity = item.request_order_quantity
        shipped = _take(shipped_pool, item.merchant_sku, quantity)
        cancelled = _take(cancelled_pool, item.merchant_sku, quantity - shipped)
        if closed:
            cancelled = quantity - shipped
        back = returned.pop(item.order_item_id, 0)
        lines.append(
            _line(
                item,
                ctx,
                jet_order.merchant_order_id,
                index,
                (shipped, cancelled, min(back, shipped)),
            )
        )
    return tuple(lines)
