"""Order-level extra items: shipping (with its tax) and any tax Jet did not put on a line.

Jet's ``order_totals`` is the truth for the order. Shipping comes from its
``item_shipping_cost`` with ``item_shipping_tax`` as the shipping tax. Line taxes stay on the
lines; if ``order_totals.item_tax`` differs from their sum (Jet sent ``null`` on some lines), the
difference becomes a TAX extra item, so the order still adds up to Jet's total to the cent.
Jet has no order-level discount, so no DISCOUNT item is made by default.
"""

from __future__ import annotations

from decimal import Decimal

from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping._checked import make_extra_item, money
from jet_orderhive.mapping.context import MappingContext, MappingError
from jet_orderhive.mapping.lines import tax_percent
from jet_orderhive.orderhive.enums import ExtraItemType
from jet_orderhive.orderhive.models import ExtraItem

__all__ = ["map_extra_items", "order_total"]

_ZERO = Decimal(0)


def order_total(jet_order: JetOrder) -> Decimal:
    """Jet's order total: base price, item tax, shipping and shipping tax, summed exactly."""
    price = jet_order.order_totals.item_price
    return (
        price.base_price
        + (price.item_tax or _ZERO)
        + (price.item_shipping_cost or _ZERO)
        + (price.item_shipping_tax or _ZERO)
    )


def map_extra_items(jet_order: JetOrder, ctx: MappingContext) -> tuple[ExtraItem, ...]:
    """Shipping and unattributed tax as extra items; raise if the lines disagree on base price."""
    totals = jet_order.order_totals.item_price
    lines_base = sum((item.item_price.base_price for item in jet_order.order_items), _ZERO)
    if lines_base != totals.base_price:
        raise MappingError(
            f"order {jet_order.merchant_order_id}: order_totals.item_price.base_price is "
            f"{totals.base_price} but order_items[].item_price.base_price sum to {lines_base}; "
            "Jet's payload is inconsistent, so the order is not imported",
            order_id=jet_order.merchant_order_id,
        )
    extras: list[ExtraItem] = []
    shipping = totals.item_shipping_cost or _ZERO
    shipping_tax = totals.item_shipping_tax or _ZERO
    if shipping or shipping_tax:
        percent = tax_percent(shipping_tax, shipping, ctx.tax_percent_quantum)
        checked = money(shipping, shipping_tax, percent)
        extras.append(
            (make_extra_item if checked else ExtraItem)(
                type=ExtraItemType.SHIPPING_COST,
                name=ctx.shipping_item_name,
                price=shipping,
                tax_value=shipping_tax,
                tax_percent=percent,
            )
        )
    lines_tax = sum((item.item_price.item_tax or _ZERO for item in jet_order.order_items), _ZERO)
    unattributed = (totals.item_tax or _ZERO) - lines_tax
    if unattributed:
        make = make_extra_item if money(unattributed) else ExtraItem
        extras.append(make(type=ExtraItemType.TAX, name=ctx.tax_item_name, price=unattributed))
    return tuple(extras)
