"""Both status tables, row by row."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from mapping_data import known_order_data

from jet_orderhive.jet import JetOrder
from jet_orderhive.mapping import (
    MappingContext,
    MappingError,
    decide_status_in,
    map_order,
)
from jet_orderhive.orderhive import CommentKind, OrderStatus

_SHIP_ONE = {"carrier": "UPS", "shipment_tracking_number": "1Z999",
             "response_shipment_date": "2016-05-11T10:00:00.0000000-04:00",
             "shipment_items": [
                 {"merchant_sku": "C-300", "response_shipment_sku_quantity": 1}]}  # fmt: skip
_CANCEL_ONE = {"alt_shipment_id": "C-1", "shipment_items": [
    {"merchant_sku": "C-300", "response_shipment_sku_quantity": 0,
     "response_shipment_cancel_qty": 1}]}  # fmt: skip
_CANCEL_ALL = {"alt_shipment_id": "C-2", "shipment_items": [
    {"merchant_sku": "C-300", "response_shipment_sku_quantity": 0,
     "response_shipment_cancel_qty": 3},
    {"merchant_sku": "B289B4B", "response_shipment_sku_quantity": 0,
     "response_shipment_cancel_qty": 2}]}  # fmt: skip


def _order(status: str, shipments: list[dict[str, Any]] | None = None, **extra: Any) -> JetOrder:
    data = known_order_data()
    data["status"] = status
    if shipments is not None:
        data["shipments"] = shipments
    data.update(extra)
    return JetOrder.from_dict(data)


@pytest.mark.parametrize(
    ("jet_status", "shipments", "expected"),
    [
        ("ready", None, OrderStatus.CONFIRMED),
        ("acknowledged", None, OrderStatus.CONFIRMED),
        ("inprogress", [_SHIP_ONE], OrderStatus.PARTIALLY_SHIPPED),
        ("inprogress", [_SHIP_ONE, _CANCEL_ONE], OrderStatus.PARTIALLY_SHIPPED),
        ("inprogress", [_CANCEL_ONE], OrderStatus.CONFIRMED),
        ("complete", [_SHIP_ONE], OrderStatus.SHIPPED),
        ("complete", [_CANCEL_ALL], OrderStatus.CANCELLED),
        ("complete", None, OrderStatus.CANCELLED),
    ],
)
def test_status_in_rows(
    jet_status: str, shipments: list[dict[str, Any]] | None, expected: OrderStatus
) -> None:
    decision = decide_status_in(_order(jet_status, shipments), MappingContext())
    assert decision.import_
    assert decision.status is expected
    assert decision.unknown is None


def test_inprogress_with_only_cancellations_flags_partial_cancel() -> None:
    decision = decide_status_in(_order("inprogress", [_CANCEL_ONE]), MappingContext())
    assert decision.partially_cancel
    assert not decide_status_in(
        _order("complete", [_CANCEL_ALL]), MappingContext()
    ).partially_cancel


def test_ready_maps_to_not_confirmed_for_manual_review() -> None:
    decision = decide_status_in(_order("ready"), MappingContext(confirm_on_import=False))
    assert decision.status is OrderStatus.NOT_CONFIRMED
    acknowledged = decide_status_in(_order("acknowledged"), MappingContext(confirm_on_import=False))
    assert acknowledged.status is OrderStatus.CONFIRMED


def test_created_is_not_imported_by_default() -> None:
    decision = decide_status_in(_order("created"), MappingContext())
    assert not decision.import_
    assert decision.status is None
    assert decision.unknown is None
    with pytest.raises(MappingError, match="import_created"):
        map_order(_order("created"), MappingContext())


def test_created_imports_as_not_confirmed_when_the_setting_asks() -> None:
    ctx = MappingContext(import_created=True)
    decision = decide_status_in(_order("created"), ctx)
    assert (decision.import_, decision.status) == (True, OrderStatus.NOT_CONFIRMED)
    assert map_order(_order("created"), ctx).order_status is OrderStatus.NOT_CONFIRMED


def test_unknown_jet_status_lands_in_the_unknown_bucket() -> None:
    decision = decide_status_in(_order("on hold"), MappingContext())
    assert decision.unknown == "on hold"
    assert (decision.status, decision.import_) == (None, False)
    with pytest.raises(MappingError, match="on hold"):
        map_order(_order("on hold"), MappingContext())


def test_complete_with_every_unit_cancelled_is_cancelled() -> None:
    order = map_order(_order("complete", [_CANCEL_ALL]), MappingContext())
    assert order.order_status is OrderStatus.CANCELLED
    assert all(line.quantity_cancelled == line.quantity_ordered for line in order.line_items)


def test_directed_cancel_sets_flag_and_comment_without_changing_status() -> None:
    data = known_order_data()
    data["jet_request_directed_cancel"] = True
    data["order_items"][1]["request_order_cancel_qty"] = 3  # type: ignore[index]
    plain = map_order(JetOrder.from_dict(known_order_data()), MappingContext())
    asked = map_order(JetOrder.from_dict(data), MappingContext())
    assert asked.order_status is plain.order_status is OrderStatus.CONFIRMED
    assert asked.directed_cancel
    assert not plain.directed_cancel
    (comment,) = [c for c in asked.comments if c.kind is CommentKind.DIRECTED_CANCEL]
    assert "C-300 x3" in comment.text
    assert asked.line_items[1].quantity_cancel_requested == 3


def test_directed_cancel_needs_no_action_once_nothing_is_open() -> None:
    data = known_order_data()
    data["status"] = "complete"
    data["jet_request_directed_cancel"] = True
    data["shipments"] = [_CANCEL_ALL]
    assert not map_order(JetOrder.from_dict(data), MappingContext()).directed_cancel


def test_decision_is_frozen() -> None:
    decision = decide_status_in(_order("ready"), MappingContext())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decision.import_ = False  # type: ignore[misc]


def test_answered_directed_cancel_clears_the_flag_while_other_units_stay_open() -> None:
    data = known_order_data()
    data["status"] = "inprogress"
    data["jet_request_directed_cancel"] = True
    data["order_items"][1]["request_order_cancel_qty"] = 1  # type: ignore[index]
    data["shipments"] = [_CANCEL_ONE]
    order = map_order(JetOrder.from_dict(data), MappingContext())
    assert not order.directed_cancel
    assert order.line_items[1].quantity_cancel_requested == 0
    assert not [c for c in order.comments if c.kind is CommentKind.DIRECTED_CANCEL]


def test_partly_answered_directed_cancel_keeps_the_rest_requested() -> None:
    data = known_order_data()
    data["status"] = "inprogress"
    data["jet_request_directed_cancel"] = True
    data["order_items"][1]["request_order_cancel_qty"] = 2  # type: ignore[index]
    data["shipments"] = [_CANCEL_ONE]
    order = map_order(JetOrder.from_dict(data), MappingContext())
    assert order.directed_cancel
    assert order.line_items[1].quantity_cancel_requested == 1


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        ("complete", {"exception_state": "exception - order rejected"}),
        ("complete", {"exception_state": "exception - jet manual canceled to complete state"}),
        ("ready", {"acknowledgement_status": "rejected - item level error"}),
    ],
    ids=["rejected", "cancelled-by-jet", "rejection-seen-before-complete"],
)
def test_a_closed_order_counts_every_unshipped_unit_cancelled(
    status: str, extra: dict[str, Any]
) -> None:
    order = map_order(_order(status, [], **extra), MappingContext(import_created=True))
    assert [line.quantity_cancelled for line in order.line_items] == [2, 3]
    assert all(line.quantity_open == 0 for line in order.line_items)


def test_a_completed_order_cancels_only_what_it_did_not_ship() -> None:
    order = map_order(_order("complete", [_SHIP_ONE]), MappingContext())
    by_sku = {line.sku: line for line in order.line_items}
    assert (by_sku["C-300"].quantity_shipped, by_sku["C-300"].quantity_cancelled) == (1, 2)
    assert by_sku["B289B4B"].quantity_cancelled == 2
