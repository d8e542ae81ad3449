"""A sandbox served over HTTP on loopback from a separate process, so the client under test
and the server do not share one interpreter (or its GIL)."""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection

import attrs


@attrs.frozen(kw_only=True)
class Served:
    """Where the served sandbox listens, its credentials and the ids of its ready orders."""

    base_url: str
    user: str
    secret: str
    order_ids: tuple[str, ...]
    _conn: Connection

    def counts(self) -> dict[int, int]:
        """Requests answered so far, by HTTP status."""
        self._conn.send("counts")
        counts: dict[int, int] = self._conn.recv()
        return counts

    def reset(self) -> None:
        """Forget the request log (between runs)."""
        self._conn.send("reset")
        self._conn.recv()


def _child(conn: Connection, orders: int, latency: float, per_second: float | None) -> None:
    from jet_orderhive.testing import JetSandbox

    sandbox = JetSandbox(seed=1, sleep=time.sleep)
    ids = sandbox.generate_orders(orders)
    if latency:
        sandbox.latency(latency)
    if per_second is not None:
        sandbox.limit_rate(per_second)
    with sandbox.serve() as url:
        conn.send((url, sandbox.user, sandbox.secret, ids))
        while True:
            command = conn.recv()
            if command == "counts":
                tally: dict[int, int] = {}
                for request in sandbox.requests:
                    if request.status is not None:
                        tally[request.status] = tally.get(request.status, 0) + 1
                conn.send(tally)
            elif command == "reset":
                sandbox.clear_requests()
                conn.send(None)
            else:
                return


@contextlib.contextmanager
def served_sandbox(
    orders: int, *, latency: float = 0.0, per_second: float | None = None
) -> Iterator[Served]:
    """Start the sandbox in a child process; yield how to reach it; stop it on exit."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_child, args=(child, orders, latency, per_second), daemon=True)
    process.start()
    try:
        url, user, secret, ids = parent.recv()
        yield Served(base_url=url, user=user, secret=secret, order_ids=tuple(ids), conn=parent)
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent.send("stop")
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
