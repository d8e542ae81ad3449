"""Prices as desired state: the price each SKU should have on Jet, overall or per node."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TypeAlias

import attrs

from jet_orderhive.storage.records import PushedKey

__all__ = ["PriceInput", "PriceLevel", "desired_prices", "price_levels"]


def _price(instance: PriceLevel, _attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(
            f"price for SKU {instance.sku!r} must be a Decimal (floats lose cents), got {value!r}"
        )
    if not value.is_finite() or value <= 0:
        raise ValueError(f"price for SKU {instance.sku!r} must be above 0, got {value}")


def _sku(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"a SKU must be a non-empty string, got {value!r}")


def _to_decimal(value: object) -> object:
    # Whole numbers are exact, so they are accepted; floats are left for the validator to refuse.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


@attrs.frozen(kw_only=True)
class PriceLevel:
    """The price ``sku`` should have on Jet.

    Attributes:
        node_id: ``None`` for the SKU's own price; a fulfillment node id for a price that
            applies at that node only (sent alongside the SKU's own price).
    """

    sku: str = attrs.field(validator=_sku)
    price: Decimal = attrs.field(converter=_to_decimal, validator=_price)
    node_id: str | None = None


PriceInput: TypeAlias = Mapping[str, Decimal] | Iterable[PriceLevel]
"""``{sku: price}`` for SKU-level prices, or :class:`PriceLevel` records."""


def price_levels(prices: PriceInput) -> list[PriceLevel]:
    """Read either input form into records, validating every price."""
    if isinstance(prices, Mapping):
        return [PriceLevel(sku=sku, price=price) for sku, price in prices.items()]
    records = list(prices)
    for record in records:
        if not isinstance(record, PriceLevel):
            raise TypeError(f"expected PriceLevel records or a mapping, got {record!r}")
    return records


def desired_prices(levels: Iterable[PriceLevel]) -> dict[PushedKey, Decimal]:
    """Collapse records into one price per ``(sku, node)`` (node ``""``: the SKU's own price)."""
    desired: dict[PushedKey, Decimal] = {}
    for level in levels:
        key = (level.sku, level.node_id or "")
        desired.pop(key, None)
        desired[key] = level.price
    return desired
