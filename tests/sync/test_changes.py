from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping import cancel_shipment_id as cancel_id
from jet_orderhive.mapping.reconcile import PushAsk, Verdict, decide, view_of
from jet_orderhive.mapping.status import PushAction
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import Address, LineItem, SalesOrder, Shipment, ShipmentLine
from jet_orderhive.sync._changes import apply_shipment, cancel_lines
from jet_orderhive.sync._sides import snapshot_of
from jet_orderhive.testing.factories import OrderFactory


def _order(**quantities: int) -> SalesOrder:
    lines = tuple(
        LineItem(
            sku=sku,
            name=sku,
            variant_id=f"item-{sku}",
            quantity_ordered=qty,
            price=Decimal(1),
            row_total=Decimal(qty),
        )
        for sku, qty in quantities.items()
    )
    return SalesOrder(
        channel_order_id="o1",
        channel_order_number="100",
        channel_status="acknowledged",
        order_status=OrderStatus.CONFIRMED,
        placed_at=datetime(2026, 1, 1, tzinfo=UTC),
        grand_total=sum((line.row_total for line in lines), Decimal(0)),
        billing_address=Address(name="x"),
        shipping_address=Address(name="x"),
        line_items=lines,
    )


def _ship(sku: str, shipped: int = 0, cancelled: int = 0) -> Shipment:
    line = ShipmentLine(sku=sku, quantity_shipped=shipped, quantity_cancelled=cancelled)
    return Shipment(lines=(line,), courier_name="UPS", tracking_number="1Z123")


def test_a_directed_cancel_flag_stays_while_units_are_open_and_clears_once_none_is() -> None:
    asked = attrs.evolve(_order(A=2, B=1), directed_cancel=True)
    partly = apply_shipment(asked, _ship("A", shipped=1))
    assert partly.directed_cancel, "units are still open: the ask may still be unanswered"
    settled = apply_shipment(partly, Shipment(lines=cancel_lines(partly, None)))
    assert not settled.directed_cancel, "no unit is open: Jet's order is complete"


def test_partial_shipment_then_rest_moves_status_along() -> None:
    order = apply_shipment(_order(A=3, B=1), _ship("A", shipped=2))
    assert order.order_status is OrderStatus.PARTIALLY_SHIPPED
    assert [line.quantity_shipped for line in order.line_items] == [2, 0]
    order = apply_shipment(order, _ship("A", shipped=1))
    order = apply_shipment(order, _ship("B", cancelled=1))
    assert order.order_status is OrderStatus.SHIPPED


def test_cancelling_every_unit_cancels_the_order_and_partial_cancel_flags_it() -> None:
    partly = apply_shipment(_order(A=2), _ship("A", cancelled=1))
    assert partly.partially_cancel
    assert partly.order_status is OrderStatus.CONFIRMED
    whole = apply_shipment(_order(A=2), Shipment(lines=cancel_lines(_order(A=2), None)))
    assert whole.order_status is OrderStatus.CANCELLED


def test_more_units_than_open_are_refused_naming_the_sku() -> None:
    with pytest.raises(ValueError, match="'A'"):
        apply_shipment(_order(A=1), _ship("A", shipped=2))
    with pytest.raises(ValueError, match="'Z'"):
        apply_shipment(_order(A=1), _ship("Z", shipped=1))


def test_a_second_cancel_of_the_same_units_gets_a_new_id_but_a_retry_does_not() -> None:
    order = _order(A=3)
    first = cancel_id(order, {"A": 1})
    assert cancel_id(order, {"A": 1}) == first
    after = apply_shipment(order, _ship("A", cancelled=1))
    assert cancel_id(after, {"A": 1}) != first


def _jet_order(status: str, **changes: object) -> JetOrder:
    payload = OrderFactory(3).order(status="ready")
    payload["status"] = status
    payload.update(changes)  # type: ignore[arg-type]
    return JetOrder.from_dict(payload)


def _decide(kind: str, order: JetOrder, alt_id: str | None = None) -> Verdict:
    ask = PushAsk(action=PushAction(kind), alt_shipment_id=alt_id)
    snapshot = snapshot_of(order, listed_cancelled=False)
    return decide(view_of(snapshot, fresh=True), ask).verdict


def test_reconcile_treats_an_already_applied_push_as_done() -> None:
    assert _decide("acknowledge", _jet_order("ready")) is Verdict.SEND
    accepted = _jet_order("acknowledged", acknowledgement_status="accepted")
    assert _decide("acknowledge", accepted) is Verdict.DONE
    rejected = _jet_order("complete", acknowledgement_status="rejected - other")
    assert _decide("acknowledge", rejected) is Verdict.IMPOSSIBLE
    assert _decide("reject", rejected) is Verdict.DONE
    shipped = _jet_order(
        "inprogress",
        shipments=[{"alt_shipment_id": "S-1", "shipment_items": []}],
    )
    assert _decide("ship", shipped, "S-1") is Verdict.DONE
    assert _decide("ship", shipped, "S-2") is Verdict.SEND
    assert _decide("cancel", _jet_order("ready"), "C-1") is Verdict.WAIT
    assert _decide("ship", _jet_order("complete"), "S-3") is Verdict.IMPOSSIBLE


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 3), st.integers(0, 3)),
        max_size=6,
    )
)
def test_recorded_units_never_exceed_what_was_ordered(steps: list[tuple[str, int, int]]) -> None:
    order = _order(A=3, B=2)
    for sku, shipped, cancelled in steps:
        try:
            order = apply_shipment(order, _ship(sku, shipped=shipped, cancelled=cancelled))
        except ValueError:
            continue
    for line in order.line_items:
        assert 0 <= line.quantity_shipped + line.quantity_cancelled <= line.quantity_ordered
    settled = all(line.quantity_open == 0 for line in order.line_items)
    shipped_any = any(line.quantity_shipped for line in order.line_items)
    if settled:
        expected = OrderStatus.SHIPPED if shipped_any else OrderStatus.CANCELLED
        assert order.order_status is expected
    elif shipped_any:
        assert order.order_status is OrderStatus.PARTIALLY_SHIPPED
