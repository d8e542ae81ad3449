"""Jet's JSON as the client accepts it: every hostile body is a JetPayloadError naming the path.

Deep nesting, lone surrogates, invalid UTF-8, duplicate keys and NaN/Infinity never escape as
``RecursionError``, ``UnicodeEncodeError`` or a silently accepted value.
"""

from __future__ import annotations

import json

import httpx
import pytest
from client_fixtures import both_clients, harness, order_body, order_id

from jet_orderhive._json import dumps
from jet_orderhive.jet._convert import from_json
from jet_orderhive.jet._wire_json import MAX_DEPTH, read_json
from jet_orderhive.jet.errors import JetPayloadError
from jet_orderhive.jet.models import JetOrder, OrderUrls

OID = order_id(7)
DETAIL = "/api/orders/withoutShipmentDetail/" + OID


def _order_text(**changes: str) -> str:
    """A valid order body as JSON text, with ``changes`` spliced in as raw JSON values."""
    text = dumps(order_body(OID))
    for key, raw in changes.items():
        text = text.replace('"merchant_order_id"', f'"{key}": {raw}, "merchant_order_id"', 1)
    return text


def _errors(body: bytes | str, cls: type = JetOrder) -> list[str]:
    with pytest.raises(JetPayloadError) as caught:
        from_json(body, cls)
    return list(caught.value.errors)


def test_deep_nesting_is_a_payload_error_not_a_recursion_error() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    errors = _errors(_order_text(junk=deep))
    assert any("nest" in e for e in errors), errors


def test_nesting_over_the_limit_names_where_it_starts() -> None:
    nested = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    errors = _errors(_order_text(junk=nested))
    assert any(e.startswith("junk") and f"more than {MAX_DEPTH}" in e for e in errors), errors


def test_nesting_within_the_limit_is_read() -> None:
    nested = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    order = from_json(_order_text(junk=nested), JetOrder)
    assert "junk" in order.extra


@pytest.mark.parametrize("escape", ["\\udc80", "\\ud800", "\\udfff", "x\\ud83dy"])
def test_a_lone_surrogate_escape_is_a_payload_error_at_its_path(escape: str) -> None:
    text = _order_text().replace('"name":"', f'"name":"{escape}', 1)
    errors = _errors(text)
    assert any(e.startswith("buyer.name") and "surrogate" in e for e in errors), errors


def test_a_lone_surrogate_in_a_key_is_a_payload_error() -> None:
    errors = _errors(_order_text().replace('"buyer"', '"bu\\udc80yer"', 1))
    assert any("surrogate" in e for e in errors), errors


def test_a_proper_surrogate_pair_is_an_ordinary_character() -> None:
    text = _order_text().replace('"name":"', '"name":"\\ud83d\\ude00', 1)
    assert from_json(text, JetOrder).buyer.name.startswith("\U0001f600")


def test_invalid_utf8_is_a_payload_error_naming_the_byte() -> None:
    body = _order_text().encode().replace(b'"name":"', b'"name":"\xff\xfe', 1)
    errors = _errors(body)
    assert any("UTF-8" in e and "0xff" in e for e in errors), errors


def test_a_duplicate_key_is_a_payload_error_at_its_path() -> None:
    text = _order_text().replace(
        '"merchant_order_id"', f'"merchant_order_id": "{order_id(8)}","merchant_order_id"', 1
    )
    errors = _errors(text)
    assert errors == ["merchant_order_id: the key appears more than once"]


def test_a_duplicate_key_deep_inside_is_named_with_its_full_path() -> None:
    text = dumps(order_body(OID))
    text = text.replace('"base_price":', '"base_price":1,"base_price":', 1)
    errors = _errors(text)
    assert any(".item_price.base_price: the key appears more than once" in e for e in errors)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_payload_errors_at_their_path(constant: str) -> None:
    errors = _errors(_order_text(junk=constant))
    assert errors == [f"junk: {constant} is not a JSON number"]


@pytest.mark.parametrize("body", [b"", b"<html>502 Bad Gateway</html>", b"{", b"\x1f\x8b\x08"])
def test_a_body_that_is_not_json_is_a_payload_error(body: bytes) -> None:
    _errors(body)


def test_many_problems_are_reported_up_to_a_cap() -> None:
    text = json.dumps({"order_urls": ["x"] * 5}).replace('"x"', '"\\udc80"')
    errors = _errors(text, OrderUrls)
    assert len(errors) == 5
    many = json.dumps({"junk": ["x"] * 5000}).replace('"x"', '"\\udc80"')
    with pytest.raises(ValueError, match="more") as caught:
        read_json(many)
    assert len(str(caught.value)) < 5000


@both_clients
@pytest.mark.parametrize(
    "body",
    [
        _order_text(junk="[" * 100_000 + "]" * 100_000),
        _order_text().replace('"name":"', '"name":"\\udc80', 1),
        _order_text(junk="NaN"),
    ],
    ids=["deep", "surrogate", "nan"],
)
async def test_the_client_quarantines_a_hostile_body_with_its_bytes(kind: str, body: str) -> None:
    async with harness(kind, rate_limit=None) as h:
        h.jet.script("GET", DETAIL, httpx.Response(200, content=body.encode()))
        fetched = await h.collect("fetch_orders", [OID])
        h.jet.script("GET", DETAIL, httpx.Response(200, content=body.encode()))
        with pytest.raises(JetPayloadError):
            await h.call("get_order", OID)
    assert isinstance(fetched[0].error, JetPayloadError)
    assert fetched[0].raw == body.encode()
