"""The fast (C-encoder) path of ``_json.dumps`` writes exactly what the pure-Python writer
writes, Decimals as exact numbers and keys in the same order, and refuses the same values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive import _json


def slow_dumps(value: object, *, sort_keys: bool = False) -> str:
    parts: list[str] = []
    _json._write(value, parts, sort_keys)
    return "".join(parts)


decimals = st.decimals(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers() | decimals | st.text()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(value=values, sort_keys=st.booleans())
def test_the_fast_path_writes_what_the_pure_writer_writes(value: object, sort_keys: bool) -> None:
    assert _json.dumps(value, sort_keys=sort_keys) == slow_dumps(value, sort_keys=sort_keys)


@given(value=values)
def test_money_reads_back_exactly(value: object) -> None:
    text = _json.dumps({"v": value})
    assert _json.loads(text) == _json.loads(slow_dumps({"v": value}))


@pytest.mark.parametrize(
    "value",
    [
        {"a": "\x00D1.5\x00"},
        ["\x00", Decimal("1.50")],
        {"\x00k": Decimal("-0.001")},
        {"s": "\\u0000"},
        {"d": Decimal("1E+3"), "n": Decimal("-0"), "e": Decimal("0.000001")},
        # Text that ends or starts like a closing or an opening mark, beside real numbers.
        {"s": "x\\u0000", "d": Decimal("1.5"), "t": '\\u0000"'},
        ['\\u0000"', Decimal("2.50"), '"\\u0000', Decimal("-0.5"), "\\", '"'],
        {"\\u0000": Decimal("3.0"), '"\\u0000': "\\u0000\\u0000"},
    ],
)
def test_strings_that_look_like_the_marks_stay_strings(value: object) -> None:
    text = _json.dumps(value, sort_keys=True)
    assert text == slow_dumps(value, sort_keys=True)
    assert json.loads(text, parse_float=Decimal) == json.loads(
        slow_dumps(value, sort_keys=True), parse_float=Decimal
    )


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (1.5, TypeError, "float"),
        ({"a": [0.1]}, TypeError, "float"),
        ({1: "x"}, TypeError, "keys must be strings"),
        ({"a": object()}, TypeError, "cannot write object"),
        (Decimal("NaN"), ValueError, "cannot write"),
        ([Decimal("Infinity")], ValueError, "cannot write"),
    ],
)
def test_the_same_values_are_refused(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _json.dumps(value)
