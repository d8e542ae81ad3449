"""Reading skips the path-naming walk only when the text rules every problem out: each kind of
problem is still found, with its path, whether the text is bytes or str."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jet_orderhive._json import dumps
from jet_orderhive.jet._wire_json import MAX_DEPTH, JsonProblems, read_json
from jet_orderhive.testing.factories import OrderFactory


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"a": "\\ud800"}', "a: lone surrogate U+D800"),
        ('{"a": ["x", "\\uDFFF"]}', "a[1]: lone surrogate U+DFFF"),
        ('{"a": 1, "a": 2}', "a: the key appears more than once"),
        ('{"a": {"b": NaN}}', "a.b: NaN is not a JSON number"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nests more than"),
    ],
)
@pytest.mark.parametrize("as_bytes", [True, False])
def test_every_problem_is_still_found(text: str, problem: str, as_bytes: bool) -> None:
    with pytest.raises(JsonProblems) as caught:
        read_json(text.encode() if as_bytes else text)
    assert any(problem in line for line in caught.value.errors)


def test_a_raw_lone_surrogate_in_a_str_is_found() -> None:
    with pytest.raises(JsonProblems, match="U\\+DC80"):
        read_json('{"name": "\udc80"}')


@pytest.mark.parametrize("as_bytes", [True, False])
def test_nesting_up_to_the_limit_and_harmless_escapes_are_read(as_bytes: bool) -> None:
    text = "[" * MAX_DEPTH + '"\\u00e9\\\\ud800"' + "]" * MAX_DEPTH
    value = read_json(text.encode() if as_bytes else text)
    for _ in range(MAX_DEPTH):
        assert isinstance(value, list)
        value = value[0]
    assert value == "é\\ud800"


def test_real_orders_read_exactly_as_json_loads_reads_them() -> None:
    factory = OrderFactory(seed=5, unicode_names=True)
    for _ in range(50):
        raw = dumps(factory.order(placed_at=datetime(2020, 1, 1, tzinfo=UTC))).encode()
        assert read_json(raw) == json.loads(raw, parse_float=Decimal)
