"""Returns: units customers send back are recorded on the stored order's lines.

Each return's quantities are kept in sync state per order, and the lines are recomputed from
all of them, so reading the same return again never counts its units twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import attrs

from jet_orderhive.jet.errors import JetError
from jet_orderhive.jet.models import JetReturn
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import SalesOrder
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync.report import ReportBuilder

__all__ = [
    "RETURN_STATUSES",
    "apply_returns",
    "import_returns",
    "return_quantities",
    "returns_state_name",
]

#: The return lists read; older statuses were dropped by Jet in 2017.
RETURN_STATUSES = ("created", "inprogress", "completed by merchant")


def returns_state_name(order_id: str) -> str:
    """The sync-state name under which an order's returns are kept (return id → units)."""
    return f"returns:{order_id}"


def return_quantities(jet_return: JetReturn) -> dict[str, int]:
    """Units returned per Jet ``order_item_id`` in one return."""
    units: dict[str, int] = {}
    for line in jet_return.return_merchant_skus:
        units[line.order_item_id] = units.get(line.order_item_id, 0) + line.return_quantity
    return units


def apply_returns(order: SalesOrder, returns: Mapping[str, Mapping[str, int]]) -> SalesOrder:
    """The order with ``quantity_returned`` recomputed from every known return.

    ``returns`` maps return id → order item id → units. A line never shows more returned units
    than it shipped. The order becomes RETURNED once every shipped unit is back.
    """
    totals: dict[str, int] = {}
    for units in returns.values():
        for item_id, qty in units.items():
            totals[item_id] = totals.get(item_id, 0) + qty
    lines = tuple(
        attrs.evolve(
            line,
            quantity_returned=min(totals.get(line.variant_id, 0), line.quantity_shipped),
        )
        for line in order.line_items
    )
    shipped = sum(line.quantity_shipped for line in lines)
    all_back = shipped > 0 and all(
        line.quantity_returned >= line.quantity_shipped for line in lines
    )
    status = OrderStatus.RETURNED if all_back else order.order_status
    return attrs.evolve(order, line_items=lines, order_status=status)


def import_returns(engine: Engine, report: ReportBuilder) -> None:
    """Read Jet's return lists and record returned units on the stored orders."""
    ids: dict[str, None] = {}
    for status in RETURN_STATUSES:
        ids.update(dict.fromkeys(engine.client.list_return_ids(status)))
    storage = engine.storage
    unknown: list[str] = []
    for index, return_id in enumerate(ids, start=1):
        engine.tick("import returns", index, len(ids))
        try:
            jet_return = engine.client.get_return(return_id)
        except JetError as error:
            report.problem("return", return_id, f"could not read the return: {error}")
            continue
        order_id = jet_return.merchant_order_id or ""
        order = storage.get_order(order_id, account=engine.account) if order_id else None
        if not order_id:
            report.problem("return", return_id, "Jet's return names no merchant_order_id")
            continue
        if order is None:
            # Not a failure: the order was placed before the import window (returns outlive
            # it) or is not imported yet, in which case this return is applied on a later run.
            unknown.append(f"{return_id} (order {order_id})")
            continue
        key = returns_state_name(order_id)
        known: dict[str, dict[str, int]] = json.loads(
            storage.get_state(key, account=engine.account) or "{}"
        )
        units = return_quantities(jet_return)
        if known.get(return_id) == units:
            continue
        known[return_id] = units
        updated = apply_returns(order, known)
        report.count("returns_updated")
        if engine.dry_run:
            continue
        with storage.transaction():
            storage.set_state(key, json.dumps(known, sort_keys=True), account=engine.account)
            if updated != order:
                storage.upsert_order(updated, account=engine.account)
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" * (len(unknown) > 10))
        report.note(
            f"{len(unknown)} return(s) belong to orders that are not stored (placed before the "
            f"import window, or not imported yet) and were left as they are: {shown}"
        )
