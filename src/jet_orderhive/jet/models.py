"""Jet's wire models: every payload the library reads from or sends to the Merchant API.

Attribute names are Jet's JSON keys. The few keys that are not Python-style names are renamed and
mapped back by the converter: ``pass`` → ``password``, ``RMA_number`` → ``rma_number``, ``ASIN``
→ ``asin``, ``return_merchant_SKUs`` → ``return_merchant_skus``. Response models are tolerant
(optional keys may be absent or ``null``; unknown keys land in ``extra``; unknown enum values read
as ``UNKNOWN`` pseudo-members). Numbers read from responses are bounded by the converter:
quantities (fields named ``…quantity…`` or ``…_qty``) from 0 to 1,000,000, other integers up to
2**53 - 1 in magnitude, decimals within ±1,000,000,000 and 12 decimal places; anything else is
a ``JetPayloadError`` at the field's path. Request models (subclasses of ``JetRequest``) check at
construction every rule of Jet's that can be checked locally, so an invalid body is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import attrs

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive._json import JsonValue
from jet_orderhive.jet._convert import ALIASES, ONE_OR_MANY, WIRE, JetModel, JetRequest
from jet_orderhive.jet.enums import (
    AckStatus,
    Carrier,
    ChargeFeedback,
    ExceptionState,
    FeeAdjustmentType,
    FileStatus,
    FileType,
    ItemAckStatus,
    JetEnum,
    OrderStatus,
    ProductStatus,
    RefundFeedback,
    RefundReason,
    RefundStatus,
    ReturnStatus,
    ServiceLevel,
)

__all__ = [
    "Acknowledgement",
    "AcknowledgementItem",
    "ArchiveStatus",
    "Buyer",
    "CompleteReturn",
    "CompleteReturnItem",
    "FeeAdjustment",
    "FileUploaded",
    "FulfillmentNode",
    "FulfillmentNodes",
    "InventoryUpdate",
    "ItemPrice",
    "JetAddress",
    "JetFile",
    "JetOrder",
    "JetRefund",
    "JetReturn",
    "JetReturnLocation",
    "MerchantSku",
    "NodePrice",
    "NodePriceOnJet",
    "NodeQuantity",
    "NodeQuantityOnJet",
    "OrderDetail",
    "OrderItem",
    "OrderShipment",
    "OrderShipmentItem",
    "OrderTotals",
    "OrderUrls",
    "PriceAdjustment",
    "PriceUpdate",
    "Recipient",
    "RedirectNotification",
    "RefundAmount",
    "RefundCreated",
    "RefundLine",
    "RefundRequest",
    "RefundRequestItem",
    "RefundUrls",
    "ReturnLocation",
    "ReturnRefundLine",
    "ReturnSku",
    "ReturnUrls",
    "ShipNotice",
    "ShipNoticeItem",
    "ShipNoticeShipment",
    "ShippingTo",
    "SkuInventory",
    "SkuPrice",
    "SkuUrls",
    "StandardProductCode",
    "TaxAmounts",
    "TaxDistrict",
    "TaxInfo",
    "TaxJurisdictions",
    "Token",
    "TokenRequest",
    "UploadToken",
]


def _extra() -> Any:
    """The catch-all for unknown response keys: compared, not hashed, not shown in repr."""
    return attrs.field(factory=dict, repr=False, hash=False)


def _wire(name: str, **kwargs: Any) -> Any:
    return attrs.field(metadata={WIRE: name}, **kwargs)


def _last_segment(url: str) -> str:
    # List endpoints return paths such as "/orders/withoutShipmentDetail/<id>"; ids are the tail.
    return unquote(url.rstrip("/").rsplit("/", 1)[-1])


# --- request-side validators -------------------------------------------------------------------


def _documented(enum_cls: type[JetEnum]) -> Any:
    """Validator: the value must be one of ``enum_cls``'s documented members (or ``None``)."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, enum_cls) or not value.is_known:
            allowed = ", ".join(repr(v) for v in enum_cls.documented())
            raise JetOrderhiveValueError(
                f"{attribute.name}: {str(value)!r} is not a documented {enum_cls.__name__} "
                f"value; Jet accepts only {allowed}"
            )

    return check


def _aware(instance: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise JetOrderhiveValueError(
            f"{attribute.name}: naive datetime {value.isoformat()!r}; Jet needs an explicit "
            "offset, pass a timezone-aware datetime"
        )


def _exact(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise JetOrderhiveTypeError(
            f"{attribute.name}: money must be a Decimal (or int), got {type(value).__name__}"
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise JetOrderhiveValueError(f"{attribute.name}: {value} is not a finite amount")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    _exact(instance, attribute, value)
    if not value > 0:
        raise JetOrderhiveValueError(f"{attribute.name}: must be greater than 0, got {value}")


def _not_negative(instance: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 0:
        raise JetOrderhiveValueError(f"{attribute.name}: must be 0 or more, got {value}")


def _not_empty(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if len(value) == 0:
        raise JetOrderhiveValueError(f"{attribute.name}: Jet needs at least one entry")


def _zip5(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and len(value) != 5:
        raise JetOrderhiveValueError(
            f"{attribute.name}: must be exactly 5 characters, got {value!r}"
        )


# --- auth --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TokenRequest(JetRequest):
    """Body of ``POST /token``; the secret is sent as ``pass`` and never shown."""

    user: str
    password: str = _wire("pass", repr=False)


@attrs.frozen(kw_only=True)
class Token(JetModel):
    """Answer of ``POST /token``; ``expires_on`` is absent in Jet's own example, so optional."""

    id_token: str = attrs.field(repr=False)
    token_type: str = "Bearer"  # noqa: S105 - the auth scheme name, not a secret
    expires_on: datetime | None = None
    access_token: str | None = attrs.field(default=None, repr=False)


# --- orders: responses -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OrderUrls(JetModel):
    """Answer of ``GET /orders/{status}``: at most 1000 relative order URLs."""

    order_urls: tuple[str, ...] = ()

    @property
    def order_ids(self) -> tuple[str, ...]:
        """The ``merchant_order_id`` of each URL (its last path segment)."""
        return tuple(_last_segment(url) for url in self.order_urls)


@attrs.frozen(kw_only=True)
class Buyer(JetModel):
    """The customer who placed the order."""

    name: str
    phone_number: str | None = None


@attrs.frozen(kw_only=True)
class Recipient(JetModel):
    """The person the order ships to."""

    name: str
    phone_number: str | None = None


@attrs.frozen(kw_only=True)
class JetAddress(JetModel):
    """A postal address as Jet writes it (``address2`` may be empty or missing)."""

    address1: str
    address2: str | None = None
    city: str
    state: str
    zip_code: str


@attrs.frozen(kw_only=True)
class ShippingTo(JetModel):
    """Where the order goes: ``shipping_to``."""

    recipient: Recipient
    address: JetAddress


@attrs.frozen(kw_only=True)
class OrderDetail(JetModel):
    """What the customer asked for in delivery (``order_detail``)."""

    request_shipping_carrier: str | None = None
    request_shipping_method: str | None = None
    request_service_level: ServiceLevel | None = None
    request_ship_by: datetime | None = None
    request_delivery_by: datetime | None = None


@attrs.frozen(kw_only=True)
class ItemPrice(JetModel):
    """Money of a line or an order; ``base_price`` is the total for the quantity, not per unit."""

    base_price: Decimal
    item_tax: Decimal | None = None
    item_shipping_cost: Decimal
    item_shipping_tax: Decimal | None = None


@attrs.frozen(kw_only=True)
class FeeAdjustment(JetModel):
    """An adjustment of Jet's commission on a line."""

    adjustment_name: str | None = None
    adjustment_type: FeeAdjustmentType | None = None
    commission_id: str | None = None
    value: Decimal | None = None


@attrs.frozen(kw_only=True)
class PriceAdjustment(JetModel):
    """The object form of ``price_adjustment`` (amounts not captured after a partial cancel).

    Jet's schema documents this object; clients that read production orders saw a plain number
    or ``null`` instead. ``OrderItem.price_adjustment`` therefore holds this object, a
    ``Decimal``, or ``None``, exactly as received, and is written back in the same form.
    """

    principal: Decimal | None = None
    tax: Decimal | None = None
    shipping_cost: Decimal | None = None
    shipping_tax: Decimal | None = None


@attrs.frozen(kw_only=True)
class TaxDistrict(JetModel):
    """A special tax district and, in amount blocks, its amount."""

    tax_location: str | None = None
    district_amount: Decimal | None = None


@attrs.frozen(kw_only=True)
class TaxJurisdictions(JetModel):
    """Where tax was collected."""

    tax_districts: tuple[TaxDistrict, ...] = ()
    tax_city: str | None = None
    tax_county: str | None = None
    tax_state: str | None = None


@attrs.frozen(kw_only=True)
class TaxAmounts(JetModel):
    """Amounts (or rates) per jurisdiction level."""

    tax_districts: tuple[TaxDistrict, ...] = ()
    city_amount: Decimal | None = None
    county_amount: Decimal | None = None
    state_amount: Decimal | None = None


@attrs.frozen(kw_only=True)
class TaxInfo(JetModel):
    """Jet's tax breakdown of a line; its shape varied, so every part is optional."""

    tax_jurisdictions: TaxJurisdictions | None = None
    taxable_amounts: TaxAmounts | None = None
    non_taxable_amounts: TaxAmounts | None = None
    zero_rated_amounts: TaxAmounts | None = None
    tax_collected_amounts: TaxAmounts | None = None
    tax_rates: TaxAmounts | None = None


@attrs.frozen(kw_only=True)
class OrderItem(JetModel):
    """One line of a Jet order."""

    order_item_id: str
    alt_order_item_id: str | None = None
    merchant_sku: str
    product_title: str | None = None
    url: str | None = None
    request_order_quantity: int
    request_order_cancel_qty: int | None = None
    adjustment_reason: str | None = None
    item_tax_code: str | None = None
    item_price: ItemPrice
    item_fees: Decimal | None = None
    fee_adjustments: tuple[FeeAdjustment, ...] = ()
    regulatory_fees: Decimal | None = None
    price_adjustment: PriceAdjustment | Decimal | None = None
    tax_info: TaxInfo | None = None
    order_item_acknowledgement_status: ItemAckStatus | None = None
    extra: Mapping[str, JsonValue] = _extra()


@attrs.frozen(kw_only=True)
class OrderTotals(JetModel):
    """The order's money blocks, summed over its lines."""

    item_price: ItemPrice
    item_fees: Decimal | None = None
    fee_adjustments: tuple[FeeAdjustment, ...] = ()
    regulatory_fees: Decimal | None = None
    price_adjustment: PriceAdjustment | Decimal | None = None
    tax_info: TaxInfo | None = None


@attrs.frozen(kw_only=True)
class OrderShipmentItem(JetModel):
    """A line of a shipment recorded on an order (Jet-planned or merchant-reported)."""

    shipment_item_id: str | None = None
    alt_shipment_item_id: str | None = None
    merchant_sku: str | None = None
    request_shipment_sku_quantity: int | None = None
    request_shipment_cancel_qty: int | None = None
    response_shipment_sku_quantity: int | None = None
    response_shipment_cancel_qty: int | None = None
    rma_number: str | None = _wire("RMA_number", default=None)
    days_to_return: int | None = None
    return_location: JetAddress | None = None


@attrs.frozen(kw_only=True)
class OrderShipment(JetModel):
    """A shipment recorded on an order: Jet's plan (``request_*``) and/or the merchant's report."""

    shipment_id: str | None = None
    alt_shipment_id: str | None = None
    shipment_tracking_number: str | None = None
    response_shipment_date: datetime | None = None
    response_shipment_method: str | None = None
    expected_delivery_date: datetime | None = None
    ship_from_zip_code: str | None = None
    carrier_pick_up_date: datetime | None = None
    carrier: Carrier | None = None
    shipment_message_date: datetime | None = None
    request_shipping_carrier: str | None = None
    request_shipment_method: str | None = None
    request_shipment_tracking_number: str | None = None
    request_service_level: ServiceLevel | None = None
    request_ship_by: datetime | None = None
    request_delivery_by: datetime | None = None
    request_shipping_box: str | None = None
    label_url: str | None = None
    shipment_items: tuple[OrderShipmentItem, ...] = ()


@attrs.frozen(kw_only=True)
class JetOrder(JetModel):
    """A Jet order (``GET /orders/withoutShipmentDetail/{id}`` or ``withShipmentDetail``).

    ``order_detail`` is absent from the ``withShipmentDetail`` form, where each planned shipment
    carries the requested carrier, method and dates instead.

    ``shipments`` is an array on real orders; Jet's order-only schema typed it as a single
    object, so a lone object is read as a one-element tuple (and written back as an array).
    """

    merchant_order_id: str
    reference_order_id: str
    customer_reference_order_id: str | None = None
    fulfillment_node: str
    alt_order_id: str | None = None
    merchant_id: str | None = None
    hash_email: str
    status: OrderStatus
    exception_state: ExceptionState | None = None
    order_placed_date: datetime
    order_transmission_date: datetime
    order_ready_date: datetime | None = None
    order_acknowledge_date: datetime | None = None
    has_shipments: bool = False
    jet_request_directed_cancel: bool = False
    acknowledgement_status: AckStatus | None = None
    buyer: Buyer
    shipping_to: ShippingTo
    order_detail: OrderDetail | None = None
    order_items: tuple[OrderItem, ...]
    order_totals: OrderTotals
    shipments: tuple[OrderShipment, ...] = attrs.field(default=(), metadata={ONE_OR_MANY: True})
    extra: Mapping[str, JsonValue] = _extra()


# --- orders: requests --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AcknowledgementItem(JetRequest):
    """The merchant's answer for one order line."""

    order_item_id: str
    order_item_acknowledgement_status: ItemAckStatus = attrs.field(
        validator=_documented(ItemAckStatus)
    )
    alt_order_item_id: str | None = None


@attrs.frozen(kw_only=True)
class Acknowledgement(JetRequest):
    """Body of ``PUT /orders/{id}/acknowledge``; ``accepted`` requires every line fulfillable."""

    acknowledgement_status: AckStatus = attrs.field(validator=_documented(AckStatus))
    alt_order_id: str | None = None
    order_items: tuple[AcknowledgementItem, ...] = attrs.field(validator=_not_empty)

    def __attrs_post_init__(self) -> None:
        if self.acknowledgement_status is AckStatus.ACCEPTED:
            bad = [
                item.order_item_id
                for item in self.order_items
                if item.order_item_acknowledgement_status is not ItemAckStatus.FULFILLABLE
            ]
            if bad:
                raise JetOrderhiveValueError(
                    f"acknowledgement_status: 'accepted' needs every item 'fulfillable', but "
                    f"{', '.join(bad)} is not; reject with 'rejected - item level error' instead"
                )


@attrs.frozen(kw_only=True)
class ReturnLocation(JetRequest):
    """Where the customer should send a return of this line."""

    address1: str
    address2: str | None = None
    city: str
    state: str
    zip_code: str = attrs.field(validator=_zip5)


@attrs.frozen(kw_only=True)
class RedirectNotification(JetRequest):
    """Tells Jet the shipment left from another node than the order's."""

    redirect_node: str
    is_redirect_for_zero_inventory: bool


@attrs.frozen(kw_only=True)
class ShipNoticeItem(JetRequest):
    """Units of one SKU shipped and/or cancelled in a shipment."""

    merchant_sku: str
    response_shipment_sku_quantity: int = attrs.field(validator=_not_negative)
    response_shipment_cancel_qty: int | None = attrs.field(default=None, validator=_not_negative)
    shipment_item_id: str | None = None
    alt_shipment_item_id: str | None = None
    rma_number: str | None = _wire("RMA_number", default=None)
    days_to_return: int | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(
            [attrs.validators.ge(0), attrs.validators.le(30)]  # Jet allows 0 to 30 days
        ),
    )
    return_location: ReturnLocation | None = None


@attrs.frozen(kw_only=True)
class ShipNoticeShipment(JetRequest):
    """One shipment (or cancel-only shipment) of a shipped notification."""

    shipment_id: str | None = None
    alt_shipment_id: str | None = None
    shipment_tracking_number: str | None = None
    response_shipment_date: datetime | None = attrs.field(default=None, validator=_aware)
    response_shipment_method: str | None = None
    expected_delivery_date: datetime | None = attrs.field(default=None, validator=_aware)
    ship_from_zip_code: str | None = attrs.field(default=None, validator=_zip5)
    carrier_pick_up_date: datetime | None = attrs.field(default=None, validator=_aware)
    carrier: Carrier | None = attrs.field(default=None, validator=_documented(Carrier))
    shipment_items: tuple[ShipNoticeItem, ...] = attrs.field(validator=_not_empty)
    redirect_notification: RedirectNotification | None = None

    def __attrs_post_init__(self) -> None:
        shipped = sum(item.response_shipment_sku_quantity for item in self.shipment_items)
        if shipped == 0:
            if not self.alt_shipment_id:
                raise JetOrderhiveValueError(
                    "alt_shipment_id: a cancel-only shipment needs its own unique alt_shipment_id"
                )
            return
        if self.shipment_tracking_number is None or len(self.shipment_tracking_number) < 3:
            raise JetOrderhiveValueError(
                "shipment_tracking_number: a shipment with shipped units needs a tracking "
                "number of at least 3 characters"
            )
        if self.response_shipment_date is None:
            raise JetOrderhiveValueError(
                "response_shipment_date: a shipment with shipped units needs its ship date"
            )


@attrs.frozen(kw_only=True)
class ShipNotice(JetRequest):
    """Body of ``PUT /orders/{id}/shipped``: shipments and/or cancellations."""

    alt_order_id: str | None = None
    shipments: tuple[ShipNoticeShipment, ...] = attrs.field(validator=_not_empty)


# --- merchant SKUs -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NodeQuantity(JetRequest):
    """Units available at one fulfillment node."""

    fulfillment_node_id: str
    quantity: int = attrs.field(validator=_not_negative)


@attrs.frozen(kw_only=True)
class NodePrice(JetRequest):
    """A node-specific price override."""

    fulfillment_node_id: str
    fulfillment_node_price: Decimal = attrs.field(validator=_positive)


@attrs.frozen(kw_only=True)
class PriceUpdate(JetRequest):
    """Body of ``PUT /merchant-skus/{sku}/price``."""

    price: Decimal = attrs.field(validator=_positive)
    fulfillment_nodes: tuple[NodePrice, ...] | None = None


@attrs.frozen(kw_only=True)
class InventoryUpdate(JetRequest):
    """Body of ``PUT``/``PATCH /merchant-skus/{sku}/inventory``."""

    fulfillment_nodes: tuple[NodeQuantity, ...] = attrs.field(validator=_not_empty)


@attrs.frozen(kw_only=True)
class ArchiveStatus(JetRequest):
    """Body of ``PUT /merchant-skus/{sku}/status/archive``."""

    is_archived: bool


@attrs.frozen(kw_only=True)
class NodePriceOnJet(JetModel):
    """A node price as Jet reports it: read tolerantly, unlike the `NodePrice` sent to Jet."""

    fulfillment_node_id: str
    fulfillment_node_price: Decimal | None = None
    extra: Mapping[str, JsonValue] = _extra()


@attrs.frozen(kw_only=True)
class NodeQuantityOnJet(JetModel):
    """A node's stock as Jet reports it: read tolerantly, unlike the `NodeQuantity` sent to Jet."""

    fulfillment_node_id: str
    quantity: int | None = None
    extra: Mapping[str, JsonValue] = _extra()


@attrs.frozen(kw_only=True)
class SkuPrice(JetModel):
    """Answer of ``GET /merchant-skus/{sku}/price``."""

    price: Decimal | None = None
    price_last_update: datetime | None = None
    fulfillment_nodes: tuple[NodePriceOnJet, ...] = ()


@attrs.frozen(kw_only=True)
class SkuInventory(JetModel):
    """Answer of ``GET /merchant-skus/{sku}/inventory``."""

    fulfillment_nodes: tuple[NodeQuantityOnJet, ...] = ()
    inventory_last_update: datetime | None = None


@attrs.frozen(kw_only=True)
class SkuUrls(JetModel):
    """Answer of ``GET /merchant-skus``: relative URLs such as ``merchant-skus/<sku>``."""

    sku_urls: tuple[str, ...] = ()

    @property
    def skus(self) -> tuple[str, ...]:
        """The merchant SKU of each URL, URL-decoded."""
        return tuple(_last_segment(url) for url in self.sku_urls)


@attrs.frozen(kw_only=True)
class StandardProductCode(JetModel):
    """A UPC, EAN, ISBN or GTIN of a product."""

    standard_product_code: str
    standard_product_code_type: str


@attrs.frozen(kw_only=True)
class MerchantSku(JetModel):
    """Answer of ``GET /merchant-skus/{sku}``; product fields not listed here stay in ``extra``."""

    merchant_sku: str | None = None
    merchant_sku_id: str | None = None
    merchant_id: str | None = None
    product_title: str | None = None
    status: ProductStatus | None = None
    sub_status: tuple[str, ...] = ()
    is_archived: bool | None = None
    price: Decimal | None = None
    price_last_update: datetime | None = None
    inventory_last_update: datetime | None = None
    sku_last_update: datetime | None = None
    inventory_by_fulfillment_node: tuple[NodeQuantityOnJet, ...] = ()
    price_by_fulfillment_node: tuple[NodePriceOnJet, ...] = ()
    jet_retail_sku: str | None = None
    correlation_id: str | None = None
    producer_id: str | None = None
    asin: str | None = _wire("ASIN", default=None)
    standard_product_codes: tuple[StandardProductCode, ...] = ()
    brand: str | None = None
    manufacturer: str | None = None
    mfr_part_number: str | None = None
    multipack_quantity: int | None = None
    jet_browse_node_id: int | None = None
    main_image_url: str | None = None
    product_description: str | None = None
    msrp: Decimal | None = None
    map_price: Decimal | None = None
    fulfillment_time: int | None = None
    extra: Mapping[str, JsonValue] = _extra()


# --- returns -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReturnUrls(JetModel):
    """Answer of ``GET /returns/{status}``."""

    return_urls: tuple[str, ...] = ()

    @property
    def return_ids(self) -> tuple[str, ...]:
        """The ``merchant_return_authorization_id`` of each URL."""
        return tuple(_last_segment(url) for url in self.return_urls)


@attrs.frozen(kw_only=True)
class RefundAmount(JetModel):
    """Money to refund on a line; ``principal`` is the line total, not a unit price."""

    principal: Decimal = attrs.field(validator=_exact)
    tax: Decimal = attrs.field(validator=_exact)
    shipping_cost: Decimal = attrs.field(validator=_exact)
    shipping_tax: Decimal = attrs.field(validator=_exact)


@attrs.frozen(kw_only=True)
class ReturnSku(JetModel):
    """A returned line (``return_merchant_SKUs[]``)."""

    order_item_id: str
    alt_order_item_id: str | None = None
    merchant_sku: str | None = None
    merchant_sku_title: str | None = None
    return_quantity: int
    reason: RefundReason | None = None
    requested_refund_amount: RefundAmount | None = None


@attrs.frozen(kw_only=True)
class JetReturnLocation(JetModel):
    """A location the customer may return to (``return_location[]`` of a return)."""

    order_item_id: str | None = None
    location_name: str | None = None
    location_address_1: str | None = None
    location_address_2: str | None = None
    location_city: str | None = None
    location_state: str | None = None
    location_postal_code: str | None = None


@attrs.frozen(kw_only=True)
class ReturnRefundLine(JetModel):
    """A completed refund line recorded on a return (``items[]``)."""

    order_item_id: str | None = None
    alt_order_item_id: str | None = None
    total_quantity_returned: int | None = None
    order_return_refund_qty: int | None = None
    return_refund_feedback: RefundFeedback | None = None
    notes: str | None = None
    refund_amount: RefundAmount | None = None


@attrs.frozen(kw_only=True)
class JetReturn(JetModel):
    """A return (``GET /returns/state/{id}``)."""

    merchant_return_authorization_id: str
    reference_return_authorization_id: str | None = None
    alt_return_authorization_id: str | None = None
    return_status: ReturnStatus
    refund_without_return: bool | None = None
    merchant_order_id: str | None = None
    reference_order_id: str | None = None
    reference_merchant_order_id: str | None = None
    alt_order_id: str | None = None
    return_date: datetime | None = None
    completed_date: datetime | None = None
    shipping_carrier: str | None = None
    tracking_number: str | None = None
    merchant_return_charge: Decimal | None = None
    agree_to_return_charge: bool | None = None
    return_charge_feedback: ChargeFeedback | None = None
    jet_pick_return_location: bool | None = None
    return_location: tuple[JetReturnLocation, ...] = ()
    return_merchant_skus: tuple[ReturnSku, ...] = _wire("return_merchant_SKUs", default=())
    items: tuple[ReturnRefundLine, ...] = ()
    notes: str | None = None
    extra: Mapping[str, JsonValue] = _extra()


def _one_item_id(item: CompleteReturnItem | RefundRequestItem) -> None:
    if not item.order_item_id and not item.alt_order_item_id:
        raise JetOrderhiveValueError(
            "order_item_id: give order_item_id or alt_order_item_id to name the line"
        )


@attrs.frozen(kw_only=True)
class CompleteReturnItem(JetRequest):
    """How one returned line is refunded."""

    order_item_id: str | None = None
    alt_order_item_id: str | None = None
    total_quantity_returned: int = attrs.field(validator=_not_negative)
    order_return_refund_qty: int = attrs.field(validator=_not_negative)
    return_refund_feedback: RefundFeedback | None = attrs.field(
        default=None, validator=_documented(RefundFeedback)
    )
    notes: str | None = None
    refund_amount: RefundAmount

    def __attrs_post_init__(self) -> None:
        _one_item_id(self)


@attrs.frozen(kw_only=True)
class CompleteReturn(JetRequest):
    """Body of ``PUT /returns/{id}/complete``."""

    merchant_order_id: str
    alt_order_id: str | None = None
    items: tuple[CompleteReturnItem, ...] = attrs.field(validator=_not_empty)
    agree_to_return_charge: bool
    return_charge_feedback: ChargeFeedback | None = attrs.field(
        default=None, validator=_documented(ChargeFeedback)
    )
    notes: str | None = None


# --- refunds -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RefundRequestItem(JetRequest):
    """One line of a merchant-initiated refund."""

    order_item_id: str | None = None
    alt_order_item_id: str | None = None
    total_quantity_returned: int | None = attrs.field(default=None, validator=_not_negative)
    order_return_refund_qty: int = attrs.field(validator=_not_negative)
    refund_reason: RefundReason = attrs.field(validator=_documented(RefundReason))
    refund_feedback: RefundFeedback | None = attrs.field(
        default=None, validator=_documented(RefundFeedback)
    )
    notes: str | None = None
    refund_amount: RefundAmount

    def __attrs_post_init__(self) -> None:
        _one_item_id(self)


@attrs.frozen(kw_only=True)
class RefundRequest(JetRequest):
    """Body of ``POST /refunds/{merchant_order_id}/{alt_refund_id}``."""

    items: tuple[RefundRequestItem, ...] = attrs.field(validator=_not_empty)


@attrs.frozen(kw_only=True)
class RefundCreated(JetModel):
    """Answer of a refund request."""

    refund_authorization_id: str
    refund_status: RefundStatus


@attrs.frozen(kw_only=True)
class RefundLine(JetModel):
    """A line of a refund as Jet reports it."""

    order_item_id: str | None = None
    alt_order_item_id: str | None = None
    total_quantity_returned: int | None = None
    order_return_refund_qty: int | None = None
    refund_reason: RefundReason | None = None
    refund_feedback: RefundFeedback | None = None
    notes: str | None = None
    refund_amount: RefundAmount | None = None


@attrs.frozen(kw_only=True)
class JetRefund(JetModel):
    """A refund (``GET /refunds/state/{id}``)."""

    refund_authorization_id: str
    alt_refund_id: str | None = None
    refund_status: RefundStatus
    merchant_order_id: str | None = None
    reference_order_id: str | None = None
    reference_merchant_order_id: str | None = None
    alt_order_id: str | None = None
    items: tuple[RefundLine, ...] = ()


@attrs.frozen(kw_only=True)
class RefundUrls(JetModel):
    """Answer of ``GET /refunds/{status}``; Jet's docs call the key ``sku_urls``, clients saw
    ``refund_urls``: both are read, ``refund_urls`` is written."""

    refund_urls: tuple[str, ...] = attrs.field(default=(), metadata={ALIASES: ("sku_urls",)})

    @property
    def refund_ids(self) -> tuple[str, ...]:
        """The ``refund_authorization_id`` of each URL."""
        return tuple(_last_segment(url) for url in self.refund_urls)


# --- fulfillment nodes -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FulfillmentNode(JetModel):
    """One of the merchant's warehouses."""

    jet_fulfillment_node_id: str
    location_name: str | None = None
    time_zone: str | None = None
    is_daylight_savings_enabled: bool | None = None
    address_1: str | None = None
    address_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


_PASCAL_NODE_KEYS = {
    "FulfillmentNodeId": "jet_fulfillment_node_id",
    "FulfillmentNodeName": "location_name",
    "LocationName": "location_name",
    "TimeZone": "time_zone",
    "IsDaylightSavingsEnabled": "is_daylight_savings_enabled",
    "Address1": "address_1",
    "Address2": "address_2",
    "City": "city",
    "State": "state",
    "ZipCode": "zip_code",
}


@attrs.frozen(kw_only=True)
class FulfillmentNodes(JetModel):
    """Answer of ``GET /setup/fulfillmentNodes``; also reads the PascalCase array that
    ``GET /fulfillmentnodesbymerchantid`` returned."""

    fulfillment_nodes: tuple[FulfillmentNode, ...] = ()

    @staticmethod
    def _jet_normalise(data: object) -> object:
        if not isinstance(data, list):
            return data
        nodes = [
            {_PASCAL_NODE_KEYS.get(key, key): value for key, value in node.items()}
            if isinstance(node, Mapping)
            else node
            for node in data
        ]
        return {"fulfillment_nodes": nodes}


# --- bulk files --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class UploadToken(JetModel):
    """Answer of ``GET /files/uploadToken``; ``url`` carries a signature, so it is not shown."""

    url: str = attrs.field(repr=False)
    jet_file_id: str | None = None
    expires_in_seconds: int | None = None

    @property
    def file_id(self) -> str:
        """``jet_file_id``, or the blob name in ``url`` when Jet left the id out."""
        if self.jet_file_id:
            return self.jet_file_id
        return _last_segment(self.url.split("?", 1)[0])


@attrs.frozen(kw_only=True)
class FileUploaded(JetRequest):
    """Body of ``POST /files/uploaded``."""

    url: str = attrs.field(repr=False)
    file_type: FileType = attrs.field(validator=_documented(FileType))
    file_name: str


@attrs.frozen(kw_only=True)
class JetFile(JetModel):
    """A bulk file's processing state (``GET /files/{jet_file_id}``)."""

    jet_file_id: str | None = None
    url: str | None = attrs.field(default=None, repr=False)
    file_type: FileType | None = None
    file_name: str | None = None
    received: datetime | None = None
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    status: FileStatus
    total_processed: int | None = None
    error_count: int | None = None
    error_url: str | None = None
    error_excerpt: tuple[str, ...] = ()
    extra: Mapping[str, JsonValue] = _extra()
