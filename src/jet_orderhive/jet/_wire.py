"""The clients' own HTTP/1.1 connection pools: kept-alive sockets, one request at a time each.

A client that is given neither ``transport=`` nor ``http_client=`` sends through these rather
than through ``httpx.Client``: Jet's API is plain HTTP/1.1 with JSON bodies, and httpx's general
machinery (URL objects, cookies, auth and redirect flows, httpcore's pool and h11's state
machine) cost several times this library's own work per request. The framing is
:mod:`jet_orderhive.jet._http1`'s; TLS is httpx's default context (certifi's roots, and
``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set); timeouts are the client's ``httpx.Timeout``
phases. When the environment names a proxy the clients use httpx instead, which honours it.

Every outcome is a :class:`RawResponse` (through the attempt's :class:`BodyReader`, which caps
the size and keeps the deadline) or a :class:`TransportFailure` that says whether the request
can have reached the server: only a failure to connect is ``NOT_SENT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import socket
import ssl
import threading
import time
import urllib.request
import weakref
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

import httpx

from jet_orderhive.jet._body import BodyReader
from jet_orderhive.jet._effects import (
    HttpRequest,
    RawResponse,
    TransportFailure,
    transport_failure,
)
from jet_orderhive.jet._http1 import Origin, ProtocolError, ResponseParser, encode_request
from jet_orderhive.jet._retry import FailureKind

__all__ = ["AsyncWire", "SyncWire", "proxies_configured", "readable"]

#: Seconds an idle connection is kept for reuse (httpx's default keep-alive expiry).
KEEPALIVE_EXPIRY: Final = 5.0
#: Idle connections kept per origin; a busier moment opens more and closes the surplus.
MAX_IDLE_PER_ORIGIN: Final = 64
_READ_SIZE: Final = 64 * 1024


def proxies_configured() -> bool:
    """Whether the environment names an HTTP(S) proxy (then httpx, which honours it, sends)."""
    return any(
        scheme in ("http", "https", "all") for scheme in urllib.request.getproxies_environment()
    )


def _encoded(request: HttpRequest) -> tuple[Origin, bytes] | TransportFailure:
    """Where ``request`` goes and its bytes, or why it cannot be written (nothing was sent)."""
    try:
        return encode_request(request.method, request.url, request.headers, request.content)
    except ProtocolError as exc:
        return transport_failure(FailureKind.NOT_SENT, "LocalProtocolError", exc)


def _connect_failure(exc: OSError) -> TransportFailure:
    """A connection that could not be made: nothing was sent."""
    if isinstance(exc, TimeoutError):
        return transport_failure(FailureKind.NOT_SENT, "ConnectTimeout", str(exc) or "timed out")
    return transport_failure(FailureKind.NOT_SENT, "ConnectError", exc)


def _read_failure(exc: ProtocolError | OSError) -> TransportFailure:
    """No complete answer to a request that was written, wholly or in part."""
    if isinstance(exc, TimeoutError):
        return transport_failure(FailureKind.MAYBE_SENT, "ReadTimeout", str(exc) or "timed out")
    if isinstance(exc, ProtocolError):
        return transport_failure(FailureKind.MAYBE_SENT, "RemoteProtocolError", exc)
    return transport_failure(FailureKind.MAYBE_SENT, "ReadError", exc)


def readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once: an idle connection the server closed, or garbage."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    if not hasattr(select, "poll"):  # pragma: no cover - Windows
        ready, _, _ = select.select([fd], [], [], 0)
        return bool(ready)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _TlsContext:
    """httpx's default TLS context, made once on the first ``https`` connection."""

    def __init__(self) -> None:
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def get(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                self._context = httpx.create_ssl_context()
            return self._context


def _phase(timeout: float | None, reader: BodyReader) -> float:
    """A phase's socket timeout: its own, but never past the attempt's deadline."""
    left = max(reader.remaining(), 0.001)
    return left if timeout is None else min(timeout, left)


C = TypeVar("C")


class _Pool(Generic[C]):
    """Idle connections by origin, newest last; safe to share between threads.

    A forked child starts with none: a connection the parent keeps must never carry the
    child's requests too, or the two would read each other's answers.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        usable: Callable[[C], bool],
        close: Callable[[C], None],
    ) -> None:
        self._idle: dict[Origin, list[tuple[float, C]]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._usable = usable
        self._close = close
        self.closed = False
        _POOLS.add(self)

    def forget(self) -> None:
        """Drop every idle connection without a word to the server (after a fork)."""
        self._lock = threading.Lock()  # a thread of the parent may have held it
        for entries in self._idle.values():
            for _, connection in entries:
                if isinstance(connection, socket.socket):
                    # Closing the child's copy sends nothing: the parent's stays open.
                    _close(connection)
        self._idle = {}

    def _pop(self, origin: Origin) -> tuple[float, C] | None:
        with self._lock:
            idle = self._idle.get(origin)
            return idle.pop() if idle else None

    def take(self, origin: Origin) -> C | None:
        """The newest idle connection to ``origin`` still fit to use, or None; the stale ones
        met on the way (idle too long, or closed by the server) are closed."""
        while (entry := self._pop(origin)) is not None:
            since, connection = entry
            if self._clock() - since < KEEPALIVE_EXPIRY and self._usable(connection):
                return connection
            self._close(connection)
        return None

    def put(self, origin: Origin, connection: C) -> bool:
        """Keep ``connection`` for reuse; False when the pool is closed or full (close it)."""
        with self._lock:
            if self.closed:
                return False
            idle = self._idle.setdefault(origin, [])
            if len(idle) >= MAX_IDLE_PER_ORIGIN:
                return False
            idle.append((self._clock(), connection))
            return True

    def close_all(self) -> None:
        """Close the pool and every idle connection; no connection is kept after this."""
        with self._lock:
            self.closed = True
            idle = [c for entries in self._idle.values() for _, c in entries]
            self._idle.clear()
        for connection in idle:
            self._close(connection)


_POOLS: weakref.WeakSet[_Pool[Any]] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for pool in list(_POOLS):
        pool.forget()


if hasattr(os, "register_at_fork"):  # pragma: no branch - every POSIX Python has it
    os.register_at_fork(after_in_child=_after_fork_in_child)


class SyncWire:
    """A thread-safe pool of blocking sockets for :class:`~jet_orderhive.jet.JetClient`."""

    def __init__(self, timeout: httpx.Timeout, *, clock: Callable[[], float] = time.monotonic):
        self._timeout = timeout
        self._clock = clock
        self._pool: _Pool[socket.socket] = _Pool(clock, _open_and_quiet, _close)
        self._tls = _TlsContext()

    def close(self) -> None:
        """Close every idle connection; a connection in use is closed when its answer is read."""
        self._pool.close_all()

    def _connect(self, origin: Origin, reader: BodyReader) -> socket.socket:
        sock = socket.create_connection(
            (origin.host, origin.port), timeout=_phase(self._timeout.connect, reader)
        )
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if origin.scheme == "https":
                sock = self._tls.get().wrap_socket(sock, server_hostname=origin.host)
        except BaseException:
            sock.close()
            raise
        return sock

    def send(self, request: HttpRequest, reader: BodyReader) -> RawResponse | TransportFailure:
        """Send ``request`` and read its answer into ``reader``."""
        encoded = _encoded(request)
        if isinstance(encoded, TransportFailure):
            return encoded
        origin, data = encoded
        sock = self._pool.take(origin)
        if sock is None:
            try:
                sock = self._connect(origin, reader)
            except OSError as exc:  # refused, unreachable, no such host, TLS, timed out
                return _connect_failure(exc)
        keep = False
        try:
            try:
                sock.settimeout(_phase(self._timeout.write, reader))
                sock.sendall(data)
            except TimeoutError as exc:
                return transport_failure(
                    FailureKind.MAYBE_SENT, "WriteTimeout", str(exc) or "timed out"
                )
            except OSError as exc:
                return transport_failure(FailureKind.MAYBE_SENT, "WriteError", exc)
            try:
                parser = ResponseParser(request.method)
                read = self._timeout.read
                while (head := parser.read_head()) is None:
                    sock.settimeout(_phase(read, reader))
                    parser.feed(sock.recv(_READ_SIZE))
                while (piece := parser.read_body()) != b"":
                    if piece is None:
                        sock.settimeout(_phase(read, reader))
                        parser.feed(sock.recv(_READ_SIZE))
                    elif not reader.feed(piece):
                        break
                keep = parser.done and parser.reusable
            except (ProtocolError, OSError) as exc:
                return _read_failure(exc)
        finally:
            if not (keep and self._pool.put(origin, sock)):
                _close(sock)
        return reader.finish(head.status, head.headers)


def _open_and_quiet(sock: socket.socket) -> bool:
    return not readable(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


class _Connection(asyncio.Protocol):
    """One asyncio connection: bytes in go to the current answer's parser, a waiter wakes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser: ResponseParser | None = None
        self.lost = False
        self._waiter: asyncio.Future[None] | None = None
        self._pending = bytearray()
        self._eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.parser is None:
            self._pending += data  # bytes nobody asked for: the connection will not be reused
        else:
            self.parser.feed(data)
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        if self.parser is not None:
            self.parser.feed(b"")
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self._eof:
            self._eof = True
            if self.parser is not None:
                self.parser.feed(b"")
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def usable(self) -> bool:
        """Whether the next request may use this connection: open, and with nothing to read.

        The socket itself is asked too: the event loop may not have run since the server
        closed the connection, so its end would not have been seen yet.
        """
        transport = self.transport
        if self.lost or self._eof or self._pending or transport is None:
            return False
        if transport.is_closing():
            return False
        sock = transport.get_extra_info("socket")
        return sock is None or not readable(sock)

    def begin(self, method: str) -> ResponseParser:
        parser = self.parser = ResponseParser(method)
        if self._eof:  # lost since it was checked: the answer's read sees the end at once
            parser.feed(b"")
        return parser

    async def more(self, timeout: float) -> None:
        """Wait until bytes (or the end) arrive; TimeoutError after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiter = waiter
        timer = loop.call_later(timeout, _time_out, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _time_out(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("timed out"))


class AsyncWire:
    """A pool of asyncio connections for :class:`~jet_orderhive.jet.AsyncJetClient`."""

    def __init__(self, timeout: httpx.Timeout, *, clock: Callable[[], float] = time.monotonic):
        self._timeout = timeout
        self._clock = clock
        self._pool: _Pool[_Connection] = _Pool(clock, _Connection.usable, _Connection.close)
        self._tls = _TlsContext()

    async def aclose(self) -> None:
        """Close every idle connection; a connection in use is closed when its answer is read."""
        self._pool.close_all()

    async def _connect(self, origin: Origin, reader: BodyReader) -> _Connection:
        loop = asyncio.get_running_loop()
        limit = _phase(self._timeout.connect, reader)
        tls = self._tls.get() if origin.scheme == "https" else None
        _, connection = await asyncio.wait_for(
            loop.create_connection(
                _Connection,
                origin.host,
                origin.port,
                ssl=tls,
                server_hostname=origin.host if tls else None,
            ),
            limit,
        )
        return connection

    async def send(
        self, request: HttpRequest, reader: BodyReader
    ) -> RawResponse | TransportFailure:
        """Send ``request`` and read its answer into ``reader``."""
        encoded = _encoded(request)
        if isinstance(encoded, TransportFailure):
            return encoded
        origin, data = encoded
        connection = self._pool.take(origin)
        if connection is None:
            try:
                connection = await self._connect(origin, reader)
            except OSError as exc:  # TimeoutError is one too
                return _connect_failure(exc)
        keep = False
        try:
            parser = connection.begin(request.method)
            transport = connection.transport
            assert transport is not None
            # The kernel takes the whole request at once or the transport buffers the rest;
            # either way the answer's wait below covers the write as well.
            transport.write(data)
            read = self._timeout.read
            try:
                while (head := parser.read_head()) is None:
                    await connection.more(_phase(read, reader))
                while (piece := parser.read_body()) != b"":
                    if piece is None:
                        await connection.more(_phase(read, reader))
                    elif not reader.feed(piece):
                        break
                keep = parser.done and parser.reusable
            except (ProtocolError, OSError) as exc:
                return _read_failure(exc)
        finally:
            connection.parser = None
            if not (keep and connection.usable() and self._pool.put(origin, connection)):
                connection.close()
        return reader.finish(head.status, head.headers)
