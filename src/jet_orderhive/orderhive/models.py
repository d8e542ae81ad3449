"""Orderhive-shaped records: what an imported Jet order and its buyer become.

Records are frozen, slotted, keyword-only attrs classes whose equality is meaningful: two records
are equal exactly when every field is, and no field holds a volatile value such as "imported at",
so an unchanged re-import maps to an equal record. (A storage calls an upsert unchanged when it
would write the same canonical JSON, which equal values written differently are not; see the
storage guide.) Money is
``Decimal`` and datetimes are timezone-aware, both checked on construction. Field names follow
Orderhive's API (``address1``, ``zipcode``, ``courier_name``, ...) in Python style; each record
keeps the Jet ids it came from so pushes back to Jet can be built from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from types import FunctionType, MemberDescriptorType
from typing import Any, TypeVar, cast

import attrs

from jet_orderhive._errors import JetOrderhiveTypeError, JetOrderhiveValueError
from jet_orderhive._json import JsonValue
from jet_orderhive.orderhive import _convert
from jet_orderhive.orderhive.carriers import normalize_carrier
from jet_orderhive.orderhive.enums import (
    CommentKind,
    ExtraItemType,
    OrderStatus,
    PaymentStatus,
    TaxType,
)

__all__ = [
    "Address",
    "Comment",
    "Customer",
    "ExtraItem",
    "LineItem",
    "SalesOrder",
    "Shipment",
    "ShipmentLine",
    "normalize_email",
]

_ZERO = Decimal(0)
_T = TypeVar("_T")


def normalize_email(text: str) -> str:
    """Return ``text`` stripped and case-folded, the form customers are de-duplicated by."""
    return text.strip().casefold()


def _optional_email(text: str | None) -> str | None:
    if text is None:
        return None
    normal = normalize_email(text)
    return normal or None


def _money(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decimal):
        raise JetOrderhiveTypeError(
            f"{attribute.name} must be a Decimal (floats lose cents), got {type(value).__name__} "
            f"{value!r}"
        )
    if not value.is_finite():
        raise JetOrderhiveValueError(f"{attribute.name} must be a finite amount, got {value}")


def _optional_money(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _money(instance, attribute, value)


def _count(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise JetOrderhiveTypeError(f"{attribute.name} must be an int, got {value!r}")
    if value < 0:
        raise JetOrderhiveValueError(f"{attribute.name} must not be negative, got {value}")


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime):
        raise JetOrderhiveTypeError(f"{attribute.name} must be a datetime, got {value!r}")
    if value.utcoffset() is None:
        raise JetOrderhiveValueError(
            f"{attribute.name} must be timezone-aware, got naive {value.isoformat()}; "
            "attach a tzinfo (Jet times are UTC)"
        )


def _optional_aware(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _aware(instance, attribute, value)


def _tuple_of(kind: type[object]) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """Check that a collection field holds only ``kind``, naming the first entry that is not."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise JetOrderhiveTypeError(
                f"{attribute.name} must be an iterable of {kind.__name__} (a list or tuple), "
                f"got {type(value).__name__} {value!r}"
            )
        for index, item in enumerate(value):
            if not isinstance(item, kind):
                raise JetOrderhiveTypeError(
                    f"{attribute.name}[{index}] must be a {kind.__name__}, "
                    f"got {type(item).__name__} {item!r}"
                )

    return check


def _tupled(value: Iterable[_T]) -> tuple[_T, ...]:
    """Store any iterable as a tuple, so records stay immutable and comparable."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        # Not a collection of records: kept as it is so the validator names the mistake.
        return cast("tuple[_T, ...]", value)
    return tuple(value)


def _addresses(value: Iterable[Address]) -> tuple[Address, ...]:
    return _tupled(value)


def _line_items(value: Iterable[LineItem]) -> tuple[LineItem, ...]:
    return _tupled(value)


def _extra_items(value: Iterable[ExtraItem]) -> tuple[ExtraItem, ...]:
    return _tupled(value)


def _shipment_lines(value: Iterable[ShipmentLine]) -> tuple[ShipmentLine, ...]:
    return _tupled(value)


def _shipments(value: Iterable[Shipment]) -> tuple[Shipment, ...]:
    return _tupled(value)


def _comments(value: Iterable[Comment]) -> tuple[Comment, ...]:
    return _tupled(value)


def _unvalidated(cls: type[_T]) -> Callable[..., _T]:
    """A constructor of ``cls`` that skips its validators, for callers that have just checked
    every value the validators would check (the default mappings do, inline and much more
    cheaply, and otherwise call ``cls`` itself so that its validator raises).

    It applies defaults and converters as ``cls.__init__`` does, so the record it builds is the
    one ``cls(**kwargs)`` would build. Records built by users always go through ``cls``.
    """
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
    if any(
        getattr(cls, hook, None) is not None
        for hook in ("__attrs_pre_init__", "__attrs_post_init__", "__attrs_init_subclass__")
    ) or any(
        isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]
        or (field.converter is not None and not isinstance(field.converter, FunctionType))
        or not field.init
        for field in fields
    ):
        return cls
    names: dict[str, object] = {"_new": object.__new__, "_set": object.__setattr__, "_cls": cls}
    params: list[str] = []
    body = ["  self = _new(_cls)"]
    for field in fields:
        alias = field.alias or field.name  # __init__'s parameter name
        if field.default is attrs.NOTHING:
            params.append(alias)
        else:
            names[f"_d_{field.name}"] = field.default
            params.append(f"{alias}=_d_{field.name}")
        value = alias
        if field.converter is not None:
            names[f"_c_{field.name}"] = field.converter
            value = f"_c_{field.name}({alias})"
        slot = getattr(cls, field.name, None)
        if type(slot) is MemberDescriptorType:  # its __set__ is cheaper than object.__setattr__
            names[f"_s_{field.name}"] = slot.__set__
            body.append(f"  _s_{field.name}(self, {value})")
        else:
            body.append(f"  _set(self, {field.name!r}, {value})")
    source = f"def make(*, {', '.join(params)}):\n" + "\n".join(body) + "\n  return self\n"
    exec(compile(source, f"<unvalidated {cls.__qualname__}>", "exec"), names)  # noqa: S102
    return cast("Callable[..., _T]", names["make"])


@attrs.frozen(kw_only=True)
class Address:
    """A postal address; Orderhive's "province" is ``state`` and its "zip" is ``zipcode``."""

    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zipcode: str | None = None
    country: str | None = None
    country_code: str | None = None
    contact_number: str | None = None
    email: str | None = attrs.field(default=None, converter=_optional_email)


@attrs.frozen(kw_only=True)
class LineItem:
    """One order line: what was bought, for how much, and how many units went where.

    ``row_total`` is exact (Jet's ``base_price`` for the whole quantity); ``price`` is the unit
    price rounded half-even to cents for display, so ``price * quantity_ordered`` may differ
    from ``row_total`` by up to half a cent per unit. Totals are always built from
    ``row_total``.
    """

    sku: str
    name: str
    variant_id: str
    """Orderhive's variant id (``channel_secondary_id``): the Jet ``order_item_id``."""
    quantity_ordered: int = attrs.field(validator=_count)
    price: Decimal = attrs.field(validator=_money)
    row_total: Decimal = attrs.field(validator=_money)
    discount: Decimal = attrs.field(default=_ZERO, validator=_money)
    tax_value: Decimal = attrs.field(default=_ZERO, validator=_money)
    tax_percent: Decimal = attrs.field(default=_ZERO, validator=_money)
    quantity_shipped: int = attrs.field(default=0, validator=_count)
    quantity_cancelled: int = attrs.field(default=0, validator=_count)
    quantity_returned: int = attrs.field(default=0, validator=_count)
    quantity_cancel_requested: int = attrs.field(default=0, validator=_count)
    """Units Jet asked the merchant to cancel (directed cancel) and not yet answered."""
    alt_order_item_id: str | None = None

    @property
    def quantity_open(self) -> int:
        """Units neither shipped nor cancelled: what a full cancel or final shipment covers."""
        return max(self.quantity_ordered - self.quantity_shipped - self.quantity_cancelled, 0)


@attrs.frozen(kw_only=True)
class ExtraItem:
    """An order-level charge beside the lines: shipping, tax or a (negative) discount."""

    type: ExtraItemType
    name: str
    price: Decimal = attrs.field(validator=_money)
    quantity_ordered: int = attrs.field(default=1, validator=_count)
    tax_value: Decimal = attrs.field(default=_ZERO, validator=_money)
    tax_percent: Decimal = attrs.field(default=_ZERO, validator=_money)

    @property
    def total(self) -> Decimal:
        """What this charge adds to the order: price times quantity plus its tax, exactly."""
        return self.price * self.quantity_ordered + self.tax_value


@attrs.frozen(kw_only=True)
class ShipmentLine:
    """Units of one SKU in a shipment: shipped, and (Jet allows mixing) cancelled."""

    sku: str
    quantity_shipped: int = attrs.field(validator=_count)
    quantity_cancelled: int = attrs.field(default=0, validator=_count)


@attrs.frozen(kw_only=True)
class Shipment:
    """A parcel: Orderhive's tracking company (``courier_name``), number and shipping time."""

    lines: tuple[ShipmentLine, ...] = attrs.field(
        converter=_shipment_lines, validator=_tuple_of(ShipmentLine)
    )
    courier_name: str | None = attrs.field(default=None, converter=normalize_carrier)
    """The carrier; a name Jet knows is stored in Jet's spelling (``ups`` becomes ``UPS``)."""
    tracking_number: str | None = None
    shipping_date: datetime | None = attrs.field(default=None, validator=_optional_aware)
    shipping_method: str | None = None
    expected_delivery_date: datetime | None = attrs.field(default=None, validator=_optional_aware)
    carrier_pick_up_date: datetime | None = attrs.field(default=None, validator=_optional_aware)
    ship_from_zip_code: str | None = None
    channel_shipment_id: str | None = None
    """Jet's ``shipment_id``, when Jet assigned one."""
    alt_shipment_id: str | None = None
    """The merchant's shipment id as sent to Jet (``alt_shipment_id``)."""

    @property
    def quantity_shipped(self) -> int:
        """Units shipped in this parcel, over all SKUs."""
        return sum(line.quantity_shipped for line in self.lines)


@attrs.frozen(kw_only=True)
class Comment:
    """A note on an order; ``key`` is stable across re-imports so hosts post it only once."""

    key: str
    kind: CommentKind
    text: str


@attrs.frozen(kw_only=True)
class Customer:
    """A buyer, de-duplicated by normalised email (Jet's ``hash_email`` relay address)."""

    email: str = attrs.field(converter=normalize_email)
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] = attrs.field(
        default=(), converter=_addresses, validator=_tuple_of(Address)
    )

    @email.validator
    def _check_email(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if not value:
            raise JetOrderhiveValueError(
                "a customer needs a non-blank email: customers are keyed by it"
            )

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready values (``Decimal`` kept, datetimes as ISO text with offset)."""
        return _convert.unstructure(self)

    @classmethod
    def from_dict(cls, data: dict[str, JsonValue]) -> Customer:
        """Rebuild a customer from `to_dict` output (or the same JSON read back)."""
        return _convert.structure(data, cls)


@attrs.frozen(kw_only=True)
class SalesOrder:
    """An Orderhive sales order built from one Jet order, keyed by ``channel_order_id``."""

    channel_order_id: str
    """Orderhive's "order id": the Jet ``merchant_order_id``."""
    channel_order_number: str
    """Orderhive's "order number": the Jet ``reference_order_id`` shown to the buyer."""
    channel_status: str
    """The raw Jet status this record reflects (``ready``, ``acknowledged``, ...)."""
    order_status: OrderStatus
    placed_at: datetime = attrs.field(validator=_aware)
    grand_total: Decimal = attrs.field(validator=_money)
    """Orderhive's "total price": lines, line tax and extra items, summed exactly."""
    billing_address: Address
    shipping_address: Address
    line_items: tuple[LineItem, ...] = attrs.field(
        converter=_line_items, validator=_tuple_of(LineItem)
    )
    extra_items: tuple[ExtraItem, ...] = attrs.field(
        default=(), converter=_extra_items, validator=_tuple_of(ExtraItem)
    )
    shipments: tuple[Shipment, ...] = attrs.field(
        default=(), converter=_shipments, validator=_tuple_of(Shipment)
    )
    comments: tuple[Comment, ...] = attrs.field(
        default=(), converter=_comments, validator=_tuple_of(Comment)
    )
    customer_email: str | None = attrs.field(default=None, converter=_optional_email)
    payment_method: str = "Jet"
    payment_status: PaymentStatus = PaymentStatus.PAID
    currency: str = "USD"
    tax_type: TaxType = TaxType.EXCLUSIVE
    directed_cancel: bool = False
    """Jet asked the merchant to cancel units; the host must answer with a cancellation."""
    partially_cancel: bool = False
    """Some units are cancelled while the order is still open (Orderhive's flag)."""
    customer_reference_order_id: str | None = None
    alt_order_id: str | None = None
    fulfillment_node_id: str | None = None
    shipping_carrier: str | None = None
    shipping_service: str | None = None
    shipping_due_date: datetime | None = attrs.field(default=None, validator=_optional_aware)
    delivery_date: datetime | None = attrs.field(default=None, validator=_optional_aware)

    @property
    def computed_total(self) -> Decimal:
        """Line row totals plus line taxes plus extra items; equals ``grand_total`` when mapped."""
        # Loops, not sum() over generators: the same additions in the same order, cheaper.
        lines = _ZERO
        for line in self.line_items:
            lines += line.row_total + line.tax_value
        extras = _ZERO
        for extra in self.extra_items:
            extras += extra.total
        return lines + extras

    def line_for_sku(self, sku: str) -> LineItem | None:
        """The first line with this SKU, or ``None``."""
        return next((line for line in self.line_items if line.sku == sku), None)

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready values (``Decimal`` kept, datetimes as ISO text with offset)."""
        return _convert.unstructure(self)

    @classmethod
    def from_dict(cls, data: dict[str, JsonValue]) -> SalesOrder:
        """Rebuild an order from `to_dict` output (or the same JSON read back)."""
        return _convert.structure(data, cls)
