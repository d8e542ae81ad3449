"""Ids, SKUs and query values that cannot form a valid request are refused before any request.

Every refusal is a :class:`JetInputError`, which is both a ``JetError`` and a ``ValueError``; no
``UnicodeEncodeError`` or ``httpx.InvalidURL`` escapes, and Jet never sees a request.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from client_fixtures import both_clients, harness, order_id
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet._urls import MAX_SEGMENT_CHARS, check_segment, segment_refusals
from jet_orderhive.jet.enums import FileType
from jet_orderhive.jet.errors import JetError, JetInputError, JetPayloadError

BAD_VALUES = {
    "lone surrogate": "A\udc80B",
    "high surrogate": "\ud800",
    "newline": "SKU\n1",
    "carriage return and line feed": "SKU\r\nX-Evil: 1",
    "NUL": "SKU\x00",
    "DEL": "SKU\x7f",
    "C1 control": "SKU\x85",
    "over the length cap": "A" * (MAX_SEGMENT_CHARS + 1),
    "64 KB": "B" * 65_536,
    "empty": "",
}


class _Body:
    """Stands in for any request body: the refusal must come before the body is even read."""

    def to_dict(self) -> dict[str, Any]:
        return {}


BODY: Any = _Body()


def _calls(bad: str) -> dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]]:
    return {
        "get_order": ("get_order", (bad,), {}),
        "acknowledge_order": ("acknowledge_order", (bad, BODY), {}),
        "ship_order": ("ship_order", (bad, BODY), {}),
        "get_sku": ("get_sku", (bad,), {}),
        "update_inventory": ("update_inventory", (bad, []), {}),
        "update_price": ("update_price", (bad, Decimal("1.00")), {}),
        "archive_sku": ("archive_sku", (bad,), {}),
        "get_return": ("get_return", (bad,), {}),
        "complete_return": ("complete_return", (bad, BODY), {}),
        "create_refund": ("create_refund", (order_id(1), bad, BODY), {}),
        "get_refund": ("get_refund", (bad,), {}),
        "get_file": ("get_file", (bad,), {}),
        "list_order_ids status": ("list_order_ids", (bad,), {}),
        "list_order_ids node": ("list_order_ids", ("ready",), {"node": bad}),
        "list_return_ids": ("list_return_ids", (bad,), {}),
    }


OPERATIONS = sorted(_calls("x"))


@both_clients
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("what", sorted(BAD_VALUES))
async def test_a_value_that_cannot_form_a_request_is_refused_before_any_request(
    kind: str, operation: str, what: str
) -> None:
    if what == "empty" and operation == "list_order_ids node":
        pytest.skip("an empty node is a legitimate filter value")
    name, args, kwargs = _calls(BAD_VALUES[what])[operation]
    async with harness(kind, rate_limit=None) as h:
        with pytest.raises(JetInputError) as caught:
            await h.call(name, *args, **kwargs)
        assert h.jet.requests == []
    error = caught.value
    assert isinstance(error, JetError)
    assert isinstance(error, ValueError)
    text = str(error)
    assert len(text) < 400, "the error must not quote a huge value whole"
    assert text.isprintable()
    text.encode("utf-8")  # never a lone surrogate in the message either


@both_clients
async def test_one_bad_id_in_a_batch_fails_alone(kind: str) -> None:
    ids = [order_id(1), "bad\udc80id", order_id(2)]
    async with harness(kind, rate_limit=None) as h:
        fetched = await h.collect("fetch_orders", ids, concurrency=2)
    assert [f.order_id for f in fetched] == ids
    assert [f.ok for f in fetched] == [True, False, True]
    assert isinstance(fetched[1].error, JetInputError)
    assert fetched[1].raw is None


@pytest.mark.parametrize("value", ["A/B 1", "café", "x" * MAX_SEGMENT_CHARS, "Ωmega-SKU", "  "])
def test_ordinary_skus_pass_the_check(value: str) -> None:
    assert check_segment(value, "SKU") == value


def test_the_error_names_the_offending_character_and_where_it_is() -> None:
    with pytest.raises(JetInputError, match=r"U\+000A at index 3") as caught:
        check_segment("SKU\n1", "SKU")
    assert "SKU" in str(caught.value)
    with pytest.raises(JetInputError, match=r"lone surrogate U\+DC80 at index 1"):
        check_segment("A\udc80B", "order id")
    with pytest.raises(JetInputError, match=f"longer than {MAX_SEGMENT_CHARS}"):
        check_segment("A" * 70_000, "order id")


@both_clients
@pytest.mark.parametrize(
    "url",
    [
        "https://jetupload.blob.core.windows.net/merchant-files/x\udc80?sig=abc",
        "https://jetupload.blob.core.windows.net/merchant-files/x\n?sig=abc",
        "https://jetupload.blob.core.windows.net/merchant-files/" + "a" * 70_000 + "?sig=abc",
        "http://evil.example/blob?sig=abc",
        "not a url",
    ],
    ids=["surrogate", "newline", "70 KB", "plain http", "not a url"],
)
async def test_an_upload_url_from_jet_that_cannot_be_used_is_a_payload_error(
    kind: str, url: str
) -> None:
    async with harness(kind, rate_limit=None) as h:
        h.jet.script(
            "GET",
            "/api/files/uploadToken",
            # json.dumps escapes a lone surrogate as JSON allows: "\udc80".
            httpx.Response(200, content=json.dumps({"url": url, "jet_file_id": order_id(1)})),
        )
        with pytest.raises(JetPayloadError) as caught:
            await h.call("upload_file", FileType.PRICE, {"SKU1": {"price": Decimal(1)}})
        assert [r.url.path for r in h.jet.requests] == ["/api/token", "/api/files/uploadToken"]
    assert "sig=abc" not in str(caught.value)
    assert len(str(caught.value)) < 500


def test_a_segment_is_refused_exactly_for_control_characters_and_lone_surrogates() -> None:
    import sys
    import unicodedata

    from jet_orderhive.jet._urls import is_sendable

    for code in range(sys.maxunicode + 1):
        char = chr(code)
        refused = unicodedata.category(char) == "Cc" or 0xD800 <= code <= 0xDFFF
        assert is_sendable(f"SKU{char}1") is not refused, f"U+{code:04X}"


@given(st.lists(st.one_of(st.text(max_size=300), st.integers(), st.none()), max_size=20))
def test_segment_refusals_agree_with_check_segment(values: list[object]) -> None:
    """The batch check of a push's SKUs refuses exactly what the one-by-one check refuses,
    with the same message."""
    expected: dict[object, str] = {}
    for value in values:
        try:
            check_segment(value, "SKU")  # type: ignore[arg-type]
        except JetInputError as error:
            expected.setdefault(value, str(error))
    assert segment_refusals(values, "SKU") == expected
