"""Money never drifts: totals match Jet exactly and unit prices round only for display."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from mapping_data import known_order_data

from jet_orderhive.jet import JetOrder
from jet_orderhive.mapping import MappingContext, map_order
from jet_orderhive.orderhive import SalesOrder
from jet_orderhive.testing.factories import OrderFactory

CENT = Decimal("0.01")
_cents = st.integers(min_value=0, max_value=10_000_000).map(lambda n: Decimal(n) * CENT)


@st.composite
def jet_orders(draw: st.DrawFn) -> dict[str, Any]:
    data = known_order_data()
    items = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        items.append(
            {
                "order_item_id": f"{index:032x}",
                "merchant_sku": f"SKU-{index}",
                "product_title": f"Item {index}",
                "request_order_quantity": draw(st.integers(min_value=1, max_value=12)),
                "item_price": {
                    "base_price": draw(_cents),
                    "item_tax": draw(st.none() | _cents),
                    "item_shipping_cost": draw(_cents),
                    "item_shipping_tax": draw(st.none() | _cents),
                },
            }
        )
    totals = {
        key: sum((item["item_price"][key] or Decimal(0) for item in items), Decimal(0))
        for key in ("base_price", "item_tax", "item_shipping_cost", "item_shipping_tax")
    }
    data["order_items"] = items
    data["order_totals"] = {"item_price": totals}
    return data


def _check_money(order: SalesOrder, jet: JetOrder) -> None:
    price = jet.order_totals.item_price
    jet_total = (
        price.base_price
        + (price.item_tax or 0)
        + (price.item_shipping_cost or 0)
        + (price.item_shipping_tax or 0)
    )
    lines = sum((line.row_total + line.tax_value for line in order.line_items), Decimal(0))
    extras = sum((extra.total for extra in order.extra_items), Decimal(0))
    assert order.grand_total == jet_total == lines + extras
    for line, item in zip(order.line_items, jet.order_items, strict=True):
        base = item.item_price.base_price
        assert line.row_total == base
        expected = (base / line.quantity_ordered).quantize(CENT, rounding=ROUND_HALF_EVEN)
        assert line.price == expected
        # The rounding rule: the unit price is within half a cent of the exact share.
        assert abs(line.price * line.quantity_ordered - base) <= CENT / 2 * line.quantity_ordered


@settings(max_examples=150, deadline=None)
@given(jet_orders())
def test_hypothesis_orders_add_up_exactly(data: dict[str, Any]) -> None:
    jet = JetOrder.from_dict(data)
    _check_money(map_order(jet, MappingContext()), jet)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_sandbox_factory_orders_add_up_exactly(seed: int) -> None:
    for status in ("ready", "inprogress", "complete"):
        jet = JetOrder.from_dict(OrderFactory(seed).order(status=status))
        _check_money(map_order(jet, MappingContext()), jet)
