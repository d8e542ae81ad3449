"""Stock as desired state: what each SKU should show at each fulfillment node on Jet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias

import attrs

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive.jet.enums import FileType
from jet_orderhive.jet.models import InventoryUpdate, NodeQuantity
from jet_orderhive.storage.records import PushedKey
from jet_orderhive.sync._desired import (
    check_sku,
    diff_desired,
    group_by_sku,
    report_disabled,
    report_plan,
    report_unsendable,
    send_bulk,
    send_each,
    unsendable,
)
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._links import link_seen_skus
from jet_orderhive.sync.report import ReportBuilder

__all__ = ["StockInput", "StockLevel", "desired_stock", "push_stock", "stock_levels"]


def _quantity(instance: StockLevel, _attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise JetOrderhiveTypeError(f"stock for SKU {instance.sku!r} must be an int, got {value!r}")
    if value < 0:
        raise JetOrderhiveValueError(
            f"stock for SKU {instance.sku!r} must not be negative, got {value}"
        )


@attrs.frozen(kw_only=True)
class StockLevel:
    """How many units of ``sku`` Jet should offer from ``node_id``.

    Attributes:
        node_id: the Jet fulfillment node; ``None`` means the integration's node
            (``IntegrationSettings.fulfillment_node_id``, or the merchant's first node).
    """

    sku: str = attrs.field(validator=check_sku)
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
            raise JetOrderhiveTypeError(f"expected StockLevel records or a mapping, got {record!r}")
    return records


def desired_stock(levels: Iterable[StockLevel], default_node: str | None) -> dict[PushedKey, int]:
    """Collapse records into one quantity per ``(sku, node)``; a later record wins."""
    desired: dict[PushedKey, int] = {}
    for level in levels:
        node = level.node_id or default_node
        if node is None:
            raise JetOrderhiveValueError(
                f"stock for SKU {level.sku!r} has no fulfillment node: set "
                "IntegrationSettings.fulfillment_node_id or give StockLevel(node_id=...)"
            )
        key = (level.sku, node)
        # Re-inserting moves the key to the end, so the plan follows the caller's last word.
        desired.pop(key, None)
        desired[key] = level.quantity
    return desired


def _default_node(engine: Engine, levels: list[StockLevel]) -> str | None:
    """The node for levels without one: the setting, else the merchant's first node on Jet."""
    if engine.settings.fulfillment_node_id or all(level.node_id for level in levels):
        return engine.settings.fulfillment_node_id
    if engine.default_node is not None:
        return engine.default_node
    nodes = engine.client.list_fulfillment_nodes()
    if not nodes:
        raise JetOrderhiveValueError(
            "Jet lists no fulfillment node for this merchant; set "
            "IntegrationSettings.fulfillment_node_id"
        )
    # Looked up once per Integration: a merchant's nodes do not change between pushes.
    engine.default_node = nodes[0].jet_fulfillment_node_id
    return engine.default_node


def push_stock(engine: Engine, report: ReportBuilder, levels: StockInput) -> None:
    """Send the stock levels that differ from the last pushed ones (bulk file when many)."""
    records = stock_levels(levels)
    if not engine.settings.push_stock:
        report_disabled(report, "stock", ((lv.sku, lv.node_id, lv.quantity) for lv in records))
        report.note("push_stock is off: no stock was sent to Jet")
        return
    desired = desired_stock(records, _default_node(engine, records))
    refused = unsendable(desired)
    sendable = {key: qty for key, qty in desired.items() if key[0] not in refused}
    last = engine.storage.pushed_stock_many(sendable, account=engine.account)
    plan = diff_desired(sendable, last)
    by_sku = group_by_sku(plan.send)
    failures: dict[str, str] = {}
    if engine.dry_run or not by_sku:
        pass
    elif len(by_sku) > engine.settings.bulk_threshold:
        bulk = {
            sku: InventoryUpdate(
                fulfillment_nodes=tuple(
                    NodeQuantity(fulfillment_node_id=node, quantity=qty)
                    for node, qty in nodes.items()
                )
            )
            for sku, nodes in by_sku.items()
        }
        failures = send_bulk(engine, report, FileType.INVENTORY, bulk)
    else:
        requests = {
            sku: [NodeQuantity(fulfillment_node_id=n, quantity=q) for n, q in nodes.items()]
            for sku, nodes in by_sku.items()
        }
        failures = send_each(engine, "push stock", requests, engine.client.update_inventory)
    accepted = {key: qty for key, qty in plan.send.items() if key[0] not in failures}
    if accepted and not engine.dry_run:
        engine.storage.set_pushed_stock_many(accepted, account=engine.account)
    link_seen_skus(engine, (sku for sku, _node in (*plan.skip, *accepted)))
    report_plan(report, "stock", plan, failures, dry_run=engine.dry_run)
    report_unsendable(report, "stock", desired, refused)
