"""The sandbox's requests-per-second throttle: a token bucket that answers 429 beyond its rate."""

from __future__ import annotations

import httpx
import pytest

from jet_orderhive.testing import JetSandbox


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def statuses(api: httpx.Client, n: int) -> list[int]:
    return [api.get("orders/ready").status_code for _ in range(n)]


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def sandbox() -> JetSandbox:
    return JetSandbox(secret="fixed-secret", seed=1)


@pytest.fixture
def api(sandbox: JetSandbox) -> httpx.Client:
    client = httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url + "/")
    token = client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
    client.headers["Authorization"] = f"Bearer {token.json()['id_token']}"
    return client


def test_the_burst_passes_then_requests_beyond_the_rate_get_429(
    sandbox: JetSandbox, api: httpx.Client, clock: FakeMonotonic
) -> None:
    sandbox.limit_rate(20, burst=5, kind="order_list", clock=clock)
    assert statuses(api, 7) == [200] * 5 + [429] * 2


def test_tokens_refill_at_the_rate(
    sandbox: JetSandbox, api: httpx.Client, clock: FakeMonotonic
) -> None:
    sandbox.limit_rate(10, burst=2, kind="order_list", clock=clock)
    assert statuses(api, 3) == [200, 200, 429]
    clock.now = 0.1  # one token back
    assert statuses(api, 2) == [200, 429]
    clock.now = 10.0  # refilled to the burst, never beyond
    assert statuses(api, 3) == [200, 200, 429]


def test_a_refused_request_takes_no_token(
    sandbox: JetSandbox, api: httpx.Client, clock: FakeMonotonic
) -> None:
    sandbox.limit_rate(1, burst=1, kind="order_list", clock=clock)
    assert statuses(api, 5) == [200, 429, 429, 429, 429]
    clock.now = 1.0
    assert statuses(api, 1) == [200]


def test_retry_after_is_the_wait_for_the_next_token_in_whole_seconds(
    sandbox: JetSandbox, api: httpx.Client, clock: FakeMonotonic
) -> None:
    sandbox.limit_rate(0.25, burst=1, kind="order_list", clock=clock)
    api.get("orders/ready")
    clock.now = 1.5  # 2.5 s to the next token
    refused = api.get("orders/ready")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3"


def test_a_fixed_retry_after_is_sent_as_given(
    sandbox: JetSandbox, api: httpx.Client, clock: FakeMonotonic
) -> None:
    sandbox.limit_rate(1, burst=1, kind="order_list", retry_after=0.5, clock=clock)
    api.get("orders/ready")
    assert api.get("orders/ready").headers["Retry-After"] == "0.5"


def test_the_default_burst_is_one_seconds_worth(
    sandbox: JetSandbox, api: httpx.Client, clock: FakeMonotonic
) -> None:
    sandbox.limit_rate(4, kind="order_list", clock=clock)
    assert statuses(api, 5) == [200] * 4 + [429]


def test_refusals_are_logged_and_other_kinds_pass(
    sandbox: JetSandbox, api: httpx.Client, clock: FakeMonotonic
) -> None:
    sandbox.limit_rate(1, burst=1, kind="order_list", clock=clock)
    statuses(api, 2)
    assert api.get("merchant-skus?offset=0&limit=10").status_code == 200
    refused = [r for r in sandbox.requests if r.status == 429]
    assert [(r.kind, r.fault) for r in refused] == [("order_list", "rate_limit")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"per_second": 0}, "rate must be"), ({"per_second": 5, "burst": 0}, "burst must be")],
)
def test_nonsense_limits_are_refused(
    sandbox: JetSandbox, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sandbox.limit_rate(**kwargs)  # type: ignore[arg-type]
