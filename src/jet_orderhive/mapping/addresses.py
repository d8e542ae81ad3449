"""Shipping and billing addresses from a Jet order's ``shipping_to`` and ``buyer``."""

from __future__ import annotations

from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.orderhive.models import Address

__all__ = ["map_billing_address", "map_shipping_address", "shipping_address_of"]


def _text(value: str | None) -> str | None:
    # Jet sent "" and null alike for an absent address2; both mean "none" in Orderhive.
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def shipping_address_of(
    jet_order: JetOrder, ctx: MappingContext, *, name: str | None, phone: str | None
) -> Address:
    """The ship-to address under the given name and phone (Jet has no company field)."""
    place = jet_order.shipping_to.address
    return Address(
        name=_text(name),
        company=None,
        address1=_text(place.address1),
        address2=_text(place.address2),
        city=_text(place.city),
        state=_text(place.state),
        zipcode=_text(place.zip_code),
        country=ctx.country,
        country_code=ctx.country_code,
        contact_number=_text(phone),
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
