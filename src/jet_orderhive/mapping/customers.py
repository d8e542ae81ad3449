"""The customer record a Jet order implies: relay email, split buyer name, phone, ship-to."""

from __future__ import annotations

from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping.addresses import shipping_address_of
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.orderhive.models import Customer, normalize_email

__all__ = ["map_customer", "split_name"]


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """Split a full name at its first space: one word is a first name, blank is no name.

    Runs of whitespace (any Unicode space) count as one, so ``"  Zoë   Brontë Hughes "`` gives
    ``("Zoë", "Brontë Hughes")``.
    """
    words = (name or "").split()
    if not words:
        return None, None
    if len(words) == 1:
        return words[0], None
    return words[0], " ".join(words[1:])


def map_customer(jet_order: JetOrder, ctx: MappingContext) -> Customer | None:
    """Customer from ``hash_email``, ``buyer.name``, ``buyer.phone_number`` and the ship-to.

    Returns ``None`` when the order carries no email: customers are keyed by it, and an
    invented key would merge unrelated buyers.
    """
    email = normalize_email(jet_order.hash_email or "")
    if not email:
        return None
    first_name, last_name = split_name(jet_order.buyer.name)
    phone = (jet_order.buyer.phone_number or "").strip() or None
    recipient = jet_order.shipping_to.recipient
    address = shipping_address_of(jet_order, ctx, name=recipient.name, phone=recipient.phone_number)
    return Customer(
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        addresses=(address,),
    )
