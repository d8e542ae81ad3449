"""Generated Jet orders: realistic shapes, exact totals, repeat buyers, determinism."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jet_orderhive._json import dumps, loads
from jet_orderhive.testing import OrderFactory, make_order

PLACED = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)
HEX32 = re.compile(r"[0-9a-f]{32}")
JET_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z")
MONEY_KEYS = ("base_price", "item_tax", "item_shipping_cost", "item_shipping_tax")


def as_json(order: Any) -> Any:
    """The order as a client would read it off the wire."""
    return loads(dumps(order))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**9))
def test_totals_equal_the_sum_of_the_lines_exactly(seed: int) -> None:
    order = as_json(make_order(seed=seed, placed_at=PLACED))

    totals = order["order_totals"]
    for key in MONEY_KEYS:
        lines = [item["item_price"][key] for item in order["order_items"]]
        assert totals["item_price"][key] == sum(lines, Decimal(0))
        assert all(value == value.quantize(Decimal("0.01")) for value in lines)
    assert totals["item_fees"] == sum(i["item_fees"] for i in order["order_items"])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**9))
def test_every_order_has_jets_shapes(seed: int) -> None:
    order = as_json(make_order(seed=seed, placed_at=PLACED))

    assert HEX32.fullmatch(order["merchant_order_id"])
    assert re.fullmatch(r"\d{12}", order["reference_order_id"])
    assert re.fullmatch(r"[0-9a-f]{32}@customer\.jet\.com", order["hash_email"])
    assert 1 <= len(order["order_items"]) <= 4
    skus = [item["merchant_sku"] for item in order["order_items"]]
    assert len(set(skus)) == len(skus)
    for item in order["order_items"]:
        assert HEX32.fullmatch(item["order_item_id"])
        assert 1 <= item["request_order_quantity"] <= 5
        price = item["item_price"]
        assert 0 <= price["item_tax"] <= price["base_price"] * Decimal("0.1") + Decimal("0.01")
    address = order["shipping_to"]["address"]
    assert re.fullmatch(r"[A-Z]{2}", address["state"])
    assert re.fullmatch(r"\d{5}", address["zip_code"])
    for key in ("order_placed_date", "order_transmission_date", "order_ready_date"):
        assert JET_STAMP.fullmatch(order[key])
    for key in ("request_ship_by", "request_delivery_by"):
        assert JET_STAMP.fullmatch(order["order_detail"][key])


def test_same_seed_gives_the_same_order_and_another_seed_does_not() -> None:
    assert make_order(seed=5) == make_order(seed=5)
    assert make_order(seed=5) != make_order(seed=6)


def test_buyers_repeat_with_the_same_email_and_name() -> None:
    factory = OrderFactory(1, buyer_pool_size=5)

    orders = [factory.order(placed_at=PLACED) for _ in range(30)]

    emails = Counter(o["hash_email"] for o in orders)
    assert max(emails.values()) > 1
    names_by_email: dict[Any, set[Any]] = {}
    for order in orders:
        names_by_email.setdefault(order["hash_email"], set()).add(order["buyer"]["name"])
    assert all(len(names) == 1 for names in names_by_email.values())


def test_unicode_and_one_word_names_appear_only_when_asked() -> None:
    plain = OrderFactory(2, buyer_pool_size=15)
    exotic = OrderFactory(2, buyer_pool_size=15, unicode_names=True, one_word_names=True)

    def has_unicode(names: list[str]) -> bool:
        return any(not name.isascii() for name in names)

    plain_names = [b.name for b in plain.buyers]
    exotic_names = [b.name for b in exotic.buyers]
    assert not has_unicode(plain_names)
    assert all(" " in name for name in plain_names)
    assert has_unicode(exotic_names)
    assert any(" " not in name for name in exotic_names)


def test_quantities_fix_the_lines_exactly() -> None:
    order = as_json(OrderFactory(3).order(placed_at=PLACED, quantities={"X-1": 4, "Y-2": 1}))

    lines = {i["merchant_sku"]: i["request_order_quantity"] for i in order["order_items"]}
    assert lines == {"X-1": 4, "Y-2": 1}


def test_same_sku_keeps_its_unit_price_across_orders() -> None:
    factory = OrderFactory(4)

    first = as_json(factory.order(placed_at=PLACED, quantities={"S": 2}))
    second = as_json(factory.order(placed_at=PLACED, quantities={"S": 3}))

    unit = first["order_items"][0]["item_price"]["base_price"] / 2
    assert second["order_items"][0]["item_price"]["base_price"] == unit * 3


@pytest.mark.parametrize("status", ["created", "ready", "acknowledged", "inprogress", "complete"])
def test_factory_statuses_carry_the_fields_of_that_status(status: Any) -> None:
    order = as_json(make_order(seed=8, status=status, placed_at=PLACED))

    assert order["status"] == status
    assert ("order_ready_date" in order) == (status != "created")
    assert ("order_acknowledge_date" in order) == (
        status in ("acknowledged", "inprogress", "complete")
    )
    assert ("shipments" in order) == (status in ("inprogress", "complete"))


def test_complete_order_ships_every_unit() -> None:
    order = as_json(make_order(seed=9, status="complete", placed_at=PLACED))

    shipped: Counter[str] = Counter()
    for shipment in order["shipments"]:
        for line in shipment["shipment_items"]:
            shipped[line["merchant_sku"]] += line["response_shipment_sku_quantity"]
    assert shipped == {i["merchant_sku"]: i["request_order_quantity"] for i in order["order_items"]}


def test_naive_placed_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_order(placed_at=datetime(2020, 1, 1))
