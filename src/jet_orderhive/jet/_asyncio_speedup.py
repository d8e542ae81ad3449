"""Spare the async client work that httpcore's asyncio path repeats on every request.

First, a failed ``import sniffio`` (below); second, an anyio attribute map built for each check
of an idle connection (:func:`cache_stream_sockets`).

httpcore asks ``sniffio`` which event loop runs each time it makes a lock, event or semaphore
(several per request), importing it inside the function and treating ``ImportError`` as
asyncio. Since anyio 4.11 stopped depending on ``sniffio`` it is often absent, and Python does
not remember a failed import: each call searches every ``sys.path`` entry again, which made the
async client 1.5-2.5x slower than the threaded one (encode/httpcore#1103).

Marking the missing module as missing in ``sys.modules`` makes that import fail at once, with
the same ``ImportError`` (``importlib.util.find_spec`` still answers None). Nothing changes
when ``sniffio`` is installed. The one cost: a ``sniffio`` installed into a running process
cannot be imported until it restarts.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, Final

import httpx

from jet_orderhive.jet._wire import readable as _readable

__all__ = ["cache_stream_sockets", "remember_missing_sniffio"]


def remember_missing_sniffio() -> None:
    """Record ``sniffio`` as not installed, if it is not, so importing it fails fast."""
    if "sniffio" in sys.modules:
        return
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


class _Stream:
    """An httpcore network stream that remembers its socket, so the pool's check of each idle
    connection ("has the server closed it?") is one ``poll``, not a fresh anyio attribute map
    per call (the rest of the async client's extra CPU per request over the threaded one)."""

    __slots__ = ("_inner", "_socket")

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._socket: Any = _UNSET

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = await self._inner.read(max_bytes, timeout)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _Stream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info != "is_readable":
            return self._inner.get_extra_info(info)
        if self._socket is _UNSET:
            self._socket = self._inner.get_extra_info("socket")
        return _readable(self._socket)


class _Backend:
    """Wraps an httpcore network backend so that every stream it opens is a :class:`_Stream`."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> _Stream:
        return _Stream(await self._inner.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> _Stream:
        return _Stream(await self._inner.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_UNSET: Final = object()


def cache_stream_sockets(http: httpx.AsyncClient) -> None:
    """Give the connection pools of a client this module made a caching network backend.

    It reaches into httpx's and httpcore's private attributes, so it checks each step and does
    nothing at all when a future version lays them out differently.
    """
    transports = [getattr(http, "_transport", None)]
    transports += list(getattr(http, "_mounts", {}).values())
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is None or isinstance(backend, _Backend):
            continue
        if not all(hasattr(backend, name) for name in ("connect_tcp", "sleep")):
            continue
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
