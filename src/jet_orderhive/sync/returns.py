"""Returns: what Jet shows of the units customers send back, kept on the order's snapshot.

Each return is recorded in the order's snapshot with its status and units (Jet's side of the
order), and the host view is derived again with the one returns rule the mapping uses
(`jet_orderhive.mapping.lines.returned_units`: only returns the merchant completed count).
Reading the same return again changes nothing.
"""

from __future__ import annotations

import attrs

from jet_orderhive.jet.errors import JetError
from jet_orderhive.mapping.lines import return_facts
from jet_orderhive.storage.records import ReturnSeen
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._sides import apply_returns, snapshot_or_view
from jet_orderhive.sync.report import ReportBuilder

__all__ = ["RETURN_STATUSES", "import_returns"]

#: The return lists read; older statuses were dropped by Jet in 2017.
RETURN_STATUSES = ("created", "inprogress", "completed by merchant")


def import_returns(engine: Engine, report: ReportBuilder) -> None:
    """Read Jet's return lists and record each return on its stored order's snapshot."""
    ids: dict[str, None] = {}
    for status in RETURN_STATUSES:
        ids.update(dict.fromkeys(engine.client.list_return_ids(status)))
    storage, account = engine.storage, engine.account
    unknown: list[str] = []
    for index, return_id in enumerate(ids, start=1):
        engine.tick("import returns", index, len(ids))
        try:
            jet_return = engine.client.get_return(return_id)
        except JetError as error:
            report.problem("return", return_id, f"could not read the return: {error}")
            continue
        order_id = jet_return.merchant_order_id or ""
        if not order_id:
            report.problem("return", return_id, "Jet's return names no merchant_order_id")
            continue
        order = storage.get_order(order_id, account=account)
        if order is None:
            # Not a failure: the order was placed before the import window (returns outlive
            # it) or is not imported yet, in which case this return is applied on a later run.
            unknown.append(f"{return_id} (order {order_id})")
            continue
        facts = return_facts(jet_return)
        seen = ReturnSeen(status=facts.status, units=facts.units)
        snapshot = snapshot_or_view(storage.get_order_sides(order_id, account=account), order)
        if snapshot.returns.get(return_id) == seen:
            continue
        after = attrs.evolve(snapshot, returns={**snapshot.returns, return_id: seen})
        report.count("returns_updated")
        if engine.dry_run:
            continue
        storage.upsert_order(apply_returns(order, after.returns), snapshot=after, account=account)
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" * (len(unknown) > 10))
        report.note(
            f"{len(unknown)} return(s) belong to orders that are not stored (placed before the "
            f"import window, or not imported yet) and were left as they are: {shown}"
        )
