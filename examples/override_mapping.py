"""Replace one mapping: read the buyer's last word as the surname, keep everything else.

Run it with ``python examples/override_mapping.py``; it imports one sandbox order both ways.
"""

from __future__ import annotations

import attrs

from jet_orderhive.jet import JetOrder
from jet_orderhive.mapping import MappingContext, Mappings, map_customer
from jet_orderhive.orderhive import Customer
from jet_orderhive.testing.factories import OrderFactory


def surname_last(jet_order: JetOrder, ctx: MappingContext) -> Customer | None:
    """Like the default customer mapping, but "Mary Ann Smith" is Mary Ann / Smith."""
    customer = map_customer(jet_order, ctx)
    words = jet_order.buyer.name.split()
    if customer is None or len(words) < 2:
        return customer
    return attrs.evolve(customer, first_name=" ".join(words[:-1]), last_name=words[-1])


def main() -> tuple[Customer | None, Customer | None]:
    data = OrderFactory(seed=11).order(status="ready")
    data["buyer"] = {"name": "Mary Ann Smith", "phone_number": "555-010-0199"}
    jet_order = JetOrder.from_dict(data)
    ctx = MappingContext(payment_method="Jet.com")
    default = Mappings.default()
    custom = attrs.evolve(default, customer=surname_last)
    assert custom.map_order(jet_order, ctx) == default.map_order(jet_order, ctx)
    return default.map_customer(jet_order, ctx), custom.map_customer(jet_order, ctx)


if __name__ == "__main__":
    before, after = main()
    for label, customer in (("default", before), ("custom", after)):
        if customer is not None:
            print(f"{label:8} first={customer.first_name!r} last={customer.last_name!r}")
