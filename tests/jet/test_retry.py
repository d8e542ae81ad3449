"""The retry policy: what is retried, how long the waits are, and when it gives up."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet._retry import (
    FailureKind,
    RetryPolicy,
    Safety,
    decide,
    parse_retry_after,
)

NOW = datetime(2016, 5, 10, 12, 0, tzinfo=UTC)
RNG = random.Random(0)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_for_reads(status: int) -> None:
    verdict = decide(
        RetryPolicy(), safety=Safety.IDEMPOTENT, attempt=1, waited=0, rng=RNG, status=status
    )
    assert verdict.retry


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_client_errors_are_not_retried(status: int) -> None:
    verdict = decide(
        RetryPolicy(), safety=Safety.IDEMPOTENT, attempt=1, waited=0, rng=RNG, status=status
    )
    assert not verdict.retry


@pytest.mark.parametrize(
    ("status", "retried"), [(429, True), (503, True), (500, False), (502, False), (504, False)]
)
def test_unsafe_writes_repeat_only_on_statuses_that_prove_nothing_happened(
    status: int, retried: bool
) -> None:
    verdict = decide(
        RetryPolicy(), safety=Safety.UNSAFE, attempt=1, waited=0, rng=RNG, status=status
    )
    assert verdict.retry is retried


@pytest.mark.parametrize(
    ("kind", "retried"), [(FailureKind.NOT_SENT, True), (FailureKind.MAYBE_SENT, False)]
)
def test_unsafe_writes_repeat_only_when_the_request_never_left(
    kind: FailureKind, retried: bool
) -> None:
    verdict = decide(
        RetryPolicy(), safety=Safety.UNSAFE, attempt=1, waited=0, rng=RNG, failure=kind
    )
    assert verdict.retry is retried
    assert decide(
        RetryPolicy(), safety=Safety.IDEMPOTENT, attempt=1, waited=0, rng=RNG, failure=kind
    ).retry


def test_gives_up_when_attempts_are_spent() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert decide(policy, safety=Safety.IDEMPOTENT, attempt=2, waited=0, rng=RNG, status=503).retry
    verdict = decide(policy, safety=Safety.IDEMPOTENT, attempt=3, waited=0, rng=RNG, status=503)
    assert not verdict.retry
    assert "3 attempts" in verdict.reason


def test_retry_after_replaces_backoff_exactly() -> None:
    verdict = decide(
        RetryPolicy(),
        safety=Safety.IDEMPOTENT,
        attempt=1,
        waited=0,
        rng=RNG,
        status=429,
        retry_after=7.0,
    )
    assert verdict.delay == 7.0


def test_retry_after_beyond_the_cap_gives_up_at_once() -> None:
    verdict = decide(
        RetryPolicy(max_retry_after=30),
        safety=Safety.IDEMPOTENT,
        attempt=1,
        waited=0,
        rng=RNG,
        status=429,
        retry_after=31.0,
    )
    assert not verdict.retry
    assert "31s" in verdict.reason


def test_total_wait_budget_ends_retries() -> None:
    policy = RetryPolicy(max_total_wait=10, max_attempts=10)
    verdict = decide(
        policy, safety=Safety.IDEMPOTENT, attempt=1, waited=8, rng=RNG, status=503, retry_after=3.0
    )
    assert not verdict.retry
    assert "budget" in verdict.reason


@given(
    retry_number=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0, max_value=10),
    cap=st.floats(min_value=0, max_value=100),
    jitter=st.floats(min_value=0, max_value=1),
    seed=st.integers(),
)
def test_backoff_stays_within_the_jitter_band_under_the_cap(
    retry_number: int, base: float, cap: float, jitter: float, seed: int
) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=cap, jitter=jitter)
    ceiling = min(cap, base * 2.0 ** min(retry_number - 1, 62))
    delay = policy.backoff(retry_number, random.Random(seed))
    assert ceiling * (1 - jitter) - 1e-9 <= delay <= ceiling + 1e-9


def test_backoff_doubles_without_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3, jitter=0)
    assert [policy.backoff(n, RNG) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0.25", 0.25),
        ("-3", 0.0),
        ("Tue, 10 May 2016 12:00:30 GMT", 30.0),
        ("Tue, 10 May 2016 11:59:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str, expected: float | None) -> None:
    assert parse_retry_after({"Retry-After": value}, NOW) == expected


def test_retry_after_absent_is_none() -> None:
    assert parse_retry_after({"content-type": "application/json"}, NOW) is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
