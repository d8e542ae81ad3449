"""Stock as desired state: what each SKU should show at each fulfillment node on Jet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias

import attrs

from jet_orderhive.storage.records import PushedKey

__all__ = ["StockInput", "StockLevel", "desired_stock", "stock_levels"]


def _quantity(instance: StockLevel, _attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"stock for SKU {instance.sku!r} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"stock for SKU {instance.sku!r} must not be negative, got {value}")


def _sku(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"a SKU must be a non-empty string, got {value!r}")


@attrs.frozen(kw_only=True)
class StockLevel:
    """How many units of ``sku`` Jet should offer from ``node_id``.

    Attributes:
        node_id: the Jet fulfillment node; ``None`` means the integration's node
            (``IntegrationSettings.fulfillment_node_id``, or the merchant's first node).
    """

    sku: str = attrs.field(validator=_sku)
    quantity: int = attrs.field(validator=_quantity)
    node_id: str | None = None


StockInput: TypeAlias = Mapping[str, int] | Iterable[StockLevel]
"""``{sku: quantity}`` for the integration's node, or :class:`StockLevel` records."""


def stock_levels(levels: StockInput) -> list[StockLevel]:
    """Read either input form into records, validating every quantity."""
    if isinstance(levels, Mapping):
        return [StockLevel(sku=sku, quantity=qty) for sku, qty in levels.items()]
    records = list(levels)
    for record in records:
        if not isinstance(record, StockLevel):
            raise TypeError(f"expected StockLevel records or a mapping, got {record!r}")
    return records


def desired_stock(levels: Iterable[StockLevel], default_node: str | None) -> dict[PushedKey, int]:
    """Collapse records into one quantity per ``(sku, node)``; a later record wins."""
    desired: dict[PushedKey, int] = {}
    for level in levels:
        node = level.node_id or default_node
        if node is None:
            raise ValueError(
                f"stock for SKU {level.sku!r} has no fulfillment node: set "
                "IntegrationSettings.fulfillment_node_id or give StockLevel(node_id=...)"
            )
        key = (level.sku, node)
        # Re-inserting moves the key to the end, so the plan follows the caller's last word.
        desired.pop(key, None)
        desired[key] = level.quantity
    return desired
