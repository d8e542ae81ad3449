"""Bounded answers: a size cap enforced while streaming and after decompression, a deadline per
attempt that a dripping body cannot stretch, and ``raw`` kept as the bytes Jet sent."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from client_fixtures import FakeClock, FakeJet, Harness, both_clients, harness, order_body, order_id

from jet_orderhive._json import dumps
from jet_orderhive.jet._body import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES
from jet_orderhive.jet._retry import RetryPolicy
from jet_orderhive.jet.errors import JetPayloadError, JetTransportError
from jet_orderhive.testing import JetSandbox

OID = order_id(5)
DETAIL = "/api/orders/withoutShipmentDetail/" + OID
LIMIT = 64 * 1024


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body of ``count`` chunks; counts how many the client pulled."""

    def __init__(self, chunk: bytes, count: int, clock: FakeClock | None = None, gap: float = 0):
        self.chunk, self.count, self.clock, self.gap = chunk, count, clock, gap
        self.pulled = 0

    def _next(self) -> bytes:
        self.pulled += 1
        if self.clock is not None:
            self.clock.advance(self.gap)
        return self.chunk

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.count):
            yield self._next()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            yield self._next()


def _streamed(jet: FakeJet, body: _Chunks, headers: dict[str, str] | None = None) -> None:
    jet.script("GET", DETAIL, lambda _request: httpx.Response(200, headers=headers, stream=body))


def _encoded(jet: FakeJet, encoding: str, wire: bytes) -> None:
    """Jet answers ``wire`` as sent, undecoded: httpx would decode bytes passed as content."""
    _streamed(jet, _Chunks(wire, 1), {"content-encoding": encoding})


def test_the_defaults_are_documented_figures() -> None:
    assert DEFAULT_MAX_RESPONSE_BYTES == 8 * 1024 * 1024
    assert DEFAULT_DEADLINE == 120.0


@both_clients
async def test_an_endless_body_stops_at_the_size_cap_as_a_payload_error(kind: str) -> None:
    endless = _Chunks(b"[" * 4096, 10**9)
    async with harness(kind, rate_limit=None, max_response_bytes=LIMIT) as h:
        _streamed(h.jet, endless)
        (fetched,) = await h.collect("fetch_orders", [OID])
    assert isinstance(fetched.error, JetPayloadError)
    assert "max_response_bytes" in str(fetched.error)
    assert endless.pulled <= LIMIT // 4096 + 2, "the client must stop reading at the cap"
    assert fetched.raw is not None
    assert len(fetched.raw) <= LIMIT + 4096


@both_clients
async def test_a_gzip_bomb_is_a_payload_error_not_memory_exhaustion(kind: str) -> None:
    bomb = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    async with harness(kind, rate_limit=None) as h:
        _encoded(h.jet, "gzip", bomb)
        (fetched,) = await h.collect("fetch_orders", [OID])
    assert isinstance(fetched.error, JetPayloadError)
    assert "decompress" in str(fetched.error)
    assert fetched.raw == bomb


@both_clients
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compressed_order_is_read_and_raw_keeps_the_wire_bytes(
    kind: str, encoding: str
) -> None:
    text = dumps(order_body(OID)).encode()
    wire = gzip.compress(text) if encoding == "gzip" else zlib.compress(text)
    async with harness(kind, rate_limit=None) as h:
        _encoded(h.jet, encoding, wire)
        (fetched,) = await h.collect("fetch_orders", [OID])
        assert h.jet.requests[-1].headers["accept-encoding"] == "gzip, deflate"
    assert fetched.ok
    assert fetched.order is not None
    assert fetched.order.merchant_order_id == OID
    assert fetched.raw == wire


@both_clients
@pytest.mark.parametrize(
    ("encoding", "body", "reason"),
    [
        ("gzip", gzip.compress(b'{"a": 1}' * 100)[:10] + b"\xff" * 30, "corrupt"),
        ("gzip", gzip.compress(b'{"a": 1}' * 100)[:-20], "truncated"),
        ("br", b"\x0b\x02\x80{}\x03", "content-encoding"),
    ],
)
async def test_an_undecodable_body_is_a_payload_error_with_its_bytes(
    kind: str, encoding: str, body: bytes, reason: str
) -> None:
    async with harness(kind, rate_limit=None) as h:
        _encoded(h.jet, encoding, body)
        (fetched,) = await h.collect("fetch_orders", [OID])
        assert h.jet.count("GET", DETAIL) == 1, "a bad body is not retried"
    assert isinstance(fetched.error, JetPayloadError)
    assert reason in str(fetched.error)
    assert fetched.raw == body


@both_clients
async def test_a_dripping_body_ends_at_the_deadline_not_per_read(kind: str) -> None:
    clock = FakeClock()
    jet = FakeJet(clock)
    drip = _Chunks(b" ", 10_000, clock=clock, gap=1.0)  # one byte a second, for hours
    options = {"rate_limit": None, "deadline": 20.0, "retry": RetryPolicy(max_attempts=1)}
    async with Harness(kind, jet, **options) as h:
        _streamed(jet, drip)
        started = clock.current
        with pytest.raises(JetTransportError, match="deadline") as caught:
            await h.collect("fetch_orders", [OID])
        spent = (clock.current - started).total_seconds()
    assert spent <= 21.0
    assert drip.pulled <= 21
    assert "20" in str(caught.value)


@both_clients
async def test_the_deadline_counts_per_attempt_and_retries_follow_the_policy(kind: str) -> None:
    clock = FakeClock()
    jet = FakeJet(clock)
    slow = _Chunks(b" ", 100, clock=clock, gap=1.0)
    order = dumps(order_body(OID)).encode()
    options = {"rate_limit": None, "deadline": 10.0, "retry": RetryPolicy(max_attempts=2)}
    async with Harness(kind, jet, **options) as h:
        jet.script(
            "GET",
            DETAIL,
            lambda _request: httpx.Response(200, stream=slow),
            httpx.Response(200, content=order),
        )
        order_read = await h.call("get_order", OID)
    assert order_read.merchant_order_id == OID
    assert jet.count("GET", DETAIL) == 2


@both_clients
async def test_a_body_just_under_the_cap_is_read(kind: str) -> None:
    body = order_body(OID)
    body["padding"] = "x" * (LIMIT - len(dumps(body)) - 20)
    text = dumps(body).encode()
    assert len(text) < LIMIT
    async with harness(kind, rate_limit=None, max_response_bytes=LIMIT) as h:
        h.jet.script("GET", DETAIL, httpx.Response(200, content=text))
        (fetched,) = await h.collect("fetch_orders", [OID])
    assert fetched.ok
    assert fetched.raw == text


@pytest.mark.parametrize("value", [0, -1, 10**20])
def test_an_implausible_size_cap_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        Harness("sync", FakeJet(FakeClock()), max_response_bytes=value)


@pytest.mark.parametrize("value", [0, -1.0, float("nan"), float("inf")])
def test_an_implausible_deadline_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="deadline"):
        Harness("sync", FakeJet(FakeClock()), deadline=value)


def test_the_size_cap_holds_over_a_real_socket() -> None:
    sandbox = JetSandbox()
    (big, small) = sandbox.generate_orders(2)
    sandbox.corrupt_order(big, lambda body: body.update(padding="x" * (1024 * 1024)))
    with (
        sandbox.serve() as base_url,
        sandbox.client(base_url=base_url, transport=None, max_response_bytes=LIMIT) as jet,
    ):
        fetched = list(jet.fetch_orders([big, small]))
    assert isinstance(fetched[0].error, JetPayloadError)
    assert "max_response_bytes" in str(fetched[0].error)
    assert fetched[0].raw is not None
    assert len(fetched[0].raw) <= LIMIT
    assert fetched[1].ok
