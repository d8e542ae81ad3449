"""Metrics hooks and counters of the Jet client.

Events carry only what metrics need (operation, method, API path, status, attempt, timings):
never headers, bodies or query strings, so a hook cannot leak the token, the secret or buyer data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs

__all__ = [
    "ClientHooks",
    "ClientStats",
    "RateChangeEvent",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "StatsCounter",
    "ThrottleEvent",
]


@attrs.frozen(kw_only=True)
class RequestEvent:
    """An attempt is about to be sent."""

    operation: str
    method: str
    path: str
    attempt: int


@attrs.frozen(kw_only=True)
class ResponseEvent:
    """An attempt got an HTTP answer (any status) after ``elapsed`` seconds."""

    operation: str
    method: str
    path: str
    status: int
    attempt: int
    elapsed: float


@attrs.frozen(kw_only=True)
class RetryEvent:
    """A failed attempt will be repeated after ``wait`` seconds.

    ``status`` is None when the attempt got no HTTP answer; ``reason`` says what failed.
    """

    operation: str
    method: str
    path: str
    attempt: int
    status: int | None
    reason: str
    wait: float


@attrs.frozen(kw_only=True)
class ThrottleEvent:
    """The client's own rate limiter holds a request back for ``wait`` seconds.

    ``rate`` is the requests per second the limiter allows at that moment.
    """

    operation: str
    method: str
    path: str
    wait: float
    rate: float | None = None


@attrs.frozen(kw_only=True)
class RateChangeEvent:
    """Jet throttled a request (``status`` 429, or 503 with ``Retry-After``), and the adaptive
    limiter lowered its rate from ``previous`` (None: it was off) to ``rate`` requests/s."""

    operation: str
    method: str
    path: str
    status: int
    previous: float | None
    rate: float
    retry_after: float | None


@attrs.frozen(kw_only=True)
class ClientHooks:
    """Optional callbacks for metrics; each runs inline (keep them quick), and one that raises
    is logged and ignored, so a metrics failure never fails or repeats a request.
    """

    on_request: Callable[[RequestEvent], None] | None = None
    on_response: Callable[[ResponseEvent], None] | None = None
    on_retry: Callable[[RetryEvent], None] | None = None
    on_throttle: Callable[[ThrottleEvent], None] | None = None
    on_rate_change: Callable[[RateChangeEvent], None] | None = None


@attrs.frozen(kw_only=True)
class ClientStats:
    """A snapshot of one client's counters since it was created."""

    #: HTTP attempts sent, retries and re-authentications included.
    requests: int = 0
    #: Attempts repeated after a failure (not counting the refresh-and-retry after a 401).
    retries: int = 0
    #: Times the client's rate limiter made a request wait.
    throttle_waits: int = 0
    #: Tokens fetched from ``POST /token``.
    token_fetches: int = 0
    #: Answers in which Jet said to slow down: 429, or 503 with ``Retry-After``.
    throttled: int = 0
    #: Requests per second the client allows itself now; None while nothing limits it.
    rate_limit: float | None = None


class StatsCounter:
    """Thread-safe counters behind :class:`ClientStats`."""

    __slots__ = ("_lock", "_rate", "_values")

    def __init__(self, rate: Callable[[], float | None] | None = None) -> None:
        self._lock = threading.Lock()
        counters = attrs.fields_dict(ClientStats)
        del counters["rate_limit"]  # a gauge, read from the limiter when the snapshot is taken
        self._values = dict.fromkeys(counters, 0)
        self._rate = rate

    def add(self, name: str) -> None:
        with self._lock:
            self._values[name] += 1

    def snapshot(self) -> ClientStats:
        rate = self._rate() if self._rate is not None else None
        with self._lock:
            return ClientStats(**self._values, rate_limit=rate)
