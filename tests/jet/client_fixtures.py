"""Helpers for the client tests: a fake clock, a scriptable fake Jet, and a sync/async harness.

Every behavioural client test runs twice, once per client, through :class:`Harness`, so the
two shells are held to the same behaviour by the same test code.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from jet_orderhive._json import dumps
from jet_orderhive.jet.client import AsyncJetClient, JetClient
from jet_orderhive.testing import make_order

USER = "merchant-api-user"
SECRET = "S3cr3t-XYZZY"
BASE = "https://merchant-api.jet.com/api"
START = datetime(2016, 5, 10, 12, 0, tzinfo=UTC)

KINDS = ("sync", "async")
both_clients = pytest.mark.parametrize("kind", KINDS)

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Wall time that moves only when the code under test sleeps; records every sleep."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()
        self._callers: set[int] = set()
        self._seen = threading.Condition(self._lock)

    def now(self) -> datetime:
        with self._seen:
            self._callers.add(_caller_id())
            self._seen.notify_all()
            return self.current

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.current += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.current += timedelta(seconds=seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    def callers(self) -> int:
        with self._lock:
            return len(self._callers)

    def forget_callers(self) -> None:
        with self._lock:
            self._callers.clear()

    def wait_for_callers(self, count: int, timeout: float = 5.0) -> bool:
        """Block until ``count`` distinct threads or tasks have read the clock."""
        with self._seen:
            return self._seen.wait_for(lambda: len(self._callers) >= count, timeout=timeout)


def _caller_id() -> int:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    return id(task) if task is not None else threading.get_ident()


def order_id(n: int) -> str:
    return f"{n:032x}"


def order_body(oid: str) -> dict[str, Any]:
    """A realistic order payload whose id is ``oid``."""
    body = dict(make_order(seed=oid))
    body["merchant_order_id"] = oid
    return body


def json_response(status: int, body: object) -> httpx.Response:
    """A JSON answer with money written exactly (``Decimal`` as a JSON number)."""
    return httpx.Response(
        status, content=dumps(body).encode(), headers={"content-type": "application/json"}
    )


class FakeJet:
    """A minimal, scriptable Jet: real token checks, canned answers, per-path scripts.

    ``script(method, path, *replies)`` queues answers for a path (a response, an exception to
    raise as a transport failure, or a callable); once the queue is empty the default route
    answers. Every request is kept in ``requests``.
    """

    def __init__(self, clock: FakeClock, *, token_ttl: timedelta = timedelta(hours=10)) -> None:
        self.clock = clock
        self.token_ttl = token_ttl
        self.requests: list[httpx.Request] = []
        self.tokens: dict[str, datetime] = {}
        self.revoked: set[str] = set()
        self.token_gate: Callable[[], None] | None = None
        self._scripts: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}

    def script(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[(method, path)].extend(replies)

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.method == method and r.url.path == path)

    def token_requests(self) -> int:
        return self.count("POST", "/api/token")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            queue = self._scripts.get((request.method, request.url.path))
            scripted = queue.popleft() if queue else None
        if isinstance(scripted, Exception):
            raise scripted
        if isinstance(scripted, httpx.Response):
            # A fresh copy: one scripted response may serve a sync and an async run.
            return httpx.Response(
                scripted.status_code, headers=scripted.headers, content=scripted.content
            )
        if scripted is not None:
            return scripted(request)
        if request.url.path == "/api/token":
            return self._token(request)
        if not self._authorised(request):
            return httpx.Response(
                401, json={"Message": "Authorization has been denied for this request."}
            )
        route = self.routes.get((request.method, request.url.path))
        if route is not None:
            return route(request)
        return self._default(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body != {"user": USER, "pass": SECRET}:
            return httpx.Response(400, json={"errors": ["Invalid user or password"]})
        if self.token_gate is not None:
            self.token_gate()
        with self._lock:
            token = f"eyJ0eXAi.tok{len(self.tokens) + 1:04d}.c2lnbmF0dXJl"
            expires = self.clock.current + self.token_ttl
            self.tokens[token] = expires
        return httpx.Response(
            200,
            json={
                "id_token": token,
                "token_type": "Bearer",
                "expires_on": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )

    def _authorised(self, request: httpx.Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return False
        token = header.removeprefix("Bearer ")
        with self._lock:
            expires = self.tokens.get(token)
            return (
                expires is not None and token not in self.revoked and expires > self.clock.current
            )

    def _default(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api")
        if request.method == "GET" and path.startswith("/orders/withoutShipmentDetail/"):
            return json_response(200, order_body(path.rsplit("/", 1)[-1]))
        if request.method == "GET" and path.startswith("/orders/"):
            return httpx.Response(200, json={"order_urls": []})
        if request.method in ("PUT", "PATCH", "POST"):
            return httpx.Response(204)
        return httpx.Response(404, json={"errors": ["Not found"]})

    def last(self, method: str, path: str) -> httpx.Request:
        with self._lock:
            return next(
                r for r in reversed(self.requests) if r.method == method and r.url.path == path
            )


class Harness:
    """Runs either client through one awaitable interface, so a test is written once."""

    def __init__(self, kind: str, jet: FakeJet, *, secret: str = SECRET, **options: Any) -> None:
        self.kind = kind
        self.jet = jet
        self.clock = jet.clock
        options.setdefault("rng", random.Random(7))
        options.setdefault("clock", self.clock.now)
        options.setdefault("base_url", BASE)
        self.client: JetClient | AsyncJetClient
        if kind == "sync":
            options.setdefault("sleep", self.clock.sleep)
            options.setdefault("transport", httpx.MockTransport(jet))
            self.client = JetClient(USER, secret, **options)
        else:
            options.setdefault("sleep", self.clock.asleep)
            options.setdefault("transport", httpx.MockTransport(jet))
            self.client = AsyncJetClient(USER, secret, **options)

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, name)(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def collect(self, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        items = getattr(self.client, name)(*args, **kwargs)
        if hasattr(items, "__aiter__"):
            return [item async for item in items]
        return list(items)

    async def close(self) -> None:
        if isinstance(self.client, AsyncJetClient):
            await self.client.aclose()
        else:
            self.client.close()

    async def __aenter__(self) -> Harness:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def harness(kind: str, **options: Any) -> Harness:
    """A harness over a fresh fake Jet and fake clock."""
    clock = options.pop("clock_obj", None) or FakeClock()
    jet = options.pop("jet", None) or FakeJet(clock)
    return Harness(kind, jet, **options)
