"""The async client spares httpcore a failed ``import sniffio`` per request (httpcore#1103)."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import types

import httpx
import pytest

from jet_orderhive.jet import AsyncJetClient
from jet_orderhive.jet._asyncio_speedup import (
    _Backend,
    _readable,
    cache_stream_sockets,
    remember_missing_sniffio,
)
from jet_orderhive.testing import JetSandbox


def test_a_missing_sniffio_is_remembered_so_its_import_fails_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    remember_missing_sniffio()
    assert sys.modules["sniffio"] is None
    with pytest.raises(ImportError):
        import sniffio  # noqa: F401


def test_an_installed_sniffio_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    remember_missing_sniffio()
    assert "sniffio" not in sys.modules
    stand_in = types.ModuleType("sniffio")
    monkeypatch.setitem(sys.modules, "sniffio", stand_in)
    remember_missing_sniffio()
    assert sys.modules["sniffio"] is stand_in


def test_the_async_client_applies_it_when_it_sends_through_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A proxy in the environment is what makes a client of the library's own send via httpx.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    AsyncJetClient("user", "secret")
    assert sys.modules["sniffio"] is None


def test_readable_means_data_waits_or_the_peer_closed() -> None:
    left, right = socket.socketpair()
    try:
        assert not _readable(left)
        right.sendall(b"x")
        assert _readable(left)
        left.recv(1)
        right.close()
        assert _readable(left)  # end of stream: the next read returns b"" at once
    finally:
        left.close()
    assert _readable(left)  # closed here: fileno() is -1
    assert _readable(None)


def test_the_client_pools_get_the_caching_backend_once(monkeypatch: pytest.MonkeyPatch) -> None:
    client = AsyncJetClient("user", "secret", transport=httpx.AsyncHTTPTransport())
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    backend = pool._network_backend
    assert isinstance(backend, _Backend)
    cache_stream_sockets(client._http)
    assert pool._network_backend is backend


def test_an_unknown_layout_is_left_alone() -> None:
    class Odd:
        _transport = object()

    cache_stream_sockets(Odd())  # type: ignore[arg-type]


def test_an_injected_http_client_is_left_alone() -> None:
    http = httpx.AsyncClient()
    before = http._transport._pool._network_backend  # type: ignore[attr-defined]
    AsyncJetClient("user", "secret", http_client=http)
    assert http._transport._pool._network_backend is before  # type: ignore[attr-defined]


def test_the_async_client_fetches_over_real_http_with_it() -> None:
    sandbox = JetSandbox(secret="fixed-secret", seed=3)
    ids = sandbox.generate_orders(12)

    async def run(url: str) -> list[str]:
        async with AsyncJetClient(sandbox.user, sandbox.secret, base_url=url) as client:
            first = [f.order_id async for f in client.fetch_orders(ids[:6], concurrency=4)]
            await asyncio.sleep(0.05)  # idle, kept-alive connections are checked on reuse
            return first + [f.order_id async for f in client.fetch_orders(ids[6:], concurrency=4)]

    with sandbox.serve() as url:
        assert asyncio.run(run(url)) == ids
