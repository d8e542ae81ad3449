"""Fault injection: deterministic failures, throttling, latency and dropped connections."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from jet_orderhive._json import dumps
from jet_orderhive.testing import DroppedConnection, JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)


def make_sandbox(seed: int = 1, **kwargs: object) -> JetSandbox:
    return JetSandbox(secret="fixed-secret", seed=seed, clock=lambda: NOW, **kwargs)


@pytest.fixture
def sandbox() -> JetSandbox:
    return make_sandbox()


@contextlib.contextmanager
def authed(sandbox: JetSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url + "/") as client:
        token = client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
        client.headers["Authorization"] = f"Bearer {token.json()['id_token']}"
        yield client


@pytest.fixture
def api(sandbox: JetSandbox) -> Iterator[httpx.Client]:
    with authed(sandbox) as client:
        yield client


def ack(sandbox: JetSandbox, order_id: str) -> bytes:
    items = sandbox.order(order_id)["order_items"]
    body = {
        "acknowledgement_status": "accepted",
        "order_items": [
            {
                "order_item_id": i["order_item_id"],
                "order_item_acknowledgement_status": "fulfillable",
            }
            for i in items
        ],
    }
    return dumps(body).encode()


def run_script(sandbox: JetSandbox) -> list[tuple[int, bytes]]:
    sandbox.generate_orders(5)
    outcomes = []
    with authed(sandbox) as client:
        sandbox.fail_randomly(0.4, status=503)
        sandbox.throttle(every=4, retry_after=2)
        for path in ["orders/ready", "orders/acknowledged", "setup/fulfillmentNodes"] * 6:
            response = client.get(path)
            outcomes.append((response.status_code, response.content))
    return outcomes


def test_same_seed_and_calls_give_identical_outcomes_and_logs() -> None:
    first, second = make_sandbox(seed=42), make_sandbox(seed=42)

    outcomes = run_script(first)

    assert outcomes == run_script(second)
    assert first.requests == second.requests
    statuses = {status for status, _ in outcomes}
    assert {200, 503, 429} <= statuses


def test_a_different_seed_fails_different_requests() -> None:
    first, other = make_sandbox(seed=42), make_sandbox(seed=43)

    assert [s for s, _ in run_script(first)] != [s for s, _ in run_script(other)]


def test_fail_next_fails_then_succeeds_and_leaves_state_alone(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.fail_next(2, status=500, kind="acknowledge")

    assert api.get("orders/ready").status_code == 200
    codes = [
        api.put(f"orders/{order_id}/acknowledge", content=ack(sandbox, order_id)).status_code
        for _ in range(3)
    ]

    assert codes == [500, 500, 204]
    assert sandbox.count("acknowledge") == 3
    assert [r.fault for r in sandbox.requests if r.kind == "acknowledge"] == [
        "fail_next",
        "fail_next",
        None,
    ]


def test_fail_next_scoped_by_path_prefix(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.fail_next(1, status=502, kind="/merchant-skus")

    assert api.get("orders/ready").status_code == 200
    assert api.get("merchant-skus").status_code == 502
    assert api.get("merchant-skus").status_code == 200


def test_throttled_response_is_429_with_retry_after(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.throttle(every=2, retry_after=7)

    first, second = api.get("orders/ready"), api.get("orders/ready")

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.headers["Retry-After"] == "7"
    assert second.json() == {"errors": ["Too many requests"]}


def test_fail_next_with_429_defaults_retry_after(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.fail_next(status=429)

    assert api.get("orders/ready").headers["Retry-After"] == "1"


def test_injected_401_uses_the_aspnet_body(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.fail_next(status=401)

    response = api.get("orders/ready")

    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}


def test_drop_before_apply_raises_connect_error_and_applies_nothing(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.drop_connections(next=1, kind="acknowledge")

    with pytest.raises(httpx.ConnectError):
        api.put(f"orders/{order_id}/acknowledge", content=ack(sandbox, order_id))

    assert sandbox.order_status(order_id) == "ready"
    assert sandbox.count("acknowledge") == 0
    assert sandbox.requests[-1].status is None


def test_drop_after_apply_raises_protocol_error_but_the_ack_took_effect(
    sandbox: JetSandbox, api: httpx.Client
) -> None:
    (order_id,) = sandbox.generate_orders(1)
    sandbox.drop_connections(next=1, after_apply=True, kind="acknowledge")

    with pytest.raises(httpx.RemoteProtocolError):
        api.put(f"orders/{order_id}/acknowledge", content=ack(sandbox, order_id))

    assert sandbox.order_status(order_id) == "acknowledged"
    assert sandbox.count("acknowledge") == 1


def test_handle_reports_a_dropped_connection_and_whether_it_applied(sandbox: JetSandbox) -> None:
    sandbox.drop_connections(after_apply=True)

    with pytest.raises(DroppedConnection) as caught:
        sandbox.handle("POST", f"{sandbox.base_url}/token", {}, b'{"user":"x","pass":"y"}')

    assert caught.value.applied is True


def test_latency_goes_through_the_injected_sleep_only() -> None:
    slept: list[float] = []
    sandbox = make_sandbox(sleep=slept.append)
    sandbox.latency(1.5, kind="order_list")

    with authed(sandbox) as client:
        client.get("orders/ready")
        client.get("setup/fulfillmentNodes")

    assert slept == [1.5]
    assert [r.delay for r in sandbox.requests] == [0, 1.5, 0]


def test_latency_without_a_sleep_is_only_recorded(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.latency(30)

    assert api.get("orders/ready").status_code == 200
    assert sandbox.requests[-1].delay == 30


def test_clear_faults_restores_normal_service(sandbox: JetSandbox, api: httpx.Client) -> None:
    sandbox.fail_next(5)
    sandbox.throttle(every=1)

    sandbox.clear_faults()

    assert api.get("orders/ready").status_code == 200


def test_async_transport_sees_the_same_faults() -> None:
    sandbox = make_sandbox()
    sandbox.fail_next(1, status=503)

    async def call() -> list[int]:
        async with httpx.AsyncClient(
            transport=sandbox.async_transport(), base_url=sandbox.base_url + "/"
        ) as client:
            first = await client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
            second = await client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
            return [first.status_code, second.status_code]

    import asyncio

    assert asyncio.run(call()) == [503, 200]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.fail_next(0), "count must be at least 1"),
        (lambda s: s.fail_next(status=200), "4xx or 5xx"),
        (lambda s: s.throttle(every=0), "every must be at least 1"),
        (lambda s: s.fail_randomly(1.5), "rate must be between 0 and 1"),
        (lambda s: s.latency(-1), "latency cannot be negative"),
    ],
)
def test_nonsense_fault_settings_are_refused(
    sandbox: JetSandbox, call: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(sandbox)
