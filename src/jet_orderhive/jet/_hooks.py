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
    """The client's own rate limiter holds a request back for ``wait`` seconds."""

    operation: str
    method: str
    path: str
    wait: float


@attrs.frozen(kw_only=True)
class ClientHooks:
    """Optional callbacks for metrics; each runs inline (keep them quick), and one that raises
    is logged and ignored, so a metrics failure never fails or repeats a request.
    """

    on_request: Callable[[RequestEvent], None] | None = None
    on_response: Callable[[ResponseEvent], None] | None = None
    on_retry: Callable[[RetryEvent], None] | None = None
    on_throttle: Callable[[ThrottleEvent], None] | None = None


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


class StatsCounter:
    """Thread-safe counters behind :class:`ClientStats`."""

    __slots__ = ("_lock", "_values")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(attrs.fields_dict(ClientStats), 0)

    def add(self, name: str) -> None:
        with self._lock:
            self._values[name] += 1

    def snapshot(self) -> ClientStats:
        with self._lock:
            return ClientStats(**self._values)
