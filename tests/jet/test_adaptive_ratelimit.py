"""The adaptive limiter as pure arithmetic on a fake clock: off until Jet throttles, then it
cuts the rate multiplicatively, recovers along a cubic curve and honours ``Retry-After``."""

from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet._ratelimit import (
    AdaptiveLimiter,
    AdaptiveRateLimit,
    RateLimit,
    TokenBucket,
    make_limiter,
)


def answered(limiter: AdaptiveLimiter, times: list[float]) -> None:
    for now in times:
        limiter.observe(now, throttled=False, retry_after=None, epoch=limiter.epoch)


def steady(limiter: AdaptiveLimiter, per_second: int, until: float) -> None:
    """``per_second`` answers spread over the second that ends at ``until``."""
    answered(limiter, [until - (per_second - 1 - i) / per_second for i in range(per_second)])


def throttle(limiter: AdaptiveLimiter, now: float, retry_after: float | None = None) -> None:
    limiter.observe(now, throttled=True, retry_after=retry_after, epoch=limiter.epoch)


def test_off_until_the_first_throttle() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit())
    assert limiter.rate is None
    assert [limiter.reserve(0.0) for _ in range(1000)] == [0.0] * 1000
    answered(limiter, [i / 1000 for i in range(1000)])
    assert limiter.rate is None


def test_a_throttle_cuts_to_beta_times_the_rate_jet_accepted() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(beta=0.7, window=1.0))
    answered(limiter, [0.5 + i / 40 for i in range(20)])  # 20 answers within the last second
    cut = limiter.observe(1.0, throttled=True, retry_after=None, epoch=limiter.epoch)
    assert cut is not None
    assert cut.previous is None
    assert cut.rate == pytest.approx(14.0)
    assert limiter.rate == pytest.approx(14.0)


def test_after_a_cut_requests_are_paced_at_the_new_rate_with_no_burst() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(beta=0.5))
    steady(limiter, 10, until=1.0)
    throttle(limiter, 1.0)
    assert limiter.rate == pytest.approx(5.0)
    waits = [limiter.reserve(1.0) for _ in range(4)]
    assert waits == pytest.approx([0.2, 0.4, 0.6, 0.8])


def test_throttles_on_requests_sent_before_the_cut_do_not_cut_again() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(beta=0.5))
    steady(limiter, 20, until=1.0)
    before = limiter.epoch  # sixteen requests in flight, all sent at the old rate
    cuts = [limiter.observe(1.0, throttled=True, retry_after=None, epoch=before) for _ in range(16)]
    assert sum(cut is not None for cut in cuts) == 1
    assert limiter.rate == pytest.approx(10.0)
    # A request sent after the cut and throttled too means the new rate is still too high.
    assert limiter.observe(1.0, throttled=True, retry_after=None, epoch=limiter.epoch)
    assert limiter.rate == pytest.approx(5.0)


def test_the_rate_recovers_along_a_cubic_curve_back_to_where_it_was_cut() -> None:
    config = AdaptiveRateLimit(beta=0.7, scale=0.4)
    limiter = AdaptiveLimiter(config)
    steady(limiter, 20, until=1.0)
    throttle(limiter, 1.0)
    k = (20 * 0.3 / 0.4) ** (1 / 3)
    rates: list[float] = []
    for step in range(1, 8):
        now = 1.0 + step * k / 4
        # Keep the accepted rate high, so only the cubic curve bounds the rate.
        steady(limiter, 50, until=now)
        rate = limiter.rate
        assert rate is not None
        rates.append(rate)
    assert rates == sorted(rates)
    assert 14.0 < rates[0] < 20.0
    assert rates[3] == pytest.approx(20.0)  # back to the ceiling at t0 + k
    gains = [b - a for a, b in itertools.pairwise(rates)]
    assert gains[2] < gains[0]  # flattens near the ceiling...
    assert gains[5] > gains[3]  # ...then probes beyond it ever faster


def test_recovery_never_runs_beyond_twice_the_rate_jet_answers() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit())
    steady(limiter, 20, until=1.0)
    throttle(limiter, 1.0)
    answered(limiter, [100.0, 100.1, 100.2])  # a quiet spell, then three answers
    assert limiter.rate == pytest.approx(6.0)


def test_a_repeated_throttle_never_goes_below_the_floor() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(min_rate=0.5))
    for second in range(50):
        throttle(limiter, float(second))
    assert limiter.rate == pytest.approx(0.5)


def test_retry_after_pauses_every_new_request() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(beta=0.5))
    steady(limiter, 10, until=1.0)
    throttle(limiter, 1.0, retry_after=2.0)
    assert limiter.pause_left(1.5) == pytest.approx(1.5)
    # Slots are counted from the end of the pause, at the cut rate of 5/s.
    assert [limiter.reserve(1.0) for _ in range(2)] == pytest.approx([2.2, 2.4])
    assert limiter.pause_left(3.0) == 0.0


def test_a_pause_is_capped_by_max_pause() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(max_pause=5.0))
    throttle(limiter, 0.0, retry_after=3600.0)
    assert limiter.pause_left(0.0) == pytest.approx(5.0)


def test_retry_after_from_a_request_sent_before_the_cut_still_pauses() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit())
    old = limiter.epoch
    throttle(limiter, 0.0)
    limiter.observe(0.0, throttled=True, retry_after=1.0, epoch=old)
    assert limiter.pause_left(0.0) == pytest.approx(1.0)


@given(
    accepted=st.integers(min_value=1, max_value=500),
    beta=st.floats(min_value=0.1, max_value=0.9),
)
def test_a_cut_lands_at_beta_times_the_lower_of_the_rate_and_what_jet_accepted(
    accepted: int, beta: float
) -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(beta=beta, min_rate=0.01))
    steady(limiter, accepted, until=1.0)
    throttle(limiter, 1.0)
    first = limiter.rate
    assert first is not None
    assert first == pytest.approx(beta * accepted)
    answered(limiter, [1.0] * 1000)  # Jet accepts far more...
    throttle(limiter, 1.0)
    assert limiter.rate == pytest.approx(beta * first)  # ...the lower one wins


def test_threads_share_one_adaptive_limiter() -> None:
    limiter = AdaptiveLimiter(AdaptiveRateLimit(beta=0.5))
    steady(limiter, 8, until=1.0)
    throttle(limiter, 1.0)  # 4/s
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = limiter.reserve(1.0)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([0.25 * k for k in range(1, 9)])


def test_make_limiter_picks_by_option() -> None:
    assert make_limiter(None) is None
    assert isinstance(make_limiter(RateLimit()), TokenBucket)
    assert isinstance(make_limiter(AdaptiveRateLimit()), AdaptiveLimiter)


def test_a_fixed_limit_ignores_throttles() -> None:
    bucket = TokenBucket(RateLimit(rate=5, burst=1))
    assert bucket.observe(0.0, throttled=True, retry_after=9.0, epoch=0) is None
    assert bucket.rate == 5
    assert bucket.pause_left(0.0) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"beta": 1.0}, "beta"),
        ({"beta": 0.0}, "beta"),
        ({"scale": 0.0}, "scale"),
        ({"min_rate": 0.0}, "min_rate"),
        ({"window": 0.0}, "window"),
        ({"max_pause": -1.0}, "max_pause"),
    ],
)
def test_adaptive_options_reject_nonsense(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        AdaptiveRateLimit(**kwargs)


def test_a_retry_after_pause_does_not_collapse_the_rate_of_the_requests_it_held_back() -> None:
    """During a pause nothing is sent, so few answers are counted; the requests queued behind it
    must still go out along the recovery curve, not at twice the trickle of answers."""
    limiter = AdaptiveLimiter(AdaptiveRateLimit(beta=0.7))
    steady(limiter, 20, until=1.0)
    throttle(limiter, 1.0, retry_after=1.0)
    waits = [limiter.reserve(1.0) for _ in range(16)]  # sixteen workers queue behind the pause
    assert min(waits) >= 1.0
    answered(limiter, [2.1])  # the first answer after the pause
    rate = limiter.rate
    assert rate is not None
    assert rate >= 14.0  # the cut rate at least (it was 2.0: twice one answer a second)
