"""Shared pieces of the reliability suite: a hand-moved clock, faults the sandbox lacks, figures.

Every test that measures something records it with :func:`record`; the suite prints the
figures at the end of the run (and keeps them in pytest's cache under ``reliability/figures``),
which is where the numbers in ``docs/reliability.md`` come from.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

SOAK = os.environ.get("JET_ORDERHIVE_SOAK") == "1"
T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)

#: name -> figures, filled by the tests of this run.
FIGURES: dict[str, dict[str, Any]] = {}


def record(name: str, **figures: Any) -> None:
    """Keep one test's measured figures; runs of one test under several parameters add up."""
    entry = FIGURES.setdefault(name, {})
    for key, value in figures.items():
        if isinstance(value, int) and not isinstance(value, bool) and key in entry:
            entry[key] += value
        else:
            entry[key] = value


class Clock:
    """A clock the test moves by hand; sandbox, client, storage and engine all read it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Crash(BaseException):
    """The process dies: nothing in the engine catches it, and storage rolls back."""


class FlakyNetwork(httpx.BaseTransport):
    """Wraps a transport and loses a seeded share of requests the ways a network does.

    ``before`` faults never reach Jet (a refused connection, a connect timeout); ``after``
    faults reach Jet, are applied, and only the answer is lost (a read timeout, a reset).
    ``only`` limits the faults to requests whose path contains one of the given strings.
    """

    BEFORE = ("connect error", "connect timeout")
    AFTER = ("read timeout", "disconnect")

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        seed: int,
        rate: float,
        only: tuple[str, ...] = (),
    ) -> None:
        self._inner = inner
        self._rng = random.Random(f"network:{seed}")
        self._rate = rate
        self._only = only
        self.injected: Counter[str] = Counter()
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        path = request.url.path
        hit = (not self._only or any(s in path for s in self._only)) and (
            self._rng.random() < self._rate
        )
        if not hit:
            return self._inner.handle_request(request)
        fault = self._rng.choice(self.BEFORE + self.AFTER)
        self.injected[fault] += 1
        if fault == "connect error":
            raise httpx.ConnectError("injected: connection refused", request=request)
        if fault == "connect timeout":
            raise httpx.ConnectTimeout("injected: connect timed out", request=request)
        response = self._inner.handle_request(request)
        response.read()
        response.close()
        if fault == "read timeout":
            raise httpx.ReadTimeout("injected: read timed out after apply", request=request)
        raise httpx.RemoteProtocolError(
            "injected: server disconnected after apply", request=request
        )

    def close(self) -> None:
        self._inner.close()


class Rewrite(httpx.BaseTransport):
    """Wraps a transport and serves ``bodies[path]`` (bytes and headers) for those paths."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        bodies: dict[str, tuple[bytes, dict[str, str]]],
        *,
        on_serve: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self._inner = inner
        self._bodies = bodies
        self._on_serve = on_serve

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._bodies.get(request.url.path)
        if answer is None:
            return self._inner.handle_request(request)
        body, headers = answer
        if self._on_serve is not None:
            self._on_serve(request.url.path, body)
        # A stream, not content=: httpx would decode content given with an encoding header.
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body), request=request)

    def close(self) -> None:
        self._inner.close()
