"""Replacing one mapping with ``attrs.evolve`` changes that output and nothing else."""

from __future__ import annotations

import attrs
from mapping_data import known_order_data

from jet_orderhive.jet import JetOrder
from jet_orderhive.mapping import MappingContext, Mappings, map_customer
from jet_orderhive.orderhive import Address, Customer, SalesOrder


def _jet() -> JetOrder:
    return JetOrder.from_dict(known_order_data())


def _other_fields(a: SalesOrder, b: SalesOrder, changed: str) -> None:
    for field in attrs.fields(SalesOrder):
        if field.name != changed:
            assert getattr(a, field.name) == getattr(b, field.name), field.name


def test_replacing_shipping_address_changes_only_the_shipping_address() -> None:
    ctx = MappingContext()

    def po_box(jet_order: JetOrder, ctx: MappingContext) -> Address:
        return Address(name="Receiving", address1="PO Box 1", city="Malibu", zipcode="90265")

    default = Mappings.default()
    custom = attrs.evolve(default, shipping_address=po_box)
    before, after = default.map_order(_jet(), ctx), custom.map_order(_jet(), ctx)
    assert after.shipping_address.address1 == "PO Box 1"
    assert before.shipping_address != after.shipping_address
    _other_fields(before, after, "shipping_address")
    assert custom.map_customer(_jet(), ctx) == default.map_customer(_jet(), ctx)


def test_replacing_customer_changes_only_the_customer() -> None:
    ctx = MappingContext()

    def last_word_surname(jet_order: JetOrder, ctx: MappingContext) -> Customer | None:
        customer = map_customer(jet_order, ctx)
        assert customer is not None
        *first, last = jet_order.buyer.name.split()
        return attrs.evolve(customer, first_name=" ".join(first), last_name=last)

    default = Mappings.default()
    custom = attrs.evolve(default, customer=last_word_surname)
    customer = custom.map_customer(_jet(), ctx)
    assert customer is not None
    assert (customer.first_name, customer.last_name) == ("Jane Q.", "Doe")
    assert default.map_customer(_jet(), ctx) != customer
    assert custom.map_order(_jet(), ctx) == default.map_order(_jet(), ctx)


def test_default_bundle_is_frozen_and_equal_to_itself() -> None:
    assert Mappings.default() == Mappings.default()
    assert attrs.has(Mappings)
