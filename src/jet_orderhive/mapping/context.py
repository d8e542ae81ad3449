"""What every mapping function may know besides the order: names, currency, clock and settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import attrs

from jet_orderhive._clock import utc_now
from jet_orderhive._errors import JetOrderhiveError, JetOrderhiveValueError

__all__ = ["MappingContext", "MappingError", "utc_now"]


class MappingError(JetOrderhiveError, ValueError):
    """A Jet order (or an Orderhive change) that cannot be mapped; the message says why and where.

    ``order_id`` names the Jet order so the engine can quarantine it with this reason.
    """

    def __init__(self, message: str, *, order_id: str | None = None) -> None:
        super().__init__(message)
        self.order_id = order_id


@attrs.frozen(kw_only=True)
class MappingContext:
    """The small, explicit environment a mapping runs in, instead of globals.

    Attributes:
        payment_method: written as the order's payment method (Jet has no payment gateway).
        currency: the order currency (Jet sold in USD only).
        clock: "now" for outbound messages that need a date the record does not carry.
        fulfillment_node_id: the merchant's Jet node, for the host's reference.
        import_created: import ``created`` orders (as NOT_CONFIRMED) to reserve stock.
        confirm_on_import: ``ready`` maps to CONFIRMED; when off, to NOT_CONFIRMED for review.
        country / country_code: Jet shipped to US addresses only and does not send a country.
        shipping_item_name / tax_item_name: labels of the extra items.
        unit_price_quantum: unit prices are rounded half-even to this step (display only).
        tax_percent_quantum: tax percentages are rounded half-even to this step.
    """

    payment_method: str = "Jet"
    currency: str = "USD"
    clock: Callable[[], datetime] = utc_now
    fulfillment_node_id: str | None = None
    import_created: bool = False
    confirm_on_import: bool = True
    country: str | None = "United States"
    country_code: str | None = "US"
    shipping_item_name: str = "Shipping"
    tax_item_name: str = "Tax"
    unit_price_quantum: Decimal = Decimal("0.01")
    tax_percent_quantum: Decimal = Decimal("0.0001")

    def now(self) -> datetime:
        """The clock's current time, refusing a naive value that Jet could not be sent."""
        value = self.clock()
        if value.utcoffset() is None:
            raise JetOrderhiveValueError(
                "MappingContext.clock returned a naive datetime; return an aware one"
            )
        return value
