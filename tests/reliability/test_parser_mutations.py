"""Mutated Jet answers through the client: each read succeeds or is a ``JetPayloadError``.

Hypothesis starts from valid order bodies and order lists and breaks them the ways a faulty or
hostile server would: fields removed, values of the wrong type, huge and negative numbers,
``NaN`` and ``Infinity``, deep nesting, lone surrogates, invalid UTF-8, repeated keys, another
order's id, truncated or non-JSON bodies with a 200, broken gzip. Whatever comes back, the
client's parse either gives a model that keeps the client's promises (the id it was fetched
under, bounded quantities) or a ``JetPayloadError`` with the bytes as sent; no other exception
escapes.

``make test`` runs a bounded number of examples (a few seconds); ``JET_ORDERHIVE_SOAK=1`` runs
many more.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import record

from jet_orderhive._json import dumps
from jet_orderhive.jet import AsyncJetClient, JetClient, JetPayloadError
from jet_orderhive.jet._convert import MAX_QUANTITY
from jet_orderhive.jet._urls import is_plain_id
from jet_orderhive.testing import make_order

SOAK = os.environ.get("JET_ORDERHIVE_SOAK") == "1"
EXAMPLES = 3000 if SOAK else 120
BASE = "https://merchant-api.jet.com/api"
OID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
DETAIL = "/api/orders/withoutShipmentDetail/" + OID
LIST = "/api/orders/ready"

budget = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not SOAK,
)

Path = tuple[str | int, ...]


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every location in a JSON value, the root included."""
    found: list[Path] = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _set(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return value


def _delete(value: Any, path: Path) -> Any:
    if not path:
        return value
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return value


WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**18, -1, 2**63, 10**400, MAX_QUANTITY + 1]),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**12),
    st.text(max_size=20),
    st.just([]),
    st.just({}),
    st.just({"nested": [1, "x", None]}),
)

# Edits of the JSON text that no Python value can express.
TEXT_EDITS: dict[str, Callable[[str, int], str]] = {
    "NaN": lambda text, at: _splice_value(text, "NaN"),
    "Infinity": lambda text, at: _splice_value(text, "-Infinity"),
    "deep nesting": lambda text, at: _splice_value(text, "[" * (50 + at) + "]" * (50 + at)),
    "very deep nesting": lambda text, at: _splice_value(text, "[" * 100_000 + "]" * 100_000),
    "lone surrogate": lambda text, at: text.replace('":"', '":"\\udc80', 1 + at % 5),
    "duplicate id key": lambda text, at: text.replace(
        '"merchant_order_id":', f'"merchant_order_id":"{OTHER}","merchant_order_id":', 1
    ),
    "duplicate key": lambda text, at: text.replace('{"', '{"k":1,"k":', 1 + at % 3),
    "truncated": lambda text, at: text[: at % max(len(text), 1)],
    "html": lambda text, at: "<html><body>502 Bad Gateway</body></html>",
    "empty": lambda text, at: "",
}


def _splice_value(text: str, raw: str) -> str:
    return text.replace('"merchant_order_id"', f'"spliced":{raw},"merchant_order_id"', 1)


BYTE_EDITS: dict[str, Callable[[bytes, int], tuple[bytes, dict[str, str]]]] = {
    "invalid UTF-8": lambda body, at: (
        body[: at % len(body)] + b"\xff\xc0" + body[at % len(body) :],
        {},
    ),
    "gzip": lambda body, at: (gzip.compress(body), {"content-encoding": "gzip"}),
    "truncated gzip": lambda body, at: (
        gzip.compress(body)[: 10 + at % 40],
        {"content-encoding": "gzip"},
    ),
    "gzip claimed, plain sent": lambda body, at: (body, {"content-encoding": "gzip"}),
}


@st.composite
def mutated_answers(draw: st.DrawFn, base: Callable[[int], Any]) -> tuple[bytes, dict[str, str]]:
    """A valid JSON answer broken by one to three mutations; returns body bytes and headers."""
    value = base(draw(st.integers(min_value=0, max_value=50)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["delete", "replace", "swap id", "none"]))
        locations = _paths(value)
        if kind == "delete":
            value = _delete(value, draw(st.sampled_from(locations)))
        elif kind == "replace":
            # A copy: st.just() hands out one object, which earlier mutations may have changed.
            new = copy.deepcopy(draw(WRONG_VALUES))
            value = _set(value, draw(st.sampled_from(locations)), new)
        elif kind == "swap id" and isinstance(value, dict) and "merchant_order_id" in value:
            value["merchant_order_id"] = OTHER
    text = dumps(value)
    at = draw(st.integers(min_value=0, max_value=10_000))
    edit = draw(st.sampled_from(["none", *TEXT_EDITS]))
    if edit != "none":
        text = TEXT_EDITS[edit](text, at)
    body = text.encode("utf-8", "surrogatepass")
    headers: dict[str, str] = {}
    byte_edit = draw(st.sampled_from(["none", "none", *BYTE_EDITS]))
    if byte_edit != "none" and body:
        body, headers = BYTE_EDITS[byte_edit](body, at)
    return body, headers


def _order(seed: int) -> Any:
    order = json.loads(dumps(make_order(seed=seed)), parse_float=Decimal)
    order["merchant_order_id"] = OID
    return order


def _order_list(seed: int) -> Any:
    ids = [f"{seed * 1000 + n:032x}" for n in range(seed % 7)]
    return {"order_urls": [f"/orders/withoutShipmentDetail/{i}" for i in ids]}


def _jet(
    path: str, body: bytes, headers: dict[str, str]
) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token":
            return httpx.Response(
                200, json={"id_token": "eyJ0.tok.sig", "expires_on": "2099-01-01T00:00:00Z"}
            )
        if request.url.path == path:
            # A stream, not content=: httpx would try to decode content given with an encoding.
            return httpx.Response(200, headers=headers, stream=_Body(body))
        return httpx.Response(404)

    return handle


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> JetClient:
    return JetClient(
        "user",
        "secret-value",
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        rate_limit=None,
        max_retries=0,
    )


def _check_order(order: Any) -> None:
    assert order.merchant_order_id == OID
    for item in order.order_items:
        assert 0 <= item.request_order_quantity <= MAX_QUANTITY


@budget
@given(mutated_answers(_order))
def test_a_mutated_order_body_is_read_or_is_a_payload_error(
    answer: tuple[bytes, dict[str, str]],
) -> None:
    body, headers = answer
    with _client(_jet(DETAIL, body, headers)) as jet:
        (fetched,) = list(jet.fetch_orders([OID]))
        try:
            order = jet.get_order(OID)
        except JetPayloadError:
            order = None
    record(
        "parser_mutations", order_bodies=1, read=int(fetched.ok), payload_errors=int(not fetched.ok)
    )
    if fetched.ok:
        _check_order(fetched.order)
        assert order is not None
    else:
        assert isinstance(fetched.error, JetPayloadError), repr(fetched.error)
        assert fetched.raw == body, "the quarantine must get the bytes as sent"
        assert order is None
        str(fetched.error).encode("utf-8")  # the error text itself is always storable


@budget
@given(mutated_answers(_order_list))
def test_a_mutated_order_list_gives_plain_ids_or_a_payload_error(
    answer: tuple[bytes, dict[str, str]],
) -> None:
    body, headers = answer
    with _client(_jet(LIST, body, headers)) as jet:
        try:
            ids = jet.list_order_ids("ready")
        except JetPayloadError:
            record("parser_mutations", order_lists=1, list_payload_errors=1)
            return
    record("parser_mutations", order_lists=1)
    assert all(isinstance(i, str) and is_plain_id(i) for i in ids)


@settings(budget, max_examples=max(EXAMPLES // 4, 20))
@given(mutated_answers(_order))
async def test_the_async_client_reads_mutations_the_same_way(
    answer: tuple[bytes, dict[str, str]],
) -> None:
    body, headers = answer
    with _client(_jet(DETAIL, body, headers)) as jet:
        (expected,) = list(jet.fetch_orders([OID]))
    async with AsyncJetClient(
        "user",
        "secret-value",
        base_url=BASE,
        transport=httpx.MockTransport(_jet(DETAIL, body, headers)),
        rate_limit=None,
        max_retries=0,
    ) as jet:
        fetched = [f async for f in jet.fetch_orders([OID])]
    assert [f.ok for f in fetched] == [expected.ok]
    assert type(fetched[0].error) is type(expected.error)
    assert fetched[0].raw == expected.raw
