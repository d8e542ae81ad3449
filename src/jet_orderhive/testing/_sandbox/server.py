"""A real HTTP server on 127.0.0.1 in front of ``SandboxApp.process`` (stdlib only)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jet_orderhive.testing._sandbox.app import SandboxApp

__all__ = ["serve"]


def _handler_class(
    app: SandboxApp, sleep: Callable[[float], object] | None
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Answers go out as soon as they are written: with Nagle's algorithm on, the body waits
        # for the client's delayed acknowledgement of the headers, about 40 ms per request.
        disable_nagle_algorithm = True

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                # Clients that stream a body send it in chunks, each led by its hex size.
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline().strip():  # trailers, up to the blank line
                    pass
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _answer(self) -> None:
            body = self._body()
            port = self.server.server_port  # type: ignore[attr-defined]
            host = "127.0.0.1"
            outcome = app.process(
                self.command, f"http://{host}:{port}{self.path}", dict(self.headers.items()), body
            )
            if outcome.delay and sleep is not None:
                sleep(outcome.delay)
            if outcome.drop is not None:
                # Close without a byte of response: the client sees a dropped connection.
                self.close_connection = True
                return
            self.send_response(outcome.status)
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(outcome.body)))
            self.end_headers()
            if self.command != "HEAD":  # a HEAD answer has the headers of the body, not the body
                self.wfile.write(outcome.body)

        # Every verb reaches the app, which answers 405 with Allow like the in-process transport.
        do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _answer
        do_HEAD = do_OPTIONS = do_TRACE = _answer

        def log_message(self, format: str, *args: object) -> None:
            # Request lines may carry buyer data and SAS signatures; the sandbox log has them.
            return

    return Handler


class _Server(ThreadingHTTPServer):
    """A threading server that can also close the connections its clients keep alive."""

    daemon_threads = True
    # socketserver's default backlog is 5: a client opening dozens of connections at once would
    # have its surplus SYNs dropped and retried a second or more later, which no real API does.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that closes its kept-alive connection mid-answer is routine, not a fault.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """End every open connection, so no kept-alive client is answered after the exit."""
        with self._open_lock:
            open_now = list(self._open)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def serve(
    app: SandboxApp, base_path: str, sleep: Callable[[float], object] | None
) -> Iterator[str]:
    """Run the sandbox on an ephemeral loopback port; yield its base URL; stop on exit."""
    server = _Server(("127.0.0.1", 0), _handler_class(app, sleep))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}{base_path}"
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=5)
