"""The default mappings build records without re-running their validators only when an inline
check has shown every validator would pass: the records are the ones the validated constructors
build, and any value that would fail a validator still fails it, with the same error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from jet_orderhive._errors import JetOrderhiveTypeError
from jet_orderhive.jet import JetOrder
from jet_orderhive.jet.models import ItemPrice
from jet_orderhive.mapping import MappingContext, Mappings, StatusDecision, extras, lines, orders
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import (
    Address,
    ExtraItem,
    LineItem,
    SalesOrder,
    _unvalidated,
)
from jet_orderhive.testing.factories import OrderFactory

STATUSES = ("created", "ready", "acknowledged", "inprogress", "complete")
CTX = MappingContext(import_created=True)


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Switch the default mappings to the records' own (validating) constructors."""

    def switch() -> None:
        monkeypatch.setattr(lines, "make_line_item", LineItem)
        monkeypatch.setattr(extras, "make_extra_item", ExtraItem)
        monkeypatch.setattr(orders, "make_sales_order", SalesOrder)

    return switch


def _outcome(read: Callable[[], object]) -> tuple[str, Any]:
    try:
        record = read()
    except Exception as error:
        return ("error", (type(error), str(error)))
    return ("record", (repr(record), record))


def _jet_order(seed: int, status: str) -> JetOrder:
    order = OrderFactory(seed=seed).order(status=status)  # type: ignore[arg-type]
    return JetOrder.from_dict(order)


def _both(jet_order: JetOrder, switch: Callable[[], None], mappings: Mappings) -> tuple[Any, Any]:
    fast = _outcome(lambda: mappings.map_order(jet_order, CTX))
    switch()
    careful = _outcome(lambda: mappings.map_order(jet_order, CTX))
    return fast, careful


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("seed", range(12))
def test_mapped_orders_equal_the_validated_build(
    validated: Callable[[], None], status: str, seed: int
) -> None:
    jet_order = _jet_order(seed, status)
    fast, careful = _both(jet_order, validated, Mappings.default())
    assert fast == careful
    kind, (_, order) = fast
    assert kind == "record"
    # Every validator holds on what was built without running them.
    for record in (order, *order.line_items, *order.extra_items):
        attrs.validate(record)


def _evolve_line(jet_order: JetOrder, **price: Any) -> JetOrder:
    item = jet_order.order_items[0]
    bad_price = attrs.evolve(item.item_price, **price)
    items = (attrs.evolve(item, item_price=bad_price), *jet_order.order_items[1:])
    return attrs.evolve(jet_order, order_items=items)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda o: _evolve_line(o, item_tax=Decimal("NaN")),
        lambda o: _evolve_line(o, item_tax=0.5),
        lambda o: _evolve_line(o, item_tax=1),
        lambda o: attrs.evolve(
            o,
            order_items=(
                attrs.evolve(o.order_items[0], request_order_quantity=True),
                *o.order_items[1:],
            ),
        ),
        lambda o: attrs.evolve(o, order_placed_date=datetime(2026, 1, 2, 3, 4, 5)),
        lambda o: attrs.evolve(
            o,
            order_totals=attrs.evolve(
                o.order_totals,
                item_price=ItemPrice(
                    base_price=o.order_totals.item_price.base_price,
                    item_tax=o.order_totals.item_price.item_tax,
                    item_shipping_cost=Decimal("Infinity"),
                ),
            ),
        ),
    ],
)
def test_a_user_built_order_with_bad_values_fails_as_it_always_did(
    validated: Callable[[], None], break_it: Callable[[JetOrder], JetOrder]
) -> None:
    fast, careful = _both(break_it(_jet_order(4, "ready")), validated, Mappings.default())
    assert fast == careful
    assert fast[0] == "error"


def test_a_user_mapping_returning_the_wrong_records_fails_in_the_validator(
    validated: Callable[[], None],
) -> None:
    def my_lines(jet_order: JetOrder, ctx: MappingContext, returns: Any = ()) -> Any:
        return ["not a line"]

    mappings = attrs.evolve(Mappings.default(), line_items=my_lines)
    fast, careful = _both(_jet_order(2, "ready"), validated, mappings)
    assert fast == careful
    kind, (error_type, message) = fast
    assert kind == "error"
    assert error_type is JetOrderhiveTypeError
    assert "line_items[0] must be a LineItem" in message


def test_unvalidated_constructors_apply_defaults_and_converters() -> None:
    address = {"name": "A", "email": "  Buyer@Example.COM "}
    assert _unvalidated(Address)(**address) == Address(**address)
    line = LineItem(
        sku="S",
        name="N",
        variant_id="V",
        quantity_ordered=2,
        price=Decimal("1.50"),
        row_total=Decimal("3.00"),
    )
    fields = {field.name: getattr(line, field.name) for field in attrs.fields(LineItem)}
    fields.pop("discount")  # left to its default
    order: dict[str, Any] = {
        "channel_order_id": "o",
        "channel_order_number": "n",
        "channel_status": "ready",
        "order_status": OrderStatus.CONFIRMED,
        "placed_at": datetime(2026, 1, 2, tzinfo=UTC),
        "grand_total": Decimal("3.00"),
        "billing_address": Address(),
        "shipping_address": Address(),
        "line_items": [line],  # a list: the converter makes it a tuple
        "customer_email": " X@Y.Z ",
    }
    built = _unvalidated(SalesOrder)(**order)
    assert built == SalesOrder(**order)
    assert repr(built) == repr(SalesOrder(**order))
    assert built.line_items == (line,)
    assert built.customer_email == "x@y.z"
    assert _unvalidated(LineItem)(**fields) == line


def _strip(text: str) -> str:
    return text.strip()


def test_unvalidated_constructors_take_inits_parameter_names() -> None:
    @attrs.frozen(kw_only=True)
    class Private:
        _secret: str = attrs.field(converter=_strip)
        import_: bool = False

    make = _unvalidated(Private)
    assert make is not Private
    assert make(secret=" x ", import_=True) == Private(secret=" x ", import_=True)
    decision: dict[str, Any] = {
        "jet_status": "ready",
        "status": OrderStatus.CONFIRMED,
        "import_": True,
    }
    assert _unvalidated(StatusDecision)(reason="r", **decision) == StatusDecision(
        reason="r", **decision
    )


def test_a_record_with_init_hooks_is_built_by_its_class() -> None:
    @attrs.frozen(kw_only=True)
    class Hooked:
        value: int

        def __attrs_post_init__(self) -> None:
            raise ValueError("checked")

    assert _unvalidated(Hooked) is Hooked
