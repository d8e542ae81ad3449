"""Jet's enumerated strings, read tolerantly and written exactly.

Every member's value is the string Jet documented. Reading never fails on a value Jet added later:
``OrderStatus("on hold")`` gives a pseudo-member named ``UNKNOWN`` whose ``is_known`` is false and
whose ``str()`` is the raw text, so a parse survives and the caller decides what to do with it.
Reading also ignores case and spaces, because Jet and its clients spelled the same value
``Available For Purchase`` / ``Available for Purchase`` and ``completed by merchant`` /
``completedByMerchant``. Outgoing request models refuse unknown members (see ``models``).
"""

from __future__ import annotations

import enum
from typing import Self

from jet_orderhive._errors import JetOrderhiveValueError

__all__ = [
    "AckStatus",
    "Carrier",
    "ChargeFeedback",
    "ExceptionState",
    "FeeAdjustmentType",
    "FileStatus",
    "FileType",
    "ItemAckStatus",
    "JetEnum",
    "OrderStatus",
    "ProductStatus",
    "RefundFeedback",
    "RefundReason",
    "RefundStatus",
    "ReturnStatus",
    "ServiceLevel",
]

_UNKNOWN = "UNKNOWN"


def _fold(text: str) -> str:
    # Case and spacing are the only differences seen between spellings of one Jet value.
    return "".join(text.split()).casefold()


class JetEnum(enum.StrEnum):
    """Base of Jet's string enums: tolerant on reading, exact on writing."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        if not isinstance(value, str):
            raise JetOrderhiveValueError(
                f"{value!r} is not a string, so it cannot be a {cls.__name__}"
            )
        folded = _fold(value)
        for member in cls:
            if _fold(member.value) == folded:
                return member
        unknown = str.__new__(cls, value)
        unknown._name_ = _UNKNOWN
        unknown._value_ = value
        return unknown

    @property
    def is_known(self) -> bool:
        """Whether this is one of Jet's documented values (``False`` for a value read raw)."""
        # The member map itself: ``__members__`` builds a new read-only view on every access.
        return self._name_ in type(self)._member_map_

    @classmethod
    def documented(cls) -> tuple[str, ...]:
        """Every documented value, in declaration order (for error messages and docs)."""
        return tuple(member.value for member in cls)

    def __str__(self) -> str:
        return str(self._value_)

    def __format__(self, format_spec: str) -> str:
        return format(str(self._value_), format_spec)


class OrderStatus(JetEnum):
    """Where an order is in Jet's lifecycle (``GET /orders/{status}``)."""

    CREATED = "created"
    READY = "ready"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inprogress"
    COMPLETE = "complete"


class ExceptionState(JetEnum):
    """Something unexpected happened to an order (``exception_state``)."""

    RESOLVED = "resolved"
    ORDER_REJECTED = "exception - order rejected"
    TOO_MANY_UNITS_SHIPPED = "exception - too many units shipped"
    JET_MANUAL_CANCELED_TO_COMPLETE = "exception - jet manual canceled to complete state"
    TOO_MANY_UNITS_CANCELLED = "exception - too many units cancelled"


class ServiceLevel(JetEnum):
    """The delivery service level the customer bought (``request_service_level``)."""

    STANDARD = "Standard"
    EXPEDITED = "Expedited"
    SCHEDULED = "Scheduled"
    NEXT_DAY = "Next Day"
    SECOND_DAY = "Second Day"
    # Seen in the sandbox order generator and the shipping-exception schema only.
    SCHEDULED_FREIGHT = "Scheduled (freight)"
    PRIORITY = "Priority"
    FIVE_TO_TEN_DAY = "5 to 10 Day"
    ELEVEN_TO_TWENTY_DAY = "11 to 20 Day"
    SCHEDULED_FREIGHT_11_TO_20_DAY = "Scheduled (freight 11 to 20 day)"


class AckStatus(JetEnum):
    """The merchant's answer to a ready order (``acknowledgement_status``)."""

    ACCEPTED = "accepted"
    REJECTED_OTHER = "rejected - other"
    REJECTED_FRAUD = "rejected - fraud"
    REJECTED_ITEM_LEVEL_ERROR = "rejected - item level error"
    REJECTED_SHIP_FROM_LOCATION_NOT_AVAILABLE = "rejected - ship from location not available"
    REJECTED_SHIPPING_METHOD_NOT_SUPPORTED = "rejected - shipping method not supported"
    REJECTED_UNFULFILLABLE_ADDRESS = "rejected - unfulfillable address"


class ItemAckStatus(JetEnum):
    """The merchant's answer for one order line (``order_item_acknowledgement_status``)."""

    FULFILLABLE = "fulfillable"
    NONFULFILLABLE_NO_INVENTORY = "nonfulfillable - no inventory"
    NONFULFILLABLE_INVALID_MERCHANT_SKU = "nonfulfillable - invalid merchant SKU"


class Carrier(JetEnum):
    """Carriers Jet accepted in a shipped notification (``shipments[].carrier``)."""

    FEDEX = "FedEx"
    FEDEX_SMARTPOST = "FedEx SmartPost"
    FEDEX_FREIGHT = "FedEx Freight"
    UPS = "UPS"
    UPS_FREIGHT = "UPS Freight"
    UPS_MAIL_INNOVATIONS = "UPS Mail Innovations"
    UPS_SUREPOST = "UPS SurePost"
    ONTRAC = "OnTrac"
    ONTRAC_DIRECT_POST = "OnTrac Direct Post"
    DHL = "DHL"
    DHL_GLOBAL_MAIL = "DHL Global Mail"
    USPS = "USPS"
    CEVA = "CEVA"
    LASER_SHIP_SPACED = "Laser Ship"
    LASERSHIP = "LaserShip"
    SPEE_DEE = "Spee Dee"
    A_AND_M_TRUCKING = "A&M Trucking"
    A_DUIE_PYLE = "A Duie Pyle"
    A1 = "A1"
    ABF = "ABF"
    APEX = "APEX"
    AVERITT = "Averitt"
    DYNAMEX = "Dynamex"
    EASTERN_CONNECTION = "Eastern Connection"
    ENSENDA = "Ensenda"
    ESTES = "Estes"
    GSO = "GSO"
    LAND_AIR_EXPRESS = "Land Air Express"
    LONE_STAR = "Lone Star"
    MEYER = "Meyer"
    NEW_PENN = "New Penn"
    PILOT = "Pilot"
    PRESTIGE = "Prestige"
    RBF = "RBF"
    REDDAWAY = "Reddaway"
    RL_CARRIERS = "RL Carriers"
    ROADRUNNER = "Roadrunner"
    SAIA_FREIGHT = "SAIA Freight"
    SOUTHEASTERN_FREIGHT = "Southeastern Freight"
    UDS = "UDS"
    UES = "UES"
    YRC = "YRC"
    OTHER = "Other"
    OLD_DOMINION = "Old Dominion"
    PARCEL = "Parcel"
    CONVEY_DECISIONING = "ConveyDecisioning"
    JET_EXPRESS = "JetExpress"


class FeeAdjustmentType(JetEnum):
    """Why Jet adjusted its commission on a line (``fee_adjustments[].adjustment_type``)."""

    VOLUME = "volume"
    BASE = "base"
    DISTANCE = "distance"
    RETURNS = "returns"
    EMAIL = "email"


class ReturnStatus(JetEnum):
    """Where a return is (``return_status``); older values kept for old records."""

    CREATED = "created"
    IN_PROGRESS = "inprogress"
    COMPLETED_BY_MERCHANT = "completed by merchant"
    ACKNOWLEDGED = "acknowledged"
    REFUND_CUSTOMER_WITHOUT_RETURN = "refund customer without return"
    JET_REFUNDED = "jet refunded"


class RefundFeedback(JetEnum):
    """Why a refund is below the full amount (``return_refund_feedback`` / ``refund_feedback``).

    The 2016 lowercase values are what Jet's schemas validate; later capitalised spellings of the
    same values read to the same member.
    """

    CUSTOMER_OPENED_ITEM = "customer opened item"
    NOT_SHIPPED_IN_ORIGINAL_PACKAGING = "not shipped in original packaging"
    ITEM_DAMAGED = "item damaged"
    OTHER = "other"
    ITEM_IS_MISSING_PARTS = "Item is missing parts/accessories"
    WRONG_ITEM = "Wrong Item"
    RETURNED_OUTSIDE_WINDOW = "Returned outside window"
    RESTOCKING_FEE = "Restocking fee"
    REROUTING_FEE = "Rerouting fee"


class ChargeFeedback(JetEnum):
    """Why the merchant disputes Jet's return charge (``return_charge_feedback``)."""

    NOT_MERCHANT_ERROR = "notMerchantError"
    OUTSIDE_MERCHANT_POLICY = "outsideMerchantPolicy"
    OTHER = "other"
    WRONG_ITEM = "wrongItem"
    FRAUD = "fraud"
    RETURNED_OUTSIDE_WINDOW = "returnedOutsideWindow"


class RefundStatus(JetEnum):
    """Where a merchant-initiated refund is (``refund_status``)."""

    CREATED = "created"
    PROCESSING = "processing"
    ACCEPTED = "accepted"
    REJECTED_CONFLICTS_WITH_RETURNS_POLICY = "rejected - refund conflicts with returns policy"
    REJECTED_CUSTOMER_CARD_NOT_VALID = "rejected - customer card not valid"
    REJECTED_TRANSACTION_NOT_YET_SETTLED = "rejected - transaction not yet settled"
    REJECTED_ALREADY_REFUNDED = "rejected - already refunded"


class RefundReason(JetEnum):
    """The customer's reason for a return or refund (``reason`` / ``refund_reason``).

    Jet validated these exactly and listed both sets side by side, so the 2015-16 lowercase set
    keeps its own members (prefixed ``LEGACY_``) even where it differs from the newer set in case
    only.
    """

    NO_LONGER_WANT_THIS_ITEM = "No longer want this item"
    RECEIVED_THE_WRONG_ITEM = "Received the wrong item"
    WEBSITE_DESCRIPTION_IS_INACCURATE = "Website description is inaccurate"
    PRODUCT_IS_DEFECTIVE = "Product is defective / does not work"
    ITEM_ARRIVED_DAMAGED_BOX_INTACT = "Item arrived damaged - box intact"
    ITEM_ARRIVED_DAMAGED_BOX_DAMAGED = "Item arrived damaged - box damaged"
    PACKAGE_NEVER_ARRIVED = "Package never arrived"
    PACKAGE_ARRIVED_LATE = "Package arrived late"
    WRONG_QUANTITY_RECEIVED = "Wrong quantity received"
    BETTER_PRICE_FOUND_ELSEWHERE = "Better price found elsewhere"
    UNWANTED_GIFT = "Unwanted gift"
    ACCIDENTAL_ORDER = "Accidental order"
    UNAUTHORIZED_PURCHASE = "Unauthorized purchase"
    ITEM_IS_MISSING_PARTS = "Item is missing parts / accessories"
    RETURN_TO_SENDER_DAMAGED = "Return to Sender - damaged, undeliverable, refused"
    RETURN_TO_SENDER_LOST = "Return to Sender - lost in transit only"
    ITEM_IS_REFURBISHED = "Item is refurbished"
    ITEM_IS_EXPIRED = "Item is expired"
    PACKAGE_ARRIVED_AFTER_ESTIMATED_DATE = "Package arrived after estimated delivery date"
    FOOD_IS_MOLDY = "Food is moldy, bruised, squished"
    FOOD_IS_CONTAMINATED = "Food is contaminated"
    LEGACY_NO_LONGER_NEED = "no longer need/want"
    LEGACY_BETTER_PRICE_AVAILABLE = "better price available"
    LEGACY_UNAUTHORIZED_PURCHASE = "unauthorized purchase"
    LEGACY_UNWANTED_GIFT = "unwanted gift"
    LEGACY_PACKAGE_NEVER_ARRIVED = "package never arrived"
    LEGACY_PACKAGE_ARRIVED_LATE = "package arrived later than promised delivery date"
    LEGACY_DIFFERENT_THAN_DESCRIPTION = "item was different than website description"
    LEGACY_BOX_AND_ITEM_DAMAGED = "shipping box and item are both damaged"
    LEGACY_ITEM_IS_DEFECTIVE = "item is defective/does not work properly"
    LEGACY_ITEM_IS_DAMAGED = "item is damaged/broken"
    LEGACY_ACCIDENTAL_ORDER = "accidental order"
    LEGACY_RECEIVED_WRONG_ITEM = "received wrong item than what was ordered"
    LEGACY_WRONG_QUANTITY_RECEIVED = "wrong quantity received"


class ProductStatus(JetEnum):
    """Jet's review state of a merchant SKU (``status`` on ``GET /merchant-skus/{sku}``)."""

    UNDER_JET_REVIEW = "Under Jet Review"
    MISSING_LISTING_DATA = "Missing Listing Data"
    AVAILABLE_FOR_PURCHASE = "Available for Purchase"
    EXCLUDED = "Excluded"
    UNAUTHORIZED = "Unauthorized"
    ARCHIVED = "Archived"
    PROCESSING = "Processing"


class FileType(JetEnum):
    """The kind of bulk file uploaded (``file_type``)."""

    MERCHANT_SKUS = "MerchantSKUs"
    MERCHANT_SKUS_OFFER = "MerchantSKUsOffer"
    INVENTORY = "Inventory"
    PRICE = "Price"
    ARCHIVE = "Archive"
    VARIATION = "Variation"
    SHIPPING_EXCEPTION = "ShippingException"
    RETURNS_EXCEPTION = "ReturnsException"
    RELATIONSHIP = "Relationship"
    SHIPMENTS = "Shipments"


class FileStatus(JetEnum):
    """How far Jet got processing a bulk file (``status``)."""

    ACKNOWLEDGED = "Acknowledged"
    PROCESSING = "Processing"
    PROCESSED_SUCCESSFULLY = "Processed successfully"
    PROCESSED_WITH_ERRORS = "Processed with errors"
    MERCHANT_ACKNOWLEDGED = "Merchant acknowledged"
