"""`Mappings`: the replaceable bundle of mapping functions the engine calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import attrs

from jet_orderhive.jet.enums import AckStatus, ItemAckStatus
from jet_orderhive.jet.models import Acknowledgement, JetOrder, JetReturn, ShipNotice
from jet_orderhive.mapping.addresses import map_billing_address, map_shipping_address
from jet_orderhive.mapping.comments import map_comments
from jet_orderhive.mapping.context import MappingContext
from jet_orderhive.mapping.customers import map_customer
from jet_orderhive.mapping.extras import map_extra_items
from jet_orderhive.mapping.lines import map_line_items
from jet_orderhive.mapping.orders import map_order
from jet_orderhive.mapping.outbound import (
    build_acknowledgement,
    build_cancel_notice,
    build_rejection,
    build_ship_notice,
)
from jet_orderhive.mapping.reconcile import Reconciliation, reconcile
from jet_orderhive.mapping.shipments import map_shipments
from jet_orderhive.mapping.status import StatusDecision, decide_status_in
from jet_orderhive.orderhive.models import (
    Address,
    Comment,
    Customer,
    ExtraItem,
    LineItem,
    SalesOrder,
    Shipment,
)
from jet_orderhive.orderhive.sides import OrderIntent, OrderSnapshot

__all__ = [
    "AcknowledgementMapping",
    "AddressMapping",
    "CancelMapping",
    "CommentsMapping",
    "CustomerMapping",
    "ExtraItemsMapping",
    "LineItemsMapping",
    "Mappings",
    "OrderMapping",
    "RejectionMapping",
    "ShipNoticeMapping",
    "ShipmentsMapping",
    "StatusInMapping",
    "StatusPushMapping",
]


class OrderMapping(Protocol):
    """Signature of `map_order`."""

    def __call__(
        self,
        jet_order: JetOrder,
        ctx: MappingContext,
        returns: Sequence[JetReturn] = (),
        *,
        mappings: Mappings | None = None,
    ) -> SalesOrder: ...


class StatusInMapping(Protocol):
    """Signature of `decide_status_in`."""

    def __call__(
        self, jet_order: JetOrder, ctx: MappingContext, returns: Sequence[JetReturn] = ()
    ) -> StatusDecision: ...


class LineItemsMapping(Protocol):
    """Signature of `map_line_items`."""

    def __call__(
        self, jet_order: JetOrder, ctx: MappingContext, returns: Sequence[JetReturn] = ()
    ) -> tuple[LineItem, ...]: ...


class AddressMapping(Protocol):
    """Signature of `map_shipping_address` and `map_billing_address`."""

    def __call__(self, jet_order: JetOrder, ctx: MappingContext) -> Address: ...


class ExtraItemsMapping(Protocol):
    """Signature of `map_extra_items`."""

    def __call__(self, jet_order: JetOrder, ctx: MappingContext) -> tuple[ExtraItem, ...]: ...


class ShipmentsMapping(Protocol):
    """Signature of `map_shipments`."""

    def __call__(self, jet_order: JetOrder, ctx: MappingContext) -> tuple[Shipment, ...]: ...


class CommentsMapping(Protocol):
    """Signature of `map_comments`."""

    def __call__(
        self, jet_order: JetOrder, ctx: MappingContext, decision: StatusDecision
    ) -> tuple[Comment, ...]: ...


class CustomerMapping(Protocol):
    """Signature of `map_customer`."""

    def __call__(self, jet_order: JetOrder, ctx: MappingContext) -> Customer | None: ...


class AcknowledgementMapping(Protocol):
    """Signature of `build_acknowledgement`."""

    def __call__(
        self, order: SalesOrder, ctx: MappingContext, *, alt_order_id: str | None = None
    ) -> Acknowledgement: ...


class RejectionMapping(Protocol):
    """Signature of `build_rejection`."""

    def __call__(
        self,
        order: SalesOrder,
        ctx: MappingContext,
        *,
        reason: AckStatus = ...,
        item_status: ItemAckStatus | None = None,
        alt_order_id: str | None = None,
    ) -> Acknowledgement: ...


class ShipNoticeMapping(Protocol):
    """Signature of `build_ship_notice`."""

    def __call__(
        self,
        order: SalesOrder,
        shipment: Shipment,
        ctx: MappingContext,
        *,
        alt_order_id: str | None = None,
    ) -> ShipNotice: ...


class CancelMapping(Protocol):
    """Signature of `build_cancel_notice`."""

    def __call__(
        self,
        order: SalesOrder,
        lines: Mapping[str, int] | None,
        ctx: MappingContext,
        *,
        alt_shipment_id: str | None = None,
        alt_order_id: str | None = None,
    ) -> ShipNotice: ...


class StatusPushMapping(Protocol):
    """Signature of `reconcile`: which pushes the host's intent owes Jet, given Jet's snapshot."""

    def __call__(
        self, snapshot: OrderSnapshot, intent: OrderIntent, *, fresh: bool = ...
    ) -> Reconciliation: ...


@attrs.frozen(kw_only=True)
class Mappings:
    """Every mapping the engine uses; replace one with ``attrs.evolve(Mappings.default(), ...)``.

    `map_order` composes the field mappings of the bundle it is given, so replacing, say,
    ``shipping_address`` changes the orders' shipping address and nothing else.
    """

    order: OrderMapping = map_order
    status_in: StatusInMapping = decide_status_in
    shipping_address: AddressMapping = map_shipping_address
    billing_address: AddressMapping = map_billing_address
    line_items: LineItemsMapping = map_line_items
    extra_items: ExtraItemsMapping = map_extra_items
    shipments: ShipmentsMapping = map_shipments
    comments: CommentsMapping = map_comments
    customer: CustomerMapping = map_customer
    acknowledgement: AcknowledgementMapping = build_acknowledgement
    rejection: RejectionMapping = build_rejection
    ship_notice: ShipNoticeMapping = build_ship_notice
    cancel_notice: CancelMapping = build_cancel_notice
    status_push: StatusPushMapping = reconcile

    @classmethod
    def default(cls) -> Mappings:
        """The default mappings described in the mapping guide (docs/mapping.md)."""
        return cls()

    def map_order(
        self, jet_order: JetOrder, ctx: MappingContext, returns: Sequence[JetReturn] = ()
    ) -> SalesOrder:
        """Map an order with this bundle's mappings."""
        return self.order(jet_order, ctx, returns, mappings=self)

    def map_customer(self, jet_order: JetOrder, ctx: MappingContext) -> Customer | None:
        """Map the order's customer with this bundle's customer mapping."""
        return self.customer(jet_order, ctx)

    def decide_status_in(
        self, jet_order: JetOrder, ctx: MappingContext, returns: Sequence[JetReturn] = ()
    ) -> StatusDecision:
        """Decide import and status with this bundle's status mapping."""
        return self.status_in(jet_order, ctx, returns)
