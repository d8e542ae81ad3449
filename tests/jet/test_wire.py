"""The clients' own HTTP/1.1 pools: framing, hostile answers, reuse, timeouts and TLS.

The parser is checked on its own (sans-I/O), then both pools against real loopback sockets:
a scripted raw server for answers no well-behaved server sends, the served sandbox for the
whole client, and a TLS server with a certificate made for the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jet_orderhive.jet import AsyncJetClient, JetClient
from jet_orderhive.jet._body import BodyLimits, BodyReader
from jet_orderhive.jet._effects import HttpRequest, RawResponse, TransportFailure
from jet_orderhive.jet._http1 import (
    MAX_HEAD_BYTES,
    MAX_HEADER_LINES,
    ProtocolError,
    ResponseParser,
    encode_request,
)
from jet_orderhive.jet._retry import FailureKind
from jet_orderhive.jet._wire import AsyncWire, SyncWire
from jet_orderhive.testing import JetSandbox
from jet_orderhive.testing._sandbox import server as served

TIMEOUT = httpx.Timeout(5.0)

# -- the parser on its own --------------------------------------------------------------------


def parse(raw: bytes, method: str = "GET", *, eof: bool = True) -> tuple[int, bytes, bool]:
    """Feed ``raw`` in 7-byte pieces; return the status, the body and whether the connection
    may be reused."""
    parser = ResponseParser(method)
    pieces = [raw[i : i + 7] for i in range(0, len(raw), 7)]
    body = b""
    head = None
    while True:
        if head is None:
            head = parser.read_head()
            if head is not None:
                continue
        else:
            piece = parser.read_body()
            if piece == b"":
                return head.status, body, parser.reusable
            if piece is not None:
                body += piece
                continue
        if pieces:
            parser.feed(pieces.pop(0))
        elif eof:
            parser.feed(b"")
            eof = False
        else:
            raise AssertionError("the parser wants more bytes than the answer has")


def test_a_content_length_answer() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello"
    parser = ResponseParser("GET")
    parser.feed(raw)
    head = parser.read_head()
    assert head is not None
    assert (head.status, head.reason, head.headers["x-a"]) == (200, "OK", "1, 2")
    assert parse(raw, eof=False) == (200, b"hello", True)


def test_a_chunked_answer_with_extensions_and_trailers() -> None:
    raw = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1A\r\n" + b"x" * 26 + b"\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    assert parse(raw, eof=False) == (201, b"hello" + b"x" * 26, True)


def test_answers_without_a_body() -> None:
    assert parse(b"HTTP/1.1 204 No Content\r\n\r\n", eof=False) == (204, b"", True)
    assert parse(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", eof=False)[1] == b""
    head_answer = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
    assert parse(head_answer, "HEAD", eof=False) == (200, b"", True)


def test_informational_answers_are_skipped() -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    assert parse(raw, eof=False) == (200, b"ok", True)


def test_what_ends_the_connection_after_the_answer() -> None:
    # No length: the body runs to the end of the connection.
    assert parse(b"HTTP/1.1 200 OK\r\n\r\nto the end") == (200, b"to the end", False)
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    assert parse(closing, eof=False) == (200, b"ok", False)
    assert parse(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", eof=False)[2] is False
    # Bytes after the answer were never asked for: that connection is not used again.
    assert parse(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", eof=False)[2] is False


HOSTILE = {
    "no answer at all": b"",
    "a head cut short": b"HTTP/1.1 200 OK\r\nContent-Len",
    "a body cut short": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    "a chunk cut short": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc",
    "a malformed status line": b"HTTP/2 200 OK\r\n\r\n",
    "a status that is not 3 digits": b"HTTP/1.1 2000 OK\r\n\r\n",
    "a header line without a colon": b"HTTP/1.1 200 OK\r\nnot a header\r\n\r\n",
    "a folded header line": b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n",
    "a space before the colon": b"HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n",
    "a control character in a value": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n",
    "conflicting content-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok",
    "a negative content-length": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "a content-length in hex": b"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
    "an unasked transfer coding": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    "a bad chunk size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "a chunk longer than its size": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"
    ),
    "a switch of protocols": b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    "a head over the limit": b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n",
    "too many header lines": (
        b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * (MAX_HEADER_LINES + 1) + b"\r\n"
    ),
    "a chunk-size line over the limit": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + b"e" * 2000 + b"\r\n"
    ),
}


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_answers_are_protocol_errors(raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse(raw)


def test_an_endless_head_is_refused_before_it_is_all_read() -> None:
    parser = ResponseParser("GET")
    parser.feed(b"HTTP/1.1 200 OK\r\n")
    line = b"X-A: " + b"a" * 1019 + b"\r\n"
    fed = 0
    with pytest.raises(ProtocolError, match="longer than"):  # noqa: PT012 - fed until refused
        while fed <= 2 * MAX_HEAD_BYTES:
            parser.feed(line)
            fed += len(line)
            parser.read_head()
    assert MAX_HEAD_BYTES - len(line) < fed <= MAX_HEAD_BYTES + len(line)


# -- writing a request ------------------------------------------------------------------------


def test_a_request_is_written_whole() -> None:
    origin, data = encode_request(
        "PUT", "http://127.0.0.1:8080/api/orders/a b?x=1", [("Accept", "*/*")], b"{}"
    )
    assert (origin.scheme, origin.host, origin.port) == ("http", "127.0.0.1", 8080)
    assert data == (
        b"PUT /api/orders/a%20b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: */*\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )


def test_defaults_ports_ipv6_and_empty_bodies() -> None:
    origin, data = encode_request("POST", "https://Merchant-API.jet.com/api/token", [], None)
    assert (origin.host, origin.port) == ("merchant-api.jet.com", 443)
    assert data.startswith(b"POST /api/token HTTP/1.1\r\nHost: merchant-api.jet.com\r\n")
    assert b"Content-Length: 0\r\n" in data  # a POST with no body still says so
    _, data = encode_request("GET", "http://[::1]:81/", [], None)
    assert b"Host: [::1]:81\r\n" in data
    assert b"Content-Length" not in data


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "http://127.0.0.1/", [("X-A", "a\r\nX-Injected: 1")]),
        ("GET", "http://127.0.0.1/", [("X A", "1")]),
        ("GET", "http://127.0.0.1/", [("X-A", "\u20ac")]),
        ("G T", "http://127.0.0.1/", []),
        ("GET", "ftp://127.0.0.1/", []),
        ("GET", "/relative", []),
        ("GET", "http://127.0.0.1:99999/", []),
    ],
)
def test_requests_that_would_break_the_framing_are_refused(
    method: str, url: str, headers: list[tuple[str, str]]
) -> None:
    with pytest.raises(ProtocolError):
        encode_request(method, url, headers, None)


# -- both pools against a scripted raw server -------------------------------------------------


class RawServer:
    """Accepts connections on loopback; each request is answered by ``answer(index, request)``,
    which returns the bytes to send and whether to close the connection afterwards."""

    def __init__(self, answer: Callable[[int, bytes], tuple[bytes, bool]]) -> None:
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._stop = False
        self._accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            self._accepted.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                index = len(self.requests)
                self.requests.append(head)
                reply, close = self.answer(index, head)
                try:
                    conn.sendall(reply)
                except OSError:
                    return
                if close:
                    return

    def url(self, path: str = "/x") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._stop = True
        self.listener.close()
        for conn in self._accepted:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)


@contextlib.contextmanager
def raw_server(answer: Callable[[int, bytes], tuple[bytes, bool]]) -> Iterator[RawServer]:
    server = RawServer(answer)
    try:
        yield server
    finally:
        server.close()


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def reader(max_bytes: int = 1024 * 1024, deadline: float = 30.0) -> BodyReader:
    return BodyReader(BodyLimits(max_bytes=max_bytes, deadline=deadline), time.monotonic)


def get(url: str, method: str = "GET") -> HttpRequest:
    return HttpRequest(method=method, url=url, headers=(("Accept", "*/*"),), content=None)


class Shell:
    """One wire, sync or async, driven the same way from the test."""

    def __init__(self, kind: str, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.kind = kind
        self.wire: SyncWire | AsyncWire = (
            SyncWire(timeout) if kind == "sync" else AsyncWire(timeout)
        )
        self.loop = asyncio.new_event_loop() if kind == "async" else None

    def send(self, request: HttpRequest, body: BodyReader | None = None) -> Any:
        body = body or reader()
        if isinstance(self.wire, SyncWire):
            return self.wire.send(request, body)
        assert self.loop is not None
        return self.loop.run_until_complete(self.wire.send(request, body))

    def close(self) -> None:
        if isinstance(self.wire, SyncWire):
            self.wire.close()
        else:
            assert self.loop is not None
            self.loop.run_until_complete(self.wire.aclose())
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def shell(request: pytest.FixtureRequest) -> Iterator[Shell]:
    made = Shell(request.param)
    yield made
    made.close()


def test_a_kept_alive_connection_carries_many_requests(shell: Shell) -> None:
    with raw_server(lambda i, _r: (OK, False)) as server:
        for _ in range(5):
            answer = shell.send(get(server.url()))
            assert isinstance(answer, RawResponse)
            assert (answer.status, answer.body) == (200, b"ok")
        assert server.connections == 1
        assert server.requests[0].startswith(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1:")


def test_a_connection_the_server_closed_is_not_reused(shell: Shell) -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    with raw_server(lambda i, _r: (closing if i == 0 else OK, i == 0)) as server:
        assert shell.send(get(server.url())).status == 200
        assert shell.send(get(server.url())).status == 200
        assert server.connections == 2


def test_an_idle_connection_closed_by_the_server_is_replaced(shell: Shell) -> None:
    # The server closes after answering, without saying so: the pool sees the closed socket
    # before reusing it and opens a new one, so the second request does not fail.
    with raw_server(lambda i, _r: (OK, True)) as server:
        assert shell.send(get(server.url())).status == 200
        time.sleep(0.05)
        assert shell.send(get(server.url())).status == 200
        assert server.connections == 2


@pytest.mark.parametrize(
    "name", ["a body cut short", "a malformed status line", "no answer at all"]
)
def test_a_broken_answer_is_a_maybe_sent_failure(shell: Shell, name: str) -> None:
    with raw_server(lambda i, _r: (HOSTILE[name], True)) as server:
        failure = shell.send(get(server.url()))
    assert isinstance(failure, TransportFailure)
    assert failure.kind is FailureKind.MAYBE_SENT
    assert failure.description.startswith("RemoteProtocolError: ")


def test_a_refused_connection_was_not_sent(shell: Shell) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    failure = shell.send(get(f"http://127.0.0.1:{port}/x"))
    assert isinstance(failure, TransportFailure)
    assert failure.kind is FailureKind.NOT_SENT
    assert failure.description.startswith("ConnectError")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_silent_server_is_a_read_timeout(kind: str) -> None:
    silent = Shell(kind, httpx.Timeout(0.2))
    try:
        with raw_server(lambda i, _r: (b"", False)) as server:
            failure = silent.send(get(server.url()))
    finally:
        silent.close()
    assert isinstance(failure, TransportFailure)
    assert (failure.kind, failure.description) == (FailureKind.MAYBE_SENT, "ReadTimeout: timed out")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_deadline_bounds_a_server_that_drips(kind: str) -> None:
    """Each read comes within the read timeout, but the attempt as a whole may not outlast its
    deadline: the socket waits are cut to what is left of it."""

    def drip(_index: int, _request: bytes) -> tuple[bytes, bool]:
        time.sleep(0.3)  # longer than the whole deadline below
        return OK, False

    patient = Shell(kind, httpx.Timeout(10.0))
    try:
        with raw_server(drip) as server:
            started = time.monotonic()
            failure = patient.send(get(server.url()), reader(deadline=0.1))
            waited = time.monotonic() - started
    finally:
        patient.close()
    assert isinstance(failure, TransportFailure)
    assert failure.kind is FailureKind.MAYBE_SENT
    assert waited < 5.0  # the read timeout (10 s) was not the limit


def test_an_answer_over_the_size_cap_is_cut_and_the_connection_dropped(shell: Shell) -> None:
    # A chunked answer whose end never comes: only the cap stops the reading, and the
    # connection, in the middle of an answer, is not used again.
    big = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n" + b"x" * 5000
    with raw_server(lambda i, _r: (big if i == 0 else OK, False)) as server:
        answer = shell.send(get(server.url()), reader(max_bytes=1000))
        assert isinstance(answer, RawResponse)
        assert "max_response_bytes" in (answer.problem or "")
        assert shell.send(get(server.url())).status == 200
        assert server.connections == 2  # the unread rest of the big answer is not reused


def test_a_request_that_cannot_be_written_is_not_sent(shell: Shell) -> None:
    request = HttpRequest(
        method="GET", url="http://127.0.0.1:9/x", headers=(("X-A", "a\nb"),), content=None
    )
    failure = shell.send(request)
    assert isinstance(failure, TransportFailure)
    assert failure.kind is FailureKind.NOT_SENT


# -- the whole client over the served sandbox -------------------------------------------------


def _count_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    accepted: list[object] = []
    original = served._Server.process_request

    def record(self: Any, request: Any, client_address: Any) -> None:
        accepted.append(request)
        original(self, request, client_address)

    monkeypatch.setattr(served._Server, "process_request", record)
    return accepted


def test_a_default_client_sends_through_its_own_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted = _count_connections(monkeypatch)
    sandbox = JetSandbox(seed=4)
    ids = sandbox.generate_orders(20)
    with sandbox.serve() as url, JetClient(sandbox.user, sandbox.secret, base_url=url) as client:
        assert client._wire is not None
        assert sorted(client.list_order_ids("ready")) == sorted(ids)
        fetched = list(client.fetch_orders(ids, concurrency=4))
    assert [f.order.merchant_order_id for f in fetched if f.order] == ids
    assert 1 <= len(accepted) <= 5  # the token, the list and 20 reads over at most 4+1 sockets


def test_a_default_async_client_sends_through_its_own_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accepted = _count_connections(monkeypatch)
    sandbox = JetSandbox(seed=4)
    ids = sandbox.generate_orders(20)

    async def main(url: str) -> list[str]:
        async with AsyncJetClient(sandbox.user, sandbox.secret, base_url=url) as client:
            assert client._wire is not None
            listed = await client.list_order_ids("ready")
            fetched = [f async for f in client.fetch_orders(listed, concurrency=4)]
            return [f.order.merchant_order_id for f in fetched if f.order]

    with sandbox.serve() as url:
        assert sorted(asyncio.run(main(url))) == sorted(ids)
    assert 1 <= len(accepted) <= 5


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient])
def test_a_proxy_in_the_environment_sends_through_httpx(
    monkeypatch: pytest.MonkeyPatch, cls: type[JetClient | AsyncJetClient]
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = cls("user", "secret")
    assert client._wire is None
    assert isinstance(client._http, httpx.Client | httpx.AsyncClient)


@pytest.mark.parametrize("cls", [JetClient, AsyncJetClient])
def test_a_transport_or_http_client_given_sends_through_httpx(
    cls: type[JetClient | AsyncJetClient],
) -> None:
    sandbox = JetSandbox()
    transport = sandbox.transport() if cls is JetClient else sandbox.async_transport()
    assert cls("user", "secret", transport=transport)._wire is None  # type: ignore[arg-type]


# -- TLS --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:  # CI installs it (.ci/run)
        pytest.skip("openssl is not installed, so no test certificate can be made")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]
    subprocess.run(
        [*command, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.contextmanager
def tls_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += tls.recv(65536)
                    tls.sendall(OK)
            except (OSError, ssl.SSLError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_tls_to_a_trusted_certificate(
    shell: Shell, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with tls_server(certificate) as port:
        answer = shell.send(get(f"https://localhost:{port}/x"))
    assert isinstance(answer, RawResponse)
    assert (answer.status, answer.body) == (200, b"ok")


def test_tls_to_an_untrusted_certificate_is_refused(
    shell: Shell, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with tls_server(certificate) as port:
        failure = shell.send(get(f"https://localhost:{port}/x"))
    assert isinstance(failure, TransportFailure)
    assert failure.kind is FailureKind.NOT_SENT
    assert "CERTIFICATE_VERIFY_FAILED" in failure.description


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_opens_its_own_connections() -> None:
    """The parent's kept-alive connection is not the child's: the child connects anew, and the
    parent's connection still works afterwards."""
    wire = SyncWire(TIMEOUT)
    with raw_server(lambda i, _r: (OK, False)) as server:
        assert wire.send(get(server.url()), reader()).status == 200  # type: ignore[union-attr]
        pid = os.fork()
        if pid == 0:  # the child: report through the exit status only
            answer = wire.send(get(server.url()), reader())
            os._exit(0 if isinstance(answer, RawResponse) and answer.status == 200 else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert wire.send(get(server.url()), reader()).status == 200  # type: ignore[union-attr]
        assert server.connections == 2  # the parent's one, reused, and the child's own
    wire.close()


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
)
def test_a_target_is_escaped_as_quote_escapes_it(path: str, query: str) -> None:
    """A clean path or query is sent as it is, anything else as ``urllib.parse.quote``
    escapes it: the shortcut never changes what goes on the wire."""
    path = "/" + path.replace("?", "").replace("#", "")
    query = query.replace("#", "")
    url = f"http://127.0.0.1:8000{path}" + (f"?{query}" if query else "")
    _, data = encode_request("GET", url, [], None)
    parts = urlsplit(url)
    expected = quote(parts.path or "/", safe="!#$%&'()*+,/:;=?@[]~")
    if parts.query:
        expected += "?" + quote(parts.query, safe="!#$%&'()*+,/:;=?@[]~")
    assert data.split(b" ", 2)[1] == expected.encode()
