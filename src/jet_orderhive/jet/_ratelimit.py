"""Client-side token bucket, so a large sync paces itself instead of provoking 429s from Jet."""

from __future__ import annotations

import threading

import attrs

__all__ = ["RateLimit", "TokenBucket"]


@attrs.frozen(kw_only=True)
class RateLimit:
    """At most ``burst`` requests at once, refilled at ``rate`` requests per second."""

    rate: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    burst: int = attrs.field(default=20, validator=attrs.validators.ge(1))


class TokenBucket:
    """A reservation-style token bucket: each caller learns how long to wait for its slot.

    Reserving never blocks; a caller that finds the bucket empty takes a slot in the future and
    is told the wait, so concurrent callers queue in arrival order and the limit holds across
    every thread and task of one client. Time is passed in, which keeps it testable without
    sleeping. The lock is held only for the arithmetic, so asyncio callers may use it too.
    """

    __slots__ = ("_last", "_limit", "_lock", "_tokens")

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._tokens = float(limit.burst)
        self._last: float | None = None
        self._lock = threading.Lock()

    def reserve(self, now: float) -> float:
        """Take one slot at monotonic time ``now``; return the seconds to wait before using it."""
        with self._lock:
            if self._last is not None and now > self._last:
                refill = (now - self._last) * self._limit.rate
                self._tokens = min(float(self._limit.burst), self._tokens + refill)
            # A clock that stepped backwards refills nothing rather than going negative.
            if self._last is None or now > self._last:
                self._last = now
            self._tokens -= 1.0
            if self._tokens >= 0.0:
                return 0.0
            return -self._tokens / self._limit.rate
