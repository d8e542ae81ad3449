"""Pure mapping functions between Jet wire models and Orderhive records, and the push decisions.

Each concern is one small function a user may replace in the `Mappings` bundle::

    mappings = attrs.evolve(Mappings.default(), customer=my_customer_mapping)
"""

from __future__ import annotations

from jet_orderhive.mapping.addresses import map_billing_address, map_shipping_address
from jet_orderhive.mapping.bundle import Mappings
from jet_orderhive.mapping.comments import map_comments
from jet_orderhive.mapping.context import MappingContext, MappingError
from jet_orderhive.mapping.customers import map_customer, split_name
from jet_orderhive.mapping.extras import map_extra_items, order_total
from jet_orderhive.mapping.lines import map_line_items, tax_percent, unit_price
from jet_orderhive.mapping.orders import map_order
from jet_orderhive.mapping.outbound import (
    build_acknowledgement,
    build_cancel_notice,
    build_rejection,
    build_ship_notice,
    cancel_shipment_id,
    open_units,
    shipment_id_for,
)
from jet_orderhive.mapping.reconcile import (
    Decision,
    JetView,
    PushAsk,
    Reconciliation,
    Verdict,
    decide,
    reconcile,
)
from jet_orderhive.mapping.shipments import map_shipments
from jet_orderhive.mapping.status import (
    STATUS_IN,
    Fulfilment,
    InboundRule,
    PushAction,
    StatusDecision,
    decide_status_in,
)

__all__ = [
    "STATUS_IN",
    "Decision",
    "Fulfilment",
    "InboundRule",
    "MappingContext",
    "MappingError",
    "Mappings",
    "PushAction",
    "PushAsk",
    "JetView",
    "Reconciliation",
    "StatusDecision",
    "build_acknowledgement",
    "build_cancel_notice",
    "build_rejection",
    "build_ship_notice",
    "cancel_shipment_id",
    "decide",
    "decide_status_in",
    "map_billing_address",
    "map_comments",
    "map_customer",
    "map_extra_items",
    "map_line_items",
    "map_order",
    "map_shipments",
    "map_shipping_address",
    "open_units",
    "order_total",
    "reconcile",
    "shipment_id_for",
    "split_name",
    "tax_percent",
    "unit_price",
    "Verdict",
]
