from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.sync._desired import (
    bulk_results,
    diff_desired,
    group_by_sku,
    skus_named_in_errors,
)
from jet_orderhive.sync.prices import PriceLevel, desired_prices, price_levels
from jet_orderhive.sync.stock import StockLevel, desired_stock, stock_levels


def test_later_stock_entry_for_the_same_sku_and_node_wins() -> None:
    levels = [
        StockLevel(sku="A", quantity=1),
        StockLevel(sku="B", quantity=2),
        StockLevel(sku="A", quantity=7),
        StockLevel(sku="A", quantity=3, node_id="n2"),
    ]
    assert desired_stock(levels, "n1") == {("B", "n1"): 2, ("A", "n1"): 7, ("A", "n2"): 3}


def test_stock_without_any_node_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="fulfillment_node_id"):
        desired_stock([StockLevel(sku="A", quantity=1)], None)


def test_stock_mapping_form_is_read_and_validated() -> None:
    assert stock_levels({"A": 4}) == [StockLevel(sku="A", quantity=4)]
    with pytest.raises(ValueError, match="'A'"):
        stock_levels({"A": -1})
    with pytest.raises(TypeError, match="'A'"):
        stock_levels({"A": True})


def test_price_refuses_floats_and_non_positive_values() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        PriceLevel(sku="A", price=9.99)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="above 0"):
        PriceLevel(sku="A", price=Decimal(0))
    assert PriceLevel(sku="A", price=5).price == Decimal(5)  # type: ignore[arg-type]


def test_sku_level_price_is_keyed_by_empty_node() -> None:
    prices = price_levels({"A": Decimal("9.99")})
    prices.append(PriceLevel(sku="A", price=Decimal("8.50"), node_id="n1"))
    assert desired_prices(prices) == {("A", ""): Decimal("9.99"), ("A", "n1"): Decimal("8.50")}


def test_value_equal_to_last_pushed_is_skipped() -> None:
    plan = diff_desired(
        {("A", "n"): 1, ("B", "n"): 2, ("C", "n"): 3}, {("A", "n"): 1, ("B", "n"): 5}
    )
    assert plan.skip == {("A", "n"): 1}
    assert plan.send == {("B", "n"): 2, ("C", "n"): 3}


@given(
    st.dictionaries(st.tuples(st.sampled_from("ABC"), st.sampled_from("xy")), st.integers(0, 3)),
    st.dictionaries(st.tuples(st.sampled_from("ABC"), st.sampled_from("xy")), st.integers(0, 3)),
)
def test_diff_partitions_desired_values(
    desired: dict[tuple[str, str], int], last: dict[tuple[str, str], int]
) -> None:
    plan = diff_desired(desired, last)
    assert {**plan.send, **plan.skip} == desired
    assert all(last.get(key) == value for key, value in plan.skip.items())
    assert all(last.get(key) != value for key, value in plan.send.items())


def test_group_by_sku() -> None:
    assert group_by_sku({("A", "x"): 1, ("B", "x"): 2, ("A", "y"): 3}) == {
        "A": {"x": 1, "y": 3},
        "B": {"x": 2},
    }


def test_bulk_error_lines_are_attributed_to_the_skus_they_name() -> None:
    lines = [
        "Position 12, 14: Error: parsing sku 'ABCD' You must supply either an ASIN",
        "Position 2, 1: Error: parsing sky 'EF' bad",
        "Position 3, 1: Error: parsing sku 'UNKNOWN' bad",
    ]
    found = skus_named_in_errors(lines, ["ABCD", "EF", "GH"])
    assert set(found) == {"ABCD", "EF"}
    assert found["ABCD"].startswith("Position 12")


def test_bulk_errors_that_name_no_sku_fail_the_whole_file() -> None:
    failures, note = bulk_results(["A", "B"], "Processed with errors", 1, ["Position 1: bad"])
    assert set(failures) == {"A", "B"}
    assert note is not None


def test_a_clean_bulk_file_fails_nothing() -> None:
    assert bulk_results(["A"], "Processed successfully", 0, []) == ({}, None)
