"""Client-side rate control: adaptive by default, a fixed token bucket when the user sets one.

Jet never published a rate limit, so the default limiter (:class:`AdaptiveRateLimit`) is off
until Jet throttles a request (429, or 503 with ``Retry-After``). Then it paces every thread and
task of the client through one token bucket: the rate drops to a fraction of what Jet was
accepting (multiplicative decrease) and climbs back along a cubic curve (as TCP CUBIC and the
AWS SDKs' adaptive retry mode do), slowly near the rate that was throttled, faster away from it.
A ``Retry-After`` pauses every new request for that long.

Everything here is pure arithmetic on a time passed in, so it is tested with a fake clock.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Protocol

import attrs

__all__ = [
    "AdaptiveLimiter",
    "AdaptiveRateLimit",
    "Limiter",
    "RateCut",
    "RateLimit",
    "TokenBucket",
    "make_limiter",
]


@attrs.frozen(kw_only=True)
class RateLimit:
    """A fixed cap: at most ``burst`` requests at once, refilled at ``rate`` requests per second."""

    rate: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    burst: int = attrs.field(default=20, validator=attrs.validators.ge(1))


@attrs.frozen(kw_only=True)
class AdaptiveRateLimit:
    """No cap until Jet throttles; then pace, cut on every throttle, and recover gradually.

    - ``beta``: the share of the accepted rate kept after a throttle (multiplicative decrease).
    - ``scale``: how fast the rate climbs back, in requests/s per cubed second (CUBIC's C).
    - ``min_rate``: the floor, in requests per second, however often Jet throttles.
    - ``window``: seconds over which the rate Jet accepted is measured.
    - ``max_pause``: the longest a ``Retry-After`` may hold back every request, in seconds.
    """

    beta: float = attrs.field(
        default=0.7, validator=[attrs.validators.gt(0), attrs.validators.lt(1)]
    )
    scale: float = attrs.field(default=0.4, validator=attrs.validators.gt(0))
    min_rate: float = attrs.field(default=0.5, validator=attrs.validators.gt(0))
    window: float = attrs.field(default=1.0, validator=attrs.validators.gt(0))
    max_pause: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))


@attrs.frozen(kw_only=True)
class RateCut:
    """The limiter lowered its rate after a throttle: from ``previous`` (None: off) to ``rate``."""

    previous: float | None
    rate: float


class Limiter(Protocol):
    """What the request loop needs from a limiter; ``now`` is monotonic seconds."""

    @property
    def epoch(self) -> int:
        """Changes at every rate cut; a throttle on a request sent before it cuts no further."""
        ...

    @property
    def rate(self) -> float | None:
        """Requests per second currently allowed; None while nothing is limited."""
        ...

    def reserve(self, now: float) -> float:
        """Take a slot; return the seconds to wait before sending."""
        ...

    def pause_left(self, now: float) -> float:
        """Seconds left of a ``Retry-After`` pause (0 when none), without taking a slot."""
        ...

    def observe(
        self, now: float, *, throttled: bool, retry_after: float | None, epoch: int
    ) -> RateCut | None:
        """Learn from one answer (``epoch`` as read before its request); report a cut."""
        ...


class _Bucket:
    """A reservation-style token bucket whose rate and capacity may change.

    Reserving never blocks: a caller that finds the bucket empty takes a slot in the future and
    is told how long to wait, so concurrent callers queue in arrival order. Not locked: the
    owning limiter holds its lock around every call.
    """

    __slots__ = ("_last", "capacity", "rate", "tokens")

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self._last: float | None = None

    def level(self, now: float) -> float:
        """The tokens there would be at ``now``; below zero while reserved slots are waited for."""
        if self._last is None or now <= self._last:
            return self.tokens
        return min(self.capacity, self.tokens + (now - self._last) * self.rate)

    def reserve(self, now: float) -> float:
        if self._last is not None and now > self._last:
            self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        # A clock that stepped backwards refills nothing rather than going negative.
        if self._last is None or now > self._last:
            self._last = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0.0 else -self.tokens / self.rate


class TokenBucket:
    """A fixed :class:`RateLimit`, shared by every thread and task of one client.

    The lock is held only for the arithmetic, so asyncio callers may use it too.
    """

    __slots__ = ("_bucket", "_limit", "_lock")

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._bucket = _Bucket(limit.rate, float(limit.burst))
        self._lock = threading.Lock()

    @property
    def epoch(self) -> int:
        return 0

    @property
    def rate(self) -> float | None:
        return self._limit.rate

    def reserve(self, now: float) -> float:
        """Take one slot at monotonic time ``now``; return the seconds to wait before using it."""
        with self._lock:
            return self._bucket.reserve(now)

    def pause_left(self, now: float) -> float:
        return 0.0

    def observe(
        self, now: float, *, throttled: bool, retry_after: float | None, epoch: int
    ) -> RateCut | None:
        return None  # a fixed cap is the user's choice; retries still honour Retry-After


class AdaptiveLimiter:
    """The state behind :class:`AdaptiveRateLimit`: off, then paced at a rate that adapts.

    After a cut at time ``t0`` from the ceiling ``w`` (the lower of the rate then allowed and
    the rate Jet was accepting), the rate is ``w + scale * (t - t0 - k) ** 3`` with ``k`` chosen
    so that it starts at ``beta * w``: it climbs quickly at first, flattens out as it nears
    ``w``, then probes beyond it. While no request waits for a slot it never exceeds twice the
    rate Jet is answering, so a quiet spell does not build up a licence for a burst; while
    requests wait (a ``Retry-After`` pause leaves few answers to count) the curve alone rules.
    """

    __slots__ = (
        "_answers",
        "_bucket",
        "_ceiling",
        "_config",
        "_cut_at",
        "_epoch",
        "_k",
        "_lock",
        "_pause_until",
    )

    def __init__(self, config: AdaptiveRateLimit) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._bucket: _Bucket | None = None  # None: off, nothing throttled yet
        self._answers: deque[float] = deque()
        self._epoch = 0
        self._ceiling = 0.0
        self._k = 0.0
        self._cut_at = 0.0
        self._pause_until = -math.inf

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def rate(self) -> float | None:
        bucket = self._bucket
        return None if bucket is None else bucket.rate

    def reserve(self, now: float) -> float:
        with self._lock:
            pause = max(0.0, self._pause_until - now)
            if self._bucket is None:
                return pause
            # The slot is counted from the end of the pause, so a paused queue drains paced.
            return pause + self._bucket.reserve(now + pause)

    def pause_left(self, now: float) -> float:
        with self._lock:
            return max(0.0, self._pause_until - now)

    def observe(
        self, now: float, *, throttled: bool, retry_after: float | None, epoch: int
    ) -> RateCut | None:
        config = self._config
        with self._lock:
            if not throttled:
                self._answers.append(now)
                accepted = self._accepted(now)
                bucket = self._bucket
                if bucket is not None:
                    rate = self._cubic(now)
                    # A quiet spell must not build up a licence for a burst: while nobody waits
                    # for a slot, the pace is at most twice what Jet answers. While requests do
                    # wait (after a Retry-After pause, when few answers came), the curve rules.
                    if bucket.level(now) >= 0.0:
                        rate = min(rate, max(2.0 * accepted, config.min_rate))
                    self._set_rate(rate)
                return None
            if retry_after is not None:
                pause = min(retry_after, config.max_pause)
                self._pause_until = max(self._pause_until, now + pause)
            if epoch != self._epoch:
                return None  # sent at the old rate, before the last cut: already accounted for
            previous = self.rate
            accepted = self._accepted(now)
            ceiling = accepted if previous is None else min(previous, accepted)
            ceiling = max(ceiling, config.min_rate)
            self._ceiling = ceiling
            self._k = math.cbrt(ceiling * (1.0 - config.beta) / config.scale)
            self._cut_at = now
            self._epoch += 1
            rate = max(config.min_rate, ceiling * config.beta)
            if self._bucket is None:
                self._bucket = _Bucket(rate, 1.0)
            self._set_rate(rate)
            # No saved-up burst right after a throttle: Jet has just said it has none to give.
            self._bucket.tokens = min(self._bucket.tokens, 0.0)
            return RateCut(previous=previous, rate=rate)

    def _accepted(self, now: float) -> float:
        """Answers (other than throttles) per second over the last ``window`` seconds."""
        horizon = now - self._config.window
        answers = self._answers
        while answers and answers[0] <= horizon:
            answers.popleft()
        return len(answers) / self._config.window

    def _cubic(self, now: float) -> float:
        elapsed = now - self._cut_at - self._k
        return self._ceiling + self._config.scale * elapsed**3

    def _set_rate(self, rate: float) -> None:
        assert self._bucket is not None
        rate = max(rate, self._config.min_rate)
        self._bucket.rate = rate
        # About a second's worth of burst, so a paced client need not send in lockstep.
        self._bucket.capacity = max(1.0, rate)


def make_limiter(limit: RateLimit | AdaptiveRateLimit | None) -> Limiter | None:
    """The limiter for a client's ``rate_limit`` option (None: no client-side limit at all)."""
    if limit is None:
        return None
    if isinstance(limit, RateLimit):
        return TokenBucket(limit)
    return AdaptiveLimiter(limit)
