"""Exact JSON: fractions read as Decimal, Decimal written as a plain number, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive._json import dumps, loads


def test_fractions_are_read_as_exact_decimals_and_integers_stay_integers() -> None:
    value = loads('{"a": 0.1, "b": 19.995, "c": 3, "d": 1e2}')
    assert value == {"a": Decimal("0.1"), "b": Decimal("19.995"), "c": 3, "d": Decimal("1E+2")}
    assert isinstance(value, dict)
    assert type(value["c"]) is int
    assert value["a"] + Decimal("0.2") == Decimal("0.3")


def test_decimals_are_written_as_plain_numbers_keeping_their_digits() -> None:
    assert dumps({"p": Decimal("10.10"), "q": Decimal("1E+2"), "r": Decimal("0.000001")}) == (
        '{"p":10.10,"q":100,"r":0.000001}'
    )


def test_floats_are_refused_because_they_are_not_exact() -> None:
    with pytest.raises(TypeError, match="float"):
        dumps({"price": 9.99})


def test_non_finite_decimals_are_refused() -> None:
    with pytest.raises(ValueError, match="JSON number"):
        dumps(Decimal("NaN"))


def test_keys_must_be_strings_and_can_be_sorted() -> None:
    with pytest.raises(TypeError, match="keys must be strings"):
        dumps({1: "a"})
    assert dumps({"b": 1, "a": [True, None, "é"]}, sort_keys=True) == '{"a":[true,null,"é"],"b":1}'


def test_unknown_objects_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot write set"):
        dumps({1, 2})


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    )
)
def test_decimals_round_trip_exactly(value: Decimal) -> None:
    again = loads(dumps({"v": value}))
    assert isinstance(again, dict)
    assert again["v"] == value
