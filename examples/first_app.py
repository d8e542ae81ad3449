"""A first app, end to end on the sandbox: import, ship, push stock and prices, auto-archive.

Run it with ``python examples/first_app.py``. It needs no catalogue code: the sandbox creates
the products its orders name, and the engine links every SKU it sees, so the archive check
finds the product archived on Jet without a single ``link_sku`` call.
"""

from __future__ import annotations

from decimal import Decimal

from jet_orderhive import Integration, MemoryStorage, Shipment, ShipmentLine, SyncReport
from jet_orderhive.orderhive import order_rows
from jet_orderhive.testing import JetSandbox


def main() -> list[SyncReport]:
    sandbox = JetSandbox(seed=2)
    sandbox.generate_orders(12)
    storage = MemoryStorage()
    with sandbox.client() as client:
        integration = Integration(client, storage)
        reports = [integration.import_orders()]

        first = storage.list_orders()[0]
        line = first.line_items[0]
        parcel = Shipment(
            lines=[ShipmentLine(sku=line.sku, quantity_shipped=line.quantity_ordered)],
            courier_name="UPS",
            tracking_number="1Z999AA10123456784",
        )
        reports.append(integration.ship(first.channel_order_id, parcel))

        skus = sorted({row.sku for order in storage.list_orders() for row in order.line_items})
        reports.append(integration.push_stock(dict.fromkeys(skus, 10)))
        reports.append(integration.push_prices(dict.fromkeys(skus, Decimal("19.99"))))

        sandbox.archive_sku(skus[0])
        reports.append(integration.sync_archived_products())

    for report in reports:
        print(report)
    rows = order_rows(storage.list_orders())
    print(f"{len(rows)} orders stored; {sum(row['units_shipped'] for row in rows)} unit(s) shipped")
    archived = [entry.sku for entry in storage.linked_skus() if entry.archived]
    print(f"archived on Jet, marked in storage: {', '.join(archived)}")
    return reports


if __name__ == "__main__":
    reports = main()
    if not all(report.ok for report in reports):
        raise SystemExit(1)
