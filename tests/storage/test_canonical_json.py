"""The storages' canonical JSON of a record, written from its fields, is the text the general
writer makes of ``record.to_dict()``, byte for byte, and falls back to it for anything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jet_orderhive import _json
from jet_orderhive.orderhive import (
    Address,
    Comment,
    Customer,
    ExtraItem,
    LineItem,
    SalesOrder,
    Shipment,
    ShipmentLine,
)
from jet_orderhive.orderhive._convert import unstructure
from jet_orderhive.orderhive.enums import (
    CommentKind,
    ExtraItemType,
    OrderStatus,
    PaymentStatus,
    TaxType,
)
from jet_orderhive.storage._canonical import build_writer, record_json, writer_of
from jet_orderhive.testing.storage_kit import make_customer, make_sales_order


def general(record: SalesOrder | Customer) -> str:
    return _json.dumps(record.to_dict(), sort_keys=True)


# Text with what JSON must escape (quotes, backslashes, control characters, NUL), what it must
# not (non-ASCII, lone surrogates), and what looks like the general writer's Decimal marks.
texts = st.text() | st.sampled_from(["", '"', "\\", "\x00", "\x00D1.5\x00", "\\u0000", "é☃"])
optional_texts = st.none() | texts
amounts = st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [Decimal("1E+3"), Decimal("-0"), Decimal("0.000001"), Decimal("1E-7"), Decimal("10.10")]
)
counts = st.integers(min_value=0, max_value=10**30)
offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
times = st.builds(
    lambda naive, zone, fold: naive.replace(tzinfo=zone, fold=fold),
    st.datetimes(),
    st.sampled_from([UTC]) | offsets,
    st.integers(0, 1),
)
optional_times = st.none() | times

addresses = st.builds(
    Address,
    **{field.name: optional_texts for field in attrs.fields(Address)},
)
line_items = st.builds(
    LineItem,
    sku=texts,
    name=texts,
    variant_id=texts,
    quantity_ordered=counts,
    price=amounts,
    row_total=amounts,
    discount=amounts,
    tax_value=amounts,
    tax_percent=amounts,
    quantity_shipped=counts,
    quantity_cancelled=counts,
    quantity_returned=counts,
    quantity_cancel_requested=counts,
    alt_order_item_id=optional_texts,
)
extra_items = st.builds(
    ExtraItem,
    type=st.sampled_from(ExtraItemType),
    name=texts,
    price=amounts,
    quantity_ordered=counts,
    tax_value=amounts,
    tax_percent=amounts,
)
shipments = st.builds(
    Shipment,
    lines=st.lists(
        st.builds(ShipmentLine, sku=texts, quantity_shipped=counts, quantity_cancelled=counts),
        max_size=3,
    ),
    courier_name=optional_texts,
    tracking_number=optional_texts,
    shipping_date=optional_times,
    shipping_method=optional_texts,
    expected_delivery_date=optional_times,
    carrier_pick_up_date=optional_times,
    ship_from_zip_code=optional_texts,
    channel_shipment_id=optional_texts,
    alt_shipment_id=optional_texts,
)
comments = st.builds(Comment, key=texts, kind=st.sampled_from(CommentKind), text=texts)
orders = st.builds(
    SalesOrder,
    channel_order_id=texts,
    channel_order_number=texts,
    channel_status=texts | st.sampled_from(OrderStatus),  # a str subclass in a str field
    order_status=st.sampled_from(OrderStatus),
    placed_at=times,
    grand_total=amounts,
    billing_address=addresses,
    shipping_address=addresses,
    line_items=st.lists(line_items, max_size=3),
    extra_items=st.lists(extra_items, max_size=2),
    shipments=st.lists(shipments, max_size=2),
    comments=st.lists(comments, max_size=2),
    customer_email=optional_texts,
    payment_method=texts,
    payment_status=st.sampled_from(PaymentStatus),
    currency=texts,
    tax_type=st.sampled_from(TaxType),
    directed_cancel=st.booleans(),
    partially_cancel=st.booleans(),
    customer_reference_order_id=optional_texts,
    alt_order_id=optional_texts,
    fulfillment_node_id=optional_texts,
    shipping_carrier=optional_texts,
    shipping_service=optional_texts,
    shipping_due_date=optional_times,
    delivery_date=optional_times,
)
customers = st.builds(
    Customer,
    email=texts.filter(lambda text: bool(text.strip())),
    first_name=optional_texts,
    last_name=optional_texts,
    phone=optional_texts,
    addresses=st.lists(addresses, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(order=orders)
def test_an_order_is_written_as_the_general_writer_writes_it(order: SalesOrder) -> None:
    # The generated writer itself, so a fallback to the general way cannot hide a difference.
    assert writer_of(SalesOrder)(order) == general(order)
    assert record_json(order) == general(order)


@settings(max_examples=200, deadline=None)
@given(customer=customers)
def test_a_customer_is_written_as_the_general_writer_writes_it(customer: Customer) -> None:
    assert writer_of(Customer)(customer) == general(customer)
    assert record_json(customer) == general(customer)


class _Subclass(SalesOrder):
    pass


class _Moment(datetime):
    pass


def _forced(record: Any, **values: object) -> Any:
    """``record`` with fields set past its validators, as a careless caller could."""
    copy = attrs.evolve(record)
    for name, value in values.items():
        object.__setattr__(copy, name, value)
    return copy


@pytest.mark.parametrize(
    "record",
    [
        # A field holding another type than declared, which the general writer writes as is.
        attrs.evolve(make_sales_order(), channel_status=5),  # type: ignore[arg-type]
        _forced(make_sales_order(), directed_cancel=1),
        _forced(make_sales_order(), grand_total=7),
        _forced(make_sales_order(), placed_at=_Moment(2026, 1, 1, tzinfo=UTC)),
        _forced(make_sales_order(), line_items=[make_sales_order().line_items[0]]),
        attrs.evolve(make_customer(), first_name=("Jane",)),  # type: ignore[arg-type]
        # A subclass: the general writer decides what it writes.
        _Subclass(**attrs.asdict(make_sales_order(), recurse=False)),
    ],
)
def test_what_the_writer_was_not_made_for_is_written_the_general_way(record: Any) -> None:
    assert record_json(record) == general(record)


@pytest.mark.parametrize(
    ("record", "error"),
    [
        (_forced(make_sales_order(), grand_total=Decimal("NaN")), ValueError),
        (_forced(make_sales_order(), grand_total=1.5), TypeError),
        (_forced(make_sales_order(), placed_at=object()), AttributeError),
    ],
)
def test_what_the_general_writer_refuses_is_refused_alike(
    record: SalesOrder, error: type[Exception]
) -> None:
    with pytest.raises(error) as general_error:
        general(record)
    with pytest.raises(error) as fast_error:
        record_json(record)
    assert str(fast_error.value) == str(general_error.value)


def test_the_texts_that_tell_unchanged_from_updated_differ_for_equal_values() -> None:
    # Equal records may be written differently; the storages compare the text (docs/storage.md).
    order = make_sales_order(unit_price=Decimal("19.90"))
    fewer_digits = make_sales_order(unit_price=Decimal("19.9"))
    elsewhere = make_sales_order(
        placed_at=datetime(2026, 1, 1, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))
    )
    assert fewer_digits == order
    assert record_json(fewer_digits) != record_json(order)
    assert elsewhere == make_sales_order(placed_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert record_json(elsewhere) != record_json(
        make_sales_order(placed_at=datetime(2026, 1, 1, tzinfo=UTC))
    )


@attrs.frozen
class _Tagged:
    name: str
    tags: dict[str, str]


@attrs.frozen
class _Holder:
    inner: _Tagged


def test_a_record_with_a_field_type_it_cannot_write_gets_no_writer() -> None:
    assert build_writer(_Tagged) is None
    assert build_writer(_Holder) is None
    write = build_writer(Comment)
    assert write is not None
    comment = Comment(key="k", kind=CommentKind.NOTE, text="t")
    assert write(comment) == _json.dumps(unstructure(comment), sort_keys=True)
