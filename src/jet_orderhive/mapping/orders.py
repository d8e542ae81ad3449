"""The order mapping: compose the field mappings of a `Mappings` bundle into one `SalesOrder`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from jet_orderhive.jet.models import JetOrder, JetReturn, OrderDetail
from jet_orderhive.mapping._checked import aware, make_sales_order, records
from jet_orderhive.mapping.context import MappingContext, MappingError
from jet_orderhive.mapping.extras import order_total
from jet_orderhive.orderhive.enums import PaymentStatus, TaxType
from jet_orderhive.orderhive.models import (
    Comment,
    ExtraItem,
    LineItem,
    SalesOrder,
    Shipment,
    normalize_email,
)

if TYPE_CHECKING:
    from jet_orderhive.mapping.bundle import Mappings

__all__ = ["map_order"]


def map_order(
    jet_order: JetOrder,
    ctx: MappingContext,
    returns: Sequence[JetReturn] = (),
    *,
    mappings: Mappings | None = None,
) -> SalesOrder:
    """Build the Orderhive order for ``jet_order`` with the bundle's field mappings.

    Raises `MappingError` when the status is in the unknown bucket or not imported under
    ``ctx`` (ask `decide_status_in` first to tell the two apart), or when the order's money
    does not add up to Jet's ``order_totals`` exactly.
    """
    if mappings is None:
        from jet_orderhive.mapping.bundle import Mappings

        mappings = Mappings.default()
    order_id = jet_order.merchant_order_id
    decision = mappings.status_in(jet_order, ctx, returns)
    if decision.status is None:
        raise MappingError(f"order {order_id}: {decision.reason}", order_id=order_id)
    lines = mappings.line_items(jet_order, ctx, returns)
    extras = mappings.extra_items(jet_order, ctx)
    detail = jet_order.order_detail or OrderDetail()
    placed_at = jet_order.order_placed_date
    grand_total = order_total(jet_order)
    billing = mappings.billing_address(jet_order, ctx)
    shipping = mappings.shipping_address(jet_order, ctx)
    email = normalize_email(jet_order.hash_email or "") or None
    shipments = mappings.shipments(jet_order, ctx)
    comments = mappings.comments(jet_order, ctx, decision)
    ship_by = detail.request_ship_by
    deliver_by = detail.request_delivery_by
    # The bundle's functions may be the user's: what they return is checked here (or, if it
    # does not pass, by the record's own validators).
    checked = (
        isinstance(placed_at, datetime)
        and placed_at.utcoffset() is not None
        and type(grand_total) is Decimal
        and grand_total.is_finite()
        and records(lines, LineItem)
        and records(extras, ExtraItem)
        and records(shipments, Shipment)
        and records(comments, Comment)
        and (ship_by is None or aware(ship_by))
        and (deliver_by is None or aware(deliver_by))
    )
    order = (make_sales_order if checked else SalesOrder)(
        channel_order_id=order_id,
        channel_order_number=jet_order.reference_order_id,
        customer_reference_order_id=jet_order.customer_reference_order_id,
        alt_order_id=jet_order.alt_order_id,
        channel_status=decision.jet_status,
        order_status=decision.status,
        directed_cancel=decision.directed_cancel,
        partially_cancel=decision.partially_cancel,
        placed_at=placed_at,
        grand_total=grand_total,
        payment_method=ctx.payment_method,
        payment_status=PaymentStatus.PAID,
        currency=ctx.currency,
        tax_type=TaxType.EXCLUSIVE,
        billing_address=billing,
        shipping_address=shipping,
        customer_email=email,
        line_items=lines,
        extra_items=extras,
        shipments=shipments,
        comments=comments,
        fulfillment_node_id=jet_order.fulfillment_node,
        shipping_carrier=detail.request_shipping_carrier,
        shipping_service=detail.request_shipping_method,
        shipping_due_date=ship_by,
        delivery_date=deliver_by,
    )
    if order.computed_total != order.grand_total:
        raise MappingError(
            f"order {order_id}: lines, line tax and extra items sum to {order.computed_total} but "
            f"Jet's order_totals give {order.grand_total}; check a replaced line or extra-item "
            "mapping",
            order_id=order_id,
        )
    return order
