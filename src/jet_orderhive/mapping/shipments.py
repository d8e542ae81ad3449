"""Orderhive shipments from the shipments Jet reports on an order."""

from __future__ import annotations

from jet_orderhive.jet.models import JetOrder, OrderShipment
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.orderhive.models import Shipment, ShipmentLine

__all__ = ["map_shipment", "map_shipments"]


def map_shipment(shipment: OrderShipment) -> Shipment:
    """Carrier → tracking company, tracking number, shipment date → shipping time, lines per SKU."""
    return Shipment(
        courier_name=str(shipment.carrier) if shipment.carrier is not None else None,
        tracking_number=shipment.shipment_tracking_number,
        shipping_date=shipment.response_shipment_date,
        shipping_method=shipment.response_shipment_method,
        expected_delivery_date=shipment.expected_delivery_date,
        carrier_pick_up_date=shipment.carrier_pick_up_date,
        ship_from_zip_code=shipment.ship_from_zip_code,
        channel_shipment_id=shipment.shipment_id,
        alt_shipment_id=shipment.alt_shipment_id,
        lines=tuple(
            ShipmentLine(
                sku=item.merchant_sku,
                quantity_shipped=item.response_shipment_sku_quantity or 0,
                quantity_cancelled=item.response_shipment_cancel_qty or 0,
            )
            for item in shipment.shipment_items
            if item.merchant_sku is not None
        ),
    )


def map_shipments(jet_order: JetOrder, ctx: MappingContext) -> tuple[Shipment, ...]:
    """Every Jet shipment that ships at least one unit; cancel-only ones live on the lines."""
    shipments = (map_shipment(shipment) for shipment in jet_order.shipments or ())
    return tuple(shipment for shipment in shipments if shipment.quantity_shipped > 0)
