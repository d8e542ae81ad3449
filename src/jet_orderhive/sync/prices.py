"""Prices as desired state: the price each SKU should have on Jet, overall or per node."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TypeAlias

import attrs

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive.jet.enums import FileType
from jet_orderhive.jet.models import NodePrice, PriceUpdate
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

__all__ = ["PriceInput", "PriceLevel", "desired_prices", "price_levels", "push_prices"]


def _price(instance: PriceLevel, _attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not isinstance(value, Decimal):
        raise JetOrderhiveTypeError(
            f"price for SKU {instance.sku!r} must be a Decimal (floats lose cents), got {value!r}"
        )
    if not value.is_finite() or value <= 0:
        raise JetOrderhiveValueError(f"price for SKU {instance.sku!r} must be above 0, got {value}")


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
            applies at that node only (sent alongside the SKU's own price). Jet's price call
            is a ``PUT``: give every node price of a SKU in the same call.
    """

    sku: str = attrs.field(validator=check_sku)
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
            raise JetOrderhiveTypeError(f"expected PriceLevel records or a mapping, got {record!r}")
    return records


def desired_prices(levels: Iterable[PriceLevel]) -> dict[PushedKey, Decimal]:
    """Collapse records into one price per ``(sku, node)`` (node ``""``: the SKU's own price)."""
    desired: dict[PushedKey, Decimal] = {}
    for level in levels:
        key = (level.sku, level.node_id or "")
        desired.pop(key, None)
        desired[key] = level.price
    return desired


def _requests(
    send: Mapping[PushedKey, Decimal],
    desired: Mapping[PushedKey, Decimal],
    last: Mapping[PushedKey, Decimal],
) -> tuple[dict[str, PriceUpdate], dict[str, str]]:
    """One price request per SKU with something to send, or the reason it cannot be built.

    Jet's price body always needs the SKU's own price, so a node price goes out together with
    the SKU's desired (or last pushed) own price.
    """
    updates: dict[str, PriceUpdate] = {}
    problems: dict[str, str] = {}
    # Node prices grouped once: scanning all desired prices per SKU was quadratic.
    node_prices_of = group_by_sku({key: p for key, p in desired.items() if key[1]})
    for sku in group_by_sku(send):
        own = desired.get((sku, "")) or last.get((sku, ""))
        if own is None:
            problems[sku] = (
                f"a node price for SKU {sku!r} needs the SKU's own price: add "
                f"PriceLevel(sku={sku!r}, price=...) without node_id"
            )
            continue
        node_prices = tuple(
            NodePrice(fulfillment_node_id=node, fulfillment_node_price=price)
            for node, price in node_prices_of.get(sku, {}).items()
        )
        updates[sku] = PriceUpdate(price=own, fulfillment_nodes=node_prices or None)
    return updates, problems


def push_prices(engine: Engine, report: ReportBuilder, prices: PriceInput) -> None:
    """Send the prices that differ from the last pushed ones (bulk file when many)."""
    records = price_levels(prices)
    if not engine.settings.push_price:
        report_disabled(report, "price", ((lv.sku, lv.node_id, lv.price) for lv in records))
        report.note("push_price is off: no price was sent to Jet")
        return
    desired = desired_prices(records)
    refused = unsendable(desired)
    sendable = {key: price for key, price in desired.items() if key[0] not in refused}
    last = engine.storage.pushed_price_many(
        {*sendable, *((sku, "") for sku, _node in sendable)}, account=engine.account
    )
    plan = diff_desired(sendable, last)
    updates, failures = _requests(plan.send, sendable, last)
    if engine.dry_run or not updates:
        pass
    elif len(updates) > engine.settings.bulk_threshold:
        failures.update(send_bulk(engine, report, FileType.PRICE, dict(updates)))
    else:

        def send(sku: str, update: PriceUpdate) -> None:
            engine.client.update_price(sku, update.price, update.fulfillment_nodes)

        failures.update(send_each(engine, "push prices", updates, send))
    accepted = {key: price for key, price in plan.send.items() if key[0] not in failures}
    if accepted and not engine.dry_run:
        engine.storage.set_pushed_price_many(accepted, account=engine.account)
    link_seen_skus(engine, (sku for sku, _node in (*plan.skip, *accepted)))
    report_plan(report, "price", plan, failures, dry_run=engine.dry_run)
    report_unsendable(report, "price", desired, refused)
