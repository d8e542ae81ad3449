"""Retries through the client shells, sync and async alike, with injected faults and clock."""

from __future__ import annotations

import random

import httpx
import pytest
from client_fixtures import both_clients, harness, order_id

from jet_orderhive.jet._hooks import ClientHooks, RetryEvent
from jet_orderhive.jet._retry import RetryPolicy
from jet_orderhive.jet.enums import AckStatus, ItemAckStatus
from jet_orderhive.jet.errors import (
    JetNotFound,
    JetPayloadError,
    JetRateLimited,
    JetServerError,
    JetTransportError,
)
from jet_orderhive.jet.models import Acknowledgement, AcknowledgementItem

NO_JITTER = RetryPolicy(base_delay=0.5, max_delay=8, jitter=0)
LIST = "/api/orders/ready"


@both_clients
async def test_transient_failures_are_retried_until_success(kind: str) -> None:
    async with harness(kind, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script(
            "GET",
            LIST,
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json={"order_urls": ["/orders/withoutShipmentDetail/abc"]}),
        )
        assert await h.call("list_order_ids", "ready") == ["abc"]
        assert h.jet.count("GET", LIST) == 4
        assert h.clock.sleeps == [0.5, 1.0, 2.0]
        assert h.client.stats.retries == 3


@both_clients
async def test_retry_after_seconds_is_honoured_exactly(kind: str) -> None:
    async with harness(kind, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script("GET", LIST, httpx.Response(429, headers={"Retry-After": "7"}))
        await h.call("list_order_ids", "ready")
        assert h.clock.sleeps == [7.0]


@both_clients
async def test_retry_after_http_date_is_honoured_against_the_clock(kind: str) -> None:
    async with harness(kind, retry=NO_JITTER, rate_limit=None) as h:
        await h.call("authenticate")
        # The fake clock starts at 2016-05-10 12:00:00 UTC.
        date = "Tue, 10 May 2016 12:00:42 GMT"
        h.jet.script("GET", LIST, httpx.Response(503, headers={"Retry-After": date}))
        await h.call("list_order_ids", "ready")
        assert h.clock.sleeps == [42.0]


@both_clients
async def test_retry_after_above_the_cap_raises_at_once(kind: str) -> None:
    policy = RetryPolicy(max_retry_after=60, jitter=0)
    async with harness(kind, retry=policy, rate_limit=None) as h:
        h.jet.script("GET", LIST, httpx.Response(429, headers={"Retry-After": "3600"}))
        with pytest.raises(JetRateLimited) as caught:
            await h.call("list_order_ids", "ready")
        assert caught.value.retry_after == 3600
        assert caught.value.attempts == 1
        assert h.clock.sleeps == []


@both_clients
async def test_exhaustion_raises_the_typed_error_with_the_attempt_count(kind: str) -> None:
    async with harness(kind, max_retries=2, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script("GET", LIST, *[httpx.Response(502)] * 5)
        with pytest.raises(JetServerError) as caught:
            await h.call("list_order_ids", "ready")
        assert caught.value.attempts == 3
        assert "after 3 attempts" in str(caught.value)
        assert caught.value.path == "/orders/ready"
        assert h.jet.count("GET", LIST) == 3


@both_clients
async def test_transport_exhaustion_raises_transport_error(kind: str) -> None:
    async with harness(kind, max_retries=1, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script("GET", LIST, httpx.ConnectError("refused"), httpx.ConnectError("refused"))
        with pytest.raises(JetTransportError) as caught:
            await h.call("list_order_ids", "ready")
        assert caught.value.attempts == 2
        assert "ConnectError" in str(caught.value)


@both_clients
async def test_not_found_is_not_retried(kind: str) -> None:
    async with harness(kind, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script("GET", LIST, httpx.Response(404))
        with pytest.raises(JetNotFound):
            await h.call("list_order_ids", "ready")
        assert h.jet.count("GET", LIST) == 1


@both_clients
async def test_total_wait_budget_stops_retries(kind: str) -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=4, max_delay=4, jitter=0, max_total_wait=10)
    async with harness(kind, retry=policy, rate_limit=None) as h:
        h.jet.script("GET", LIST, *[httpx.Response(500)] * 10)
        with pytest.raises(JetServerError) as caught:
            await h.call("list_order_ids", "ready")
        assert h.clock.sleeps == [4, 4]
        assert caught.value.attempts == 3


@both_clients
async def test_jitter_comes_from_the_injected_random(kind: str) -> None:
    policy = RetryPolicy(base_delay=1, max_delay=1, jitter=1)
    expected = [1 - random.Random(3).random()]
    async with harness(kind, retry=policy, rate_limit=None, rng=random.Random(3)) as h:
        h.jet.script("GET", LIST, httpx.Response(500))
        await h.call("list_order_ids", "ready")
        assert h.clock.sleeps == pytest.approx(expected)


ACK = "/api/orders/" + order_id(1) + "/acknowledge"
ACCEPT = Acknowledgement(
    acknowledgement_status=AckStatus.ACCEPTED,
    order_items=(
        AcknowledgementItem(
            order_item_id=order_id(2), order_item_acknowledgement_status=ItemAckStatus.FULFILLABLE
        ),
    ),
)


@both_clients
@pytest.mark.parametrize(
    "fault",
    [
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(504),
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("connection dropped"),
    ],
    ids=["500", "502", "504", "read-timeout", "dropped"],
)
async def test_one_time_writes_are_not_repeated_when_jet_may_have_acted(
    kind: str, fault: httpx.Response | Exception
) -> None:
    async with harness(kind, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script("PUT", ACK, fault)
        with pytest.raises((JetServerError, JetTransportError)) as caught:
            await h.call("acknowledge_order", order_id(1), ACCEPT)
        assert h.jet.count("PUT", ACK) == 1
        assert caught.value.attempts == 1
        assert h.clock.sleeps == []


@both_clients
@pytest.mark.parametrize(
    "fault",
    [
        httpx.Response(429),
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.PoolTimeout("full"),
    ],
    ids=["429", "503", "connect", "pool-timeout"],
)
async def test_one_time_writes_are_repeated_when_jet_provably_did_nothing(
    kind: str, fault: httpx.Response | Exception
) -> None:
    async with harness(kind, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script("PUT", ACK, fault)
        await h.call("acknowledge_order", order_id(1), ACCEPT)
        assert h.jet.count("PUT", ACK) == 2


@both_clients
async def test_retry_hook_sees_each_retry_without_headers_or_bodies(kind: str) -> None:
    events: list[RetryEvent] = []
    hooks = ClientHooks(on_retry=events.append)
    async with harness(kind, retry=NO_JITTER, rate_limit=None, hooks=hooks) as h:
        h.jet.script("GET", LIST, httpx.Response(503), httpx.Response(500))
        await h.call("list_order_ids", "ready")
    assert [(e.attempt, e.status, e.wait) for e in events] == [(1, 503, 0.5), (2, 500, 1.0)]
    assert all(e.path == "/orders/ready" and e.method == "GET" for e in events)


def _garbled(_request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )


@both_clients
async def test_an_undecodable_answer_is_a_payload_error_and_not_retried(
    kind: str,
) -> None:
    # Jet's server wrote a broken gzip body; sending again gets the same body, and a transport
    # error would stop a whole batch of order fetches for one bad order.
    async with harness(kind, max_retries=1, retry=NO_JITTER, rate_limit=None) as h:
        h.jet.script("GET", LIST, _garbled, _garbled)
        with pytest.raises(JetPayloadError) as caught:
            await h.call("list_order_ids", "ready")
        assert h.jet.count("GET", LIST) == 1
        assert "gzip" in str(caught.value)
        # No httpx exception rides along: its .request would carry the bearer token.
        assert caught.value.__cause__ is None
        assert caught.value.__context__ is None


@both_clients
async def test_a_raising_hook_never_fails_a_write_jet_applied(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("metrics backend down")

    hooks = ClientHooks(on_request=broken, on_response=broken, on_retry=broken)
    async with harness(kind, retry=NO_JITTER, rate_limit=None, hooks=hooks) as h:
        h.jet.script("PUT", ACK, httpx.Response(503), httpx.Response(204))
        await h.call("acknowledge_order", order_id(1), ACCEPT)
        assert h.jet.count("PUT", ACK) == 2
    assert "ResponseEvent hook raised RuntimeError" in caplog.text
    assert "RetryEvent hook raised RuntimeError" in caplog.text
