"""The token bucket: bursts pass at once, then requests are spaced at the configured rate."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet._ratelimit import RateLimit, TokenBucket


def test_burst_passes_then_requests_are_spaced_by_the_rate() -> None:
    bucket = TokenBucket(RateLimit(rate=10, burst=2))
    waits = [bucket.reserve(0.0) for _ in range(5)]
    assert waits == pytest.approx([0, 0, 0.1, 0.2, 0.3])


def test_idle_time_refills_up_to_the_burst_only() -> None:
    bucket = TokenBucket(RateLimit(rate=1, burst=3))
    for _ in range(3):
        bucket.reserve(0.0)
    waits = [bucket.reserve(100.0) for _ in range(4)]
    assert waits == pytest.approx([0, 0, 0, 1.0])


def test_a_clock_stepping_back_refills_nothing() -> None:
    bucket = TokenBucket(RateLimit(rate=1, burst=1))
    assert bucket.reserve(10.0) == 0
    assert bucket.reserve(5.0) == pytest.approx(1.0)


@given(
    rate=st.floats(min_value=0.5, max_value=100),
    burst=st.integers(min_value=1, max_value=20),
    n=st.integers(min_value=1, max_value=60),
)
def test_n_simultaneous_requests_span_exactly_the_rate(rate: float, burst: int, n: int) -> None:
    bucket = TokenBucket(RateLimit(rate=rate, burst=burst))
    waits = [bucket.reserve(0.0) for _ in range(n)]
    assert max(waits) == pytest.approx(max(0, n - burst) / rate)
    assert waits == sorted(waits)


def test_threads_share_one_bucket() -> None:
    bucket = TokenBucket(RateLimit(rate=4, burst=4))
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = bucket.reserve(0.0)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([0] * 4 + [0.25 * k for k in range(1, 9)])


def test_rate_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimit(rate=0)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(burst=0)
