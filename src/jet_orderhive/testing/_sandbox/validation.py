"""Jet's request-body rules, written out as small composable checks.

Jet validated bodies with its own JSON Schema dialect in which ``additionalProperties`` is false by
default, so an unknown key is an error. Each check appends ``"<json path>: <reason>"`` strings; the
handlers answer 400 ``{"errors": [...]}`` when any were found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from jet_orderhive.jet._time import is_request_form

__all__ = [
    "ACKNOWLEDGEMENT",
    "ARCHIVE",
    "CARRIERS",
    "DATE_MESSAGE",
    "FILE_TYPES",
    "FILE_UPLOADED",
    "GENERATE_ORDERS",
    "INVENTORY",
    "PRICE",
    "PRODUCT",
    "REFUND",
    "RETURN_COMPLETE",
    "SHIPPED",
    "TAG",
    "TOKEN",
    "Check",
    "validate",
]

Check = Callable[[Any, str, list[str]], None]

DATE_MESSAGE = "Date is expected to be in ISO 8601 format yyyy-MM-ddTHH:mm:ss.fffffff-HH:MM"


def _where(path: str) -> str:
    return path or "body"


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def string(
    *, min_len: int = 0, max_len: int | None = None, enum: Sequence[str] | None = None
) -> Check:
    """A JSON string with optional length bounds and a case-sensitive enum."""

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, str):
            errors.append(f"{_where(path)}: expected a string, got {_type_name(value)}")
            return
        if enum is not None and value not in enum:
            allowed = ", ".join(repr(item) for item in enum)
            errors.append(f"{_where(path)}: {value!r} is not one of {allowed}")
        if len(value) < min_len:
            errors.append(f"{_where(path)}: must be at least {min_len} characters long")
        if max_len is not None and len(value) > max_len:
            errors.append(f"{_where(path)}: must be at most {max_len} characters long")

    return check


def integer(*, minimum: int | None = None, maximum: int | None = None) -> Check:
    """A JSON integer (``1.0`` and booleans are refused, as .NET's ``int`` binding did)."""

    def check(value: Any, path: str, errors: list[str]) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{_where(path)}: expected an integer, got {_type_name(value)}")
            return
        if minimum is not None and value < minimum:
            errors.append(f"{_where(path)}: must be at least {minimum}")
        if maximum is not None and value > maximum:
            errors.append(f"{_where(path)}: must be at most {maximum}")

    return check


def number(*, minimum: Decimal | None = None, exclusive_minimum: Decimal | None = None) -> Check:
    """A JSON number (integer or decimal)."""

    def check(value: Any, path: str, errors: list[str]) -> None:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            errors.append(f"{_where(path)}: expected a number, got {_type_name(value)}")
            return
        if minimum is not None and value < minimum:
            errors.append(f"{_where(path)}: must be at least {minimum}")
        if exclusive_minimum is not None and value <= exclusive_minimum:
            errors.append(f"{_where(path)}: must be greater than {exclusive_minimum}")

    return check


def boolean() -> Check:
    """A JSON ``true`` or ``false``."""

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, bool):
            errors.append(f"{_where(path)}: expected true or false, got {_type_name(value)}")

    return check


def request_date() -> Check:
    """A request date in Jet's one accepted form; anything else gets Jet's own message."""

    def check(value: Any, path: str, errors: list[str]) -> None:
        valid = isinstance(value, str) and is_request_form(value)
        # Jet answered with this exact sentence and no path; clients matched on it.
        if not valid and DATE_MESSAGE not in errors:
            errors.append(DATE_MESSAGE)

    return check


def array(item: Check, *, min_items: int = 0, max_items: int | None = None) -> Check:
    """A JSON array whose every element passes ``item``."""

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, list):
            errors.append(f"{_where(path)}: expected an array, got {_type_name(value)}")
            return
        if len(value) < min_items:
            errors.append(f"{_where(path)}: must have at least {min_items} item(s)")
        if max_items is not None and len(value) > max_items:
            errors.append(f"{_where(path)}: must have at most {max_items} item(s)")
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]", errors)

    return check


def obj(
    required: Mapping[str, Check] | None = None,
    optional: Mapping[str, Check] | None = None,
    *,
    rule: Callable[[dict[str, Any], str, list[str]], None] | None = None,
) -> Check:
    """A JSON object with only the listed keys; ``rule`` adds cross-field checks."""
    needed = dict(required or {})
    allowed = {**needed, **(optional or {})}

    def check(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, dict):
            errors.append(f"{_where(path)}: expected an object, got {_type_name(value)}")
            return
        prefix = f"{path}." if path else ""
        for key in value:
            if key not in allowed:
                errors.append(f"{prefix}{key}: unknown field (Jet accepts only documented fields)")
        for key in needed:
            if key not in value:
                errors.append(f"{prefix}{key}: required field is missing")
        for key, element in value.items():
            field_check = allowed.get(key)
            if field_check is not None:
                field_check(element, f"{prefix}{key}", errors)
        if rule is not None:
            rule(value, path, errors)

    return check


def validate(check: Check, body: Any) -> list[str]:
    """Run ``check`` on a parsed body and return every problem found."""
    errors: list[str] = []
    check(body, "", errors)
    return errors


# --- token ------------------------------------------------------------------------------------

TOKEN = obj({"user": string(), "pass": string()})

# --- orders -----------------------------------------------------------------------------------

ACK_STATUSES = (
    "accepted",
    "rejected - other",
    "rejected - fraud",
    "rejected - item level error",
    "rejected - ship from location not available",
    "rejected - shipping method not supported",
    "rejected - unfulfillable address",
)
ITEM_ACK_STATUSES = (
    "fulfillable",
    "nonfulfillable - no inventory",
    "nonfulfillable - invalid merchant SKU",
)


def _accepted_means_fulfillable(body: dict[str, Any], path: str, errors: list[str]) -> None:
    if body.get("acknowledgement_status") != "accepted":
        return
    items = body.get("order_items")
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get(
            "order_item_acknowledgement_status", "fulfillable"
        ) != ("fulfillable"):
            errors.append(
                f"order_items[{index}].order_item_acknowledgement_status: an accepted order needs "
                "every item 'fulfillable'; reject with 'rejected - item level error' instead"
            )


ACKNOWLEDGEMENT = obj(
    {
        "acknowledgement_status": string(enum=ACK_STATUSES),
        "order_items": array(
            obj(
                {
                    "order_item_id": string(min_len=1),
                    "order_item_acknowledgement_status": string(enum=ITEM_ACK_STATUSES),
                },
                {"alt_order_item_id": string()},
            ),
            min_items=1,
        ),
    },
    {
        "alt_order_id": string(),
        "shipments": array(obj({"shipment_id": string()}, {"alt_shipment_id": string()})),
    },
    rule=_accepted_means_fulfillable,
)

CARRIERS = (
    "FedEx",
    "FedEx SmartPost",
    "FedEx Freight",
    "UPS",
    "UPS Freight",
    "UPS Mail Innovations",
    "UPS SurePost",
    "OnTrac",
    "OnTrac Direct Post",
    "DHL",
    "DHL Global Mail",
    "USPS",
    "CEVA",
    "Laser Ship",
    "LaserShip",
    "Spee Dee",
    "A&M Trucking",
    "A Duie Pyle",
    "A1",
    "ABF",
    "APEX",
    "Averitt",
    "Dynamex",
    "Eastern Connection",
    "Ensenda",
    "Estes",
    "GSO",
    "Land Air Express",
    "Lone Star",
    "Meyer",
    "New Penn",
    "Pilot",
    "Prestige",
    "RBF",
    "Reddaway",
    "RL Carriers",
    "Roadrunner",
    "SAIA Freight",
    "Southeastern Freight",
    "UDS",
    "UES",
    "YRC",
    "Other",
    "Old Dominion",
    "Parcel",
    "ConveyDecisioning",
    "JetExpress",
)

_RETURN_LOCATION = obj(
    {
        "address1": string(min_len=1),
        "city": string(min_len=1),
        "state": string(min_len=2, max_len=2),
        "zip_code": string(min_len=5, max_len=5),
    },
    {"address2": string()},
)


def _shipment_rules(shipment: dict[str, Any], path: str, errors: list[str]) -> None:
    items = shipment.get("shipment_items")
    if not isinstance(items, list):
        return
    shipped = sum(
        item.get("response_shipment_sku_quantity", 0)
        for item in items
        if isinstance(item, dict) and isinstance(item.get("response_shipment_sku_quantity"), int)
    )
    if shipped == 0:
        if not shipment.get("alt_shipment_id"):
            errors.append(
                f"{path}.alt_shipment_id: a cancel-only shipment needs a unique alt_shipment_id"
            )
        return
    tracking = shipment.get("shipment_tracking_number")
    if not isinstance(tracking, str) or len(tracking) < 3:
        errors.append(
            f"{path}.shipment_tracking_number: shipped units need a tracking number of at least "
            "3 characters"
        )
    if "response_shipment_date" not in shipment:
        errors.append(f"{path}.response_shipment_date: required when units are shipped")
    if "carrier" not in shipment:
        errors.append(f"{path}.carrier: required when units are shipped")


SHIPPED = obj(
    {
        "shipments": array(
            obj(
                {
                    "shipment_items": array(
                        obj(
                            {
                                "merchant_sku": string(min_len=1),
                                "response_shipment_sku_quantity": integer(minimum=0),
                            },
                            {
                                "response_shipment_cancel_qty": integer(minimum=0),
                                "shipment_item_id": string(),
                                "alt_shipment_item_id": string(),
                                "RMA_number": string(),
                                "days_to_return": integer(minimum=0, maximum=30),
                                "return_location": _RETURN_LOCATION,
                            },
                        ),
                        min_items=1,
                    ),
                },
                {
                    "shipment_id": string(),
                    "alt_shipment_id": string(min_len=1),
                    "shipment_tracking_number": string(),
                    "response_shipment_date": request_date(),
                    "response_shipment_method": string(),
                    "expected_delivery_date": request_date(),
                    "ship_from_zip_code": string(min_len=5, max_len=5),
                    "carrier_pick_up_date": request_date(),
                    "carrier": string(enum=CARRIERS),
                    "redirect_notification": obj(
                        {"redirect_node": string(min_len=1)},
                        {"is_redirect_for_zero_inventory": boolean()},
                    ),
                },
                rule=_shipment_rules,
            ),
            min_items=1,
        ),
    },
    {"alt_order_id": string()},
)

TAG = obj({"tag": string(max_len=50)})

SERVICE_LEVELS = (
    "Standard",
    "Expedited",
    "Scheduled",
    "Next Day",
    "Second Day",
    "Scheduled (freight)",
)
_ADDRESS = obj(
    {
        "address1": string(min_len=1),
        "city": string(min_len=1),
        "state": string(min_len=2, max_len=2),
        "zip_code": string(min_len=5, max_len=10),
    },
    {"address2": string()},
)

GENERATE_ORDERS = obj(
    {"fulfillment_node": string(min_len=1)},
    {
        "status": string(enum=("created", "ready")),
        "customer_reference_order_id": string(),
        "buyer": obj({"name": string(min_len=1)}, {"phone_number": string()}),
        "request_shipping_method": string(),
        "request_service_level": string(enum=SERVICE_LEVELS),
        "ship_to_location": _ADDRESS,
        "items": array(
            obj(
                {"sku": string(min_len=1), "order_quantity": integer(minimum=1)},
                {"order_cancel_quantity": integer(minimum=0)},
            ),
            min_items=1,
        ),
    },
)

# --- merchant SKUs ------------------------------------------------------------------------------

_POSITIVE_DIMENSION = number(minimum=Decimal("0.01"))
PRODUCT_CODE_TYPES = ("UPC", "UPC-E", "ISBN-10", "ISBN-13", "EAN", "GTIN-14", "PLU")
CPSIA = (
    "choking hazard balloon",
    "choking hazard contains a marble",
    "choking hazard contains a small ball",
    "choking hazard is a marble",
    "choking hazard is a small ball",
    "choking hazard small parts",
    "no warning applicable",
)


#: Digits each code type must have, from Jet's merchant-SKU schema; UPC-E and PLU are unstated.
_CODE_DIGITS = {"UPC": 12, "ISBN-13": 13, "ISBN-10": 10, "EAN": 13, "GTIN-14": 14}


def _product_code_length(body: dict[str, Any], path: str, errors: list[str]) -> None:
    code, kind = body.get("standard_product_code"), body.get("standard_product_code_type")
    digits = _CODE_DIGITS.get(kind) if isinstance(kind, str) else None
    if digits is None or not isinstance(code, str):
        return
    # An ISBN-10's check character may be X (ten); every other position is an ASCII digit.
    last_ok = code[-1:].isdigit() or (kind == "ISBN-10" and code[-1:] in ("X", "x"))
    if len(code) != digits or not code.isascii() or not code[:-1].isdigit() or not last_ok:
        errors.append(
            f"{_where(path)}.standard_product_code: a {kind} must be {digits} digits, got {code!r}"
        )


def _product_identifier(body: dict[str, Any], path: str, errors: list[str]) -> None:
    has_codes = bool(body.get("standard_product_codes"))
    has_asin = "ASIN" in body
    has_mpn = "brand" in body and "mfr_part_number" in body
    if not (has_codes or has_asin or has_mpn):
        errors.append(
            f"{_where(path)}: You must supply either an ASIN, at least one standard product code, "
            "or a brand and a manufacturer part number"
        )


PRODUCT = obj(
    {
        "product_title": string(min_len=5, max_len=500),
        "multipack_quantity": integer(minimum=1, maximum=128),
        "brand": string(min_len=1, max_len=100),
        "main_image_url": string(min_len=1),
    },
    {
        "jet_browse_node_id": integer(minimum=1000000),
        "category_path": string(),
        "amazon_item_type_keyword": string(),
        "standard_product_codes": array(
            obj(
                {
                    "standard_product_code": string(min_len=1, max_len=14),
                    "standard_product_code_type": string(enum=PRODUCT_CODE_TYPES),
                },
                rule=_product_code_length,
            ),
            min_items=1,
        ),
        "ASIN": string(min_len=10, max_len=10),
        "manufacturer": string(max_len=100),
        "mfr_part_number": string(max_len=50),
        "product_description": string(max_len=2000),
        "bullets": array(string(max_len=500), max_items=5),
        "number_units_for_price_per_unit": number(minimum=Decimal(0)),
        "type_of_unit_for_price_per_unit": string(),
        "shipping_weight_pounds": _POSITIVE_DIMENSION,
        "package_length_inches": _POSITIVE_DIMENSION,
        "package_width_inches": _POSITIVE_DIMENSION,
        "package_height_inches": _POSITIVE_DIMENSION,
        "display_length_inches": _POSITIVE_DIMENSION,
        "display_width_inches": _POSITIVE_DIMENSION,
        "display_height_inches": _POSITIVE_DIMENSION,
        "prop_65": boolean(),
        "legal_disclaimer_description": string(max_len=500),
        "cpsia_cautionary_statements": array(string(enum=CPSIA), max_items=7),
        "country_of_origin": string(max_len=50),
        "safety_warning": string(max_len=2000),
        "start_selling_date": request_date(),
        "fulfillment_time": integer(minimum=0),
        "msrp": _POSITIVE_DIMENSION,
        "map_price": _POSITIVE_DIMENSION,
        "map_implementation": string(enum=("101", "102", "103")),
        "product_tax_code": string(min_len=1),
        "no_return_fee_adjustment": number(),
        "exclude_from_fee_adjustments": boolean(),
        "ships_alone": boolean(),
        "attributes_node_specific": array(
            obj(
                {"attribute_id": integer(minimum=1), "attribute_value": string()},
                {"attribute_value_unit": string()},
            ),
            max_items=10,
        ),
        "swatch_image_url": string(),
        "alternate_images": array(
            obj({"image_slot_id": integer(minimum=1, maximum=8), "image_url": string(min_len=1)})
        ),
        "ormd": boolean(),
        "buy_url": string(),
    },
    rule=_product_identifier,
)

_PRICE_GT_ZERO = number(exclusive_minimum=Decimal(0))

PRICE = obj(
    {"price": _PRICE_GT_ZERO},
    {
        "fulfillment_nodes": array(
            obj(
                {
                    "fulfillment_node_id": string(min_len=1),
                    "fulfillment_node_price": _PRICE_GT_ZERO,
                }
            )
        )
    },
)

INVENTORY = obj(
    {
        "fulfillment_nodes": array(
            obj({"fulfillment_node_id": string(min_len=1), "quantity": integer(minimum=0)})
        )
    }
)

ARCHIVE = obj({"is_archived": boolean()})

# --- returns and refunds ----------------------------------------------------------------------

_MONEY = number(minimum=Decimal(0))
_AMOUNT = obj({"principal": _MONEY, "tax": _MONEY, "shipping_cost": _MONEY, "shipping_tax": _MONEY})
RETURN_FEEDBACK = (
    "customer opened item",
    "not shipped in original packaging",
    "item damaged",
    "other",
    "Item is missing parts/accessories",
    "Wrong Item",
    "Item damaged",
    "Returned outside window",
    "Restocking fee",
    "Not shipped in original packaging",
    "Rerouting fee",
)
CHARGE_FEEDBACK = (
    "notMerchantError",
    "outsideMerchantPolicy",
    "other",
    "wrongItem",
    "fraud",
    "returnedOutsideWindow",
)


def _item_identified(item: dict[str, Any], path: str, errors: list[str]) -> None:
    if "order_item_id" not in item and "alt_order_item_id" not in item:
        errors.append(f"{path}.order_item_id: required (or alt_order_item_id)")


RETURN_COMPLETE = obj(
    {
        "items": array(
            obj(
                {
                    "total_quantity_returned": integer(minimum=0),
                    "order_return_refund_qty": integer(minimum=0),
                    "refund_amount": _AMOUNT,
                },
                {
                    "order_item_id": string(min_len=1),
                    "alt_order_item_id": string(),
                    "return_refund_feedback": string(enum=RETURN_FEEDBACK),
                    "notes": string(),
                },
                rule=_item_identified,
            ),
            min_items=1,
        ),
        "agree_to_return_charge": boolean(),
    },
    {
        "merchant_order_id": string(min_len=1),
        "alt_order_id": string(),
        "return_charge_feedback": string(enum=CHARGE_FEEDBACK),
        "notes": string(),
    },
)

REFUND_REASONS = (
    "no longer need/want",
    "better price available",
    "unauthorized purchase",
    "unwanted gift",
    "package never arrived",
    "package arrived later than promised delivery date",
    "item was different than website description",
    "shipping box and item are both damaged",
    "item is defective/does not work properly",
    "item is damaged/broken",
    "accidental order",
    "received wrong item than what was ordered",
    "wrong quantity received",
    "No longer want this item",
    "Received the wrong item",
    "Website description is inaccurate",
    "Product is defective / does not work",
    "Item arrived damaged - box intact",
    "Item arrived damaged - box damaged",
    "Package never arrived",
    "Package arrived late",
    "Wrong quantity received",
    "Better price found elsewhere",
    "Unwanted gift",
    "Accidental order",
    "Unauthorized purchase",
    "Item is missing parts / accessories",
    "Return to Sender - damaged, undeliverable, refused",
    "Return to Sender - lost in transit only",
    "Item is refurbished",
    "Item is expired",
    "Package arrived after estimated delivery date",
    "Food is moldy, bruised, squished",
    "Food is contaminated",
)

REFUND = obj(
    {
        "items": array(
            obj(
                {
                    "order_return_refund_qty": integer(minimum=0),
                    "refund_reason": string(enum=REFUND_REASONS),
                    "refund_amount": _AMOUNT,
                },
                {
                    "order_item_id": string(min_len=1),
                    "alt_order_item_id": string(),
                    "total_quantity_returned": integer(minimum=0),
                    "refund_feedback": string(enum=RETURN_FEEDBACK[:4]),
                    "notes": string(),
                },
                rule=_item_identified,
            ),
            min_items=1,
        )
    }
)

# --- bulk files -------------------------------------------------------------------------------

FILE_TYPES = (
    "MerchantSKUs",
    "MerchantSKUsOffer",
    "Inventory",
    "Price",
    "Archive",
    "Variation",
    "ShippingException",
    "ReturnsException",
    "Relationship",
    "Shipments",
)

FILE_UPLOADED = obj(
    {
        "url": string(min_len=1),
        "file_type": string(enum=FILE_TYPES),
        "file_name": string(min_len=1),
    }
)
