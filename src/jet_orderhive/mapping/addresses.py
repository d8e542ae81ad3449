"""Shipping and billing addresses from a Jet order's ``shipping_to`` and ``buyer``."""

from __future__ import annotations

from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.orderhive.models import Address, _unvalidated

__all__ = ["map_billing_address", "map_shipping_address", "shipping_address_of"]

#: Address has no validators: this builds what Address(...) builds, a little faster.
_make_address = _unvalidated(Address)


def shipping_address_of(
    jet_order: JetOrder, ctx: MappingContext, *, name: str | None, phone: str | None
) -> Address:
    """The ship-to address under the given name and phone (Jet has no company field)."""
    place = jet_order.shipping_to.address
    name, address1, address2, city, state, zipcode, phone = [
        # Stripped; Jet sent "" and null alike for an absent address2, both "none" in Orderhive.
        None if value is None else value.strip() or None
        for value in (
            name,
            place.address1,
            place.address2,
            place.city,
            place.state,
            place.zip_code,
            phone,
        )
    ]
    return _make_address(
        name=name,
        company=None,
        address1=address1,
        address2=address2,
        city=city,
        state=state,
        zipcode=zipcode,
        country=ctx.country,
        country_code=ctx.country_code,
        contact_number=phone,
    )


def map_shipping_address(jet_order: JetOrder, ctx: MappingContext) -> Address:
    """Ship-to: ``shipping_to.recipient`` name and phone plus ``shipping_to.address``."""
    recipient = jet_order.shipping_to.recipient
    return shipping_address_of(jet_order, ctx, name=recipient.name, phone=recipient.phone_number)


def map_billing_address(jet_order: JetOrder, ctx: MappingContext) -> Address:
    """Bill-to: Jet has none, so the buyer's name and phone at the ship-to address."""
    return shipping_address_of(
        jet_order, ctx, name=jet_order.buyer.name, phone=jet_order.buyer.phone_number
    )
