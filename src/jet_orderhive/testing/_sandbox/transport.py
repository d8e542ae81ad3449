"""In-process httpx transports: each request goes straight to ``SandboxApp.process``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from jet_orderhive.testing._sandbox.app import Outcome, SandboxApp

__all__ = ["AsyncSandboxTransport", "SandboxTransport"]


def _response(outcome: Outcome, request: httpx.Request) -> httpx.Response:
    if outcome.drop == "before":
        raise httpx.ConnectError(
            "sandbox: connection dropped before the request was sent", request=request
        )
    if outcome.drop == "after":
        # The sandbox applied the request; only the answer is lost, as in a crash window.
        raise httpx.RemoteProtocolError(
            "sandbox: server disconnected without sending a response", request=request
        )
    return httpx.Response(
        outcome.status, headers=dict(outcome.headers), content=outcome.body, request=request
    )


class SandboxTransport(httpx.BaseTransport):
    """Sync transport; ``sleep`` (if given) serves injected latency."""

    def __init__(self, app: SandboxApp, sleep: Callable[[float], object] | None) -> None:
        self._app = app
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        outcome = self._app.process(
            request.method, str(request.url), dict(request.headers), request.read()
        )
        if outcome.delay and self._sleep is not None:
            self._sleep(outcome.delay)
        return _response(outcome, request)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """Async transport; ``sleep`` (if given) is awaited for injected latency."""

    def __init__(self, app: SandboxApp, sleep: Callable[[float], Awaitable[object]] | None) -> None:
        self._app = app
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        outcome = self._app.process(request.method, str(request.url), dict(request.headers), body)
        if outcome.delay and self._sleep is not None:
            await self._sleep(outcome.delay)
        return _response(outcome, request)
