"""Realistic Jet order payloads for tests: deterministic under a seed, with totals that add up.

Every value is what Jet's order detail endpoint served: 32-hex ids, 12-digit reference numbers,
7-digit UTC timestamps, money as exact ``Decimal`` with cents, and ``order_totals`` equal to the
sum of the lines. Buyers come from a bounded pool, so the same customer orders more than once.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final, Literal, cast

import attrs

from jet_orderhive._json import JsonValue
from jet_orderhive.jet._time import format_jet_timestamp, format_request_datetime
from jet_orderhive.testing._sandbox import orders as _orders

__all__ = [
    "DEFAULT_FULFILLMENT_NODE_ID",
    "FakeBuyer",
    "OrderFactory",
    "OrderStatusName",
    "make_order",
]

OrderStatusName = Literal["created", "ready", "acknowledged", "inprogress", "complete"]

DEFAULT_FULFILLMENT_NODE_ID: Final = "5e3c9f4e0b7a4e1c9d0a1b2c3d4e5f60"
_DEFAULT_PLACED_AT: Final = datetime(2019, 6, 3, 15, 0, tzinfo=UTC)
_CENT = Decimal("0.01")

_FIRST_NAMES = (
    "Jane", "John", "Maria", "David", "Aisha", "Wei", "Carlos", "Emily", "Michael", "Priya",
    "Olivia", "James", "Fatima", "Daniel", "Grace", "Samuel", "Hannah", "Lucas", "Mei", "Noah",
)  # fmt: skip
_LAST_NAMES = (
    "Doe", "Smith", "Johnson", "Garcia", "Chen", "Patel", "Williams", "Brown", "Kim", "Nguyen",
    "Martinez", "Davis", "Lopez", "Wilson", "Anderson", "Thomas", "Moore", "Clark", "Lewis",
)  # fmt: skip
_UNICODE_NAMES = (
    "José Álvarez", "Zoë Brontë-Hughes", "Łukasz Wiśniewski", "Renée Müller", "Siân Ó Briain",
    "Nguyễn Thị Hà", "Søren Ærøskøbing", "Chloé Lefèvre", "Ayşe Demir", "Đorđe Petrović",
)  # fmt: skip
_ONE_WORD_NAMES = ("Amara", "Søren", "Kalani", "Teodora", "Ravi", "Zuri")
_STREETS = (
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Park Blvd", "Washington St", "Lake Rd",
    "Hillcrest Way", "Sunset Blvd", "Elm St",
)  # fmt: skip
_PLACES = (
    ("Hoboken", "NJ", "07030"), ("Malibu", "CA", "90265"), ("Austin", "TX", "78701"),
    ("Portland", "OR", "97205"), ("Chicago", "IL", "60614"), ("Denver", "CO", "80202"),
    ("Boston", "MA", "02116"), ("Seattle", "WA", "98101"), ("Miami", "FL", "33131"),
    ("Nashville", "TN", "37203"), ("Brooklyn", "NY", "11201"), ("Phoenix", "AZ", "85004"),
)  # fmt: skip
_ADJECTIVES = ("Blue", "Organic", "Stainless", "Compact", "Deluxe", "Bamboo", "Wireless", "Soft")
_NOUNS = (
    "Cotton Socks, 3 Pack", "Water Bottle", "Desk Lamp", "Yoga Mat", "Coffee Grinder",
    "Phone Charger", "Throw Blanket", "Cutting Board", "Backpack", "Travel Mug",
)  # fmt: skip
_SHIPPING = (
    ("UPS", "UPS Ground", "Standard"),
    ("FedEx", "FedEx Home Delivery", "Standard"),
    ("USPS", "USPS Priority Mail", "Expedited"),
    ("UPS", "UPS 2nd Day Air", "Second Day"),
    ("FedEx", "FedEx Standard Overnight", "Next Day"),
)
_TAX_CODES = ("Generic Taxable Product", "General Clothing", "General Grocery Items")


@attrs.frozen(kw_only=True)
class FakeBuyer:
    """A generated Jet customer: the relay email, name and phone, and where they live."""

    name: str
    phone_number: str
    hash_email: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str

    def shipping_to(self) -> dict[str, JsonValue]:
        """The order's ``shipping_to`` block for this buyer."""
        return {
            "recipient": {"name": self.name, "phone_number": self.phone_number},
            "address": {
                "address1": self.address1,
                "address2": self.address2,
                "city": self.city,
                "state": self.state,
                "zip_code": self.zip_code,
            },
        }


def _hex_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_EVEN)


class OrderFactory:
    """Makes Jet order payloads from one seeded random stream (never the global one).

    ``unicode_names`` and ``one_word_names`` put accented and single-word buyer names into the
    pool, for mapping code that must split and keep names faithfully.
    """

    def __init__(
        self,
        seed: int | str = 0,
        *,
        fulfillment_node_id: str = DEFAULT_FULFILLMENT_NODE_ID,
        buyer_pool_size: int = 25,
        unicode_names: bool = False,
        one_word_names: bool = False,
    ) -> None:
        if buyer_pool_size < 1:
            raise ValueError(f"buyer_pool_size must be at least 1, got {buyer_pool_size}")
        self._rng = random.Random(f"orders:{seed}")
        self.fulfillment_node_id = fulfillment_node_id
        self._unicode_names = unicode_names
        self._one_word_names = one_word_names
        self._buyers = [self.new_buyer(position=i) for i in range(buyer_pool_size)]
        self._products: dict[str, tuple[str, Decimal]] = {}
        self._catalog = [f"JET-{self._rng.randrange(16**6):06X}" for _ in range(40)]

    def __repr__(self) -> str:
        return f"OrderFactory(buyers={len(self._buyers)}, node={self.fulfillment_node_id!r})"

    @property
    def buyers(self) -> tuple[FakeBuyer, ...]:
        """The pool orders draw their buyers from."""
        return tuple(self._buyers)

    def new_buyer(self, *, position: int | None = None) -> FakeBuyer:
        """A fresh buyer, not added to the pool; ``position`` picks its name style."""
        rng = self._rng
        index = position if position is not None else rng.randrange(1000)
        if self._one_word_names and index % 5 == 4:
            name = rng.choice(_ONE_WORD_NAMES)
        elif self._unicode_names and index % 3 == 1:
            name = rng.choice(_UNICODE_NAMES)
        else:
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
        city, state, zip_code = rng.choice(_PLACES)
        return FakeBuyer(
            name=name,
            phone_number=f"{rng.randint(201, 989)}-555-{rng.randrange(10000):04d}",
            hash_email=f"{_hex_id(rng)}@customer.jet.com",
            address1=f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
            address2=rng.choice(("", "", "", "Apt 4B", "Suite 210")),
            city=city,
            state=state,
            zip_code=zip_code,
        )

    def buyer(self) -> FakeBuyer:
        """A buyer from the bounded pool, so repeat customers occur."""
        return self._rng.choice(self._buyers)

    def _product(self, sku: str) -> tuple[str, Decimal]:
        known = self._products.get(sku)
        if known is None:
            title = f"{self._rng.choice(_ADJECTIVES)} {self._rng.choice(_NOUNS)}"
            unit = Decimal(self._rng.randint(299, 14999)) / 100
            known = self._products[sku] = (title, unit)
        return known

    def order(
        self,
        *,
        status: OrderStatusName = "ready",
        placed_at: datetime | None = None,
        buyer: FakeBuyer | None = None,
        skus: Sequence[str] | None = None,
        quantities: Mapping[str, int] | None = None,
    ) -> dict[str, JsonValue]:
        """One order as Jet's detail endpoint served it, moved to ``status``.

        ``skus`` is the pool the 1 to 4 distinct lines come from; ``quantities`` fixes the lines
        exactly (SKU → units) instead. ``acknowledged`` orders are accepted, ``inprogress`` ones
        have one unit shipped, ``complete`` ones are fully shipped.
        """
        if status not in _orders.ORDER_STATUSES:
            raise ValueError(
                f"unknown Jet order status {status!r}; use one of {_orders.ORDER_STATUSES}"
            )
        placed = placed_at if placed_at is not None else _DEFAULT_PLACED_AT
        if placed.tzinfo is None:
            raise ValueError("placed_at must be timezone-aware")
        rng = self._rng
        who = buyer if buyer is not None else self.buyer()
        if quantities is not None:
            lines = list(quantities.items())
        else:
            pool = list(dict.fromkeys(skus)) if skus else self._catalog
            chosen = rng.sample(pool, k=min(len(pool), rng.randint(1, 4)))
            lines = [(sku, rng.randint(1, 5)) for sku in chosen]
        if not lines:
            raise ValueError("an order needs at least one line")
        if status == "inprogress" and sum(qty for _, qty in lines) < 2:
            # One unit cannot be partly shipped; two make an honest partial shipment.
            lines[0] = (lines[0][0], 2)
        tax_rate = Decimal(rng.randint(0, 1000)) / 10000
        carrier, method, level = rng.choice(_SHIPPING)
        items = [self._item(sku, qty, tax_rate) for sku, qty in lines]
        reference = str(rng.randint(10**11, 10**12 - 1))
        order: dict[str, Any] = {
            "merchant_order_id": _hex_id(rng),
            "reference_order_id": reference,
            "customer_reference_order_id": (
                reference if rng.random() < 0.7 else str(rng.randint(10**11, 10**12 - 1))
            ),
            "fulfillment_node": self.fulfillment_node_id,
            "hash_email": who.hash_email,
            "status": "created",
            "order_placed_date": format_jet_timestamp(placed),
            "order_transmission_date": format_jet_timestamp(
                placed + timedelta(seconds=rng.randint(20, 120))
            ),
            "has_shipments": False,
            "jet_request_directed_cancel": False,
            "buyer": {"name": who.name, "phone_number": who.phone_number},
            "shipping_to": who.shipping_to(),
            "order_detail": {
                "request_shipping_carrier": carrier,
                "request_shipping_method": method,
                "request_service_level": level,
                "request_ship_by": format_jet_timestamp(placed + timedelta(days=rng.randint(1, 2))),
                "request_delivery_by": format_jet_timestamp(
                    placed + timedelta(days=rng.randint(3, 6))
                ),
            },
            "order_items": items,
            "order_totals": _totals(items),
        }
        if status != "created":
            order["status"] = "ready"
            order["order_ready_date"] = format_jet_timestamp(
                placed + timedelta(minutes=rng.randint(1, 30))
            )
        if status in ("acknowledged", "inprogress", "complete"):
            self._advance(order, status, placed + timedelta(minutes=45))
        return cast(dict[str, JsonValue], order)

    def _advance(self, order: dict[str, Any], status: str, when: datetime) -> None:
        ack = {
            "acknowledgement_status": "accepted",
            "order_items": [
                {
                    "order_item_id": i["order_item_id"],
                    "order_item_acknowledgement_status": "fulfillable",
                }
                for i in order["order_items"]
            ],
        }
        problems = _orders.acknowledge(order, ack, when)
        assert not problems, problems
        if status == "acknowledged":
            return
        tally = _orders.units_by_sku(order)
        if status == "inprogress":
            first = order["order_items"][0]["merchant_sku"]
            counts = {first: 1}
        else:
            counts = {sku: units.ordered for sku, units in tally.items()}
        shipment = {
            "alt_shipment_id": f"SHIP-{order['reference_order_id']}-1",
            "shipment_tracking_number": f"1Z{self._rng.randrange(16**16):016X}",
            "response_shipment_date": format_request_datetime(when + timedelta(hours=20)),
            "response_shipment_method": order["order_detail"]["request_shipping_method"],
            "carrier": order["order_detail"]["request_shipping_carrier"],
            "shipment_items": [
                {
                    "merchant_sku": sku,
                    "response_shipment_sku_quantity": qty,
                    "response_shipment_cancel_qty": 0,
                }
                for sku, qty in counts.items()
            ],
        }
        problems = _orders.ship(order, {"shipments": [shipment]}, when, lambda: _hex_id(self._rng))
        assert not problems, problems

    def _item(self, sku: str, quantity: int, tax_rate: Decimal) -> dict[str, Any]:
        rng = self._rng
        title, unit = self._product(sku)
        base = _cents(unit * quantity)
        shipping = _cents(Decimal(rng.choice((0, 0, 499, 599, 899))) / 100)
        item_id = _hex_id(rng)
        fees = _cents(base * Decimal("0.15"))
        adjustments: list[dict[str, Any]] = [
            {"adjustment_name": "", "adjustment_type": "base", "commission_id": "", "value": fees}
        ]
        if rng.random() < 0.25:
            adjustments.append(
                {
                    "adjustment_name": "Volume discount",
                    "adjustment_type": "volume",
                    "commission_id": _hex_id(rng),
                    "value": _cents(-base * Decimal("0.02")),
                }
            )
        item: dict[str, Any] = {
            "order_item_id": item_id,
            "merchant_sku": sku,
            "product_title": title,
            "url": f"https://jet.com/product/detail/{item_id}",
            "request_order_quantity": quantity,
            "item_tax_code": rng.choice(_TAX_CODES),
            "item_price": {
                "base_price": base,
                "item_tax": _cents(base * tax_rate),
                "item_shipping_cost": shipping,
                "item_shipping_tax": _cents(shipping * tax_rate),
            },
            "item_fees": fees,
            "fee_adjustments": adjustments,
            "regulatory_fees": Decimal("0.00"),
        }
        return item


def _totals(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum the lines' money blocks exactly (no rounding: every addend already has cents)."""
    price_keys = ("base_price", "item_tax", "item_shipping_cost", "item_shipping_tax")
    merged: dict[tuple[str, str, str], Decimal] = {}
    for item in items:
        for adj in item["fee_adjustments"]:
            key = (adj["adjustment_name"], adj["adjustment_type"], adj["commission_id"])
            merged[key] = merged.get(key, Decimal("0.00")) + adj["value"]
    return {
        "item_price": {
            key: sum((item["item_price"][key] for item in items), Decimal("0.00"))
            for key in price_keys
        },
        "item_fees": sum((item["item_fees"] for item in items), Decimal("0.00")),
        "fee_adjustments": [
            {"adjustment_name": n, "adjustment_type": t, "commission_id": c, "value": v}
            for (n, t, c), v in merged.items()
        ],
        "regulatory_fees": sum((item["regulatory_fees"] for item in items), Decimal("0.00")),
    }


def make_order(
    *,
    seed: int | str = 0,
    status: OrderStatusName = "ready",
    placed_at: datetime | None = None,
    skus: Sequence[str] | None = None,
    unicode_names: bool = False,
    one_word_names: bool = False,
) -> dict[str, JsonValue]:
    """One order from a fresh :class:`OrderFactory` (same arguments, same order)."""
    factory = OrderFactory(seed, unicode_names=unicode_names, one_word_names=one_word_names)
    return factory.order(status=status, placed_at=placed_at, skus=skus)
