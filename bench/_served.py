"""A sandbox served over HTTP on loopback from a separate process, so the client under test
and the server do not share one interpreter (or its GIL)."""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Iterator
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class Served:
    """Where the served sandbox listens, its credentials and the ids of its generated orders."""

    base_url: str
    user: str
    secret: str
    order_ids: tuple[str, ...]
    node_id: str
    _conn: Connection

    def _ask(self, command: str, *args: Any) -> Any:
        self._conn.send((command, *args))
        return self._conn.recv()

    def counts(self) -> dict[int, int]:
        """Requests answered so far, by HTTP status."""
        counts: dict[int, int] = self._ask("counts")
        return counts

    def kinds(self) -> dict[str, int]:
        """Requests answered so far, by the sandbox's request kind (``order_list``, ...)."""
        kinds: dict[str, int] = self._ask("kinds")
        return kinds

    def requests(self) -> int:
        """How many requests the sandbox answered so far."""
        return sum(self.counts().values())

    def cpu(self) -> float:
        """CPU seconds the server process has used so far (all its threads)."""
        seconds: float = self._ask("cpu")
        return seconds

    def payloads(self) -> list[bytes]:
        """Jet's JSON of every generated order, as the detail read serves it."""
        payloads: list[bytes] = self._ask("payloads")
        return payloads

    def reset(self) -> None:
        """Forget the request log (between runs)."""
        self._ask("reset")


@attrs.frozen(kw_only=True)
class _Setup:
    orders: int
    status: str
    latency: float
    per_second: float | None
    skus: int


def _child(conn: Connection, setup: _Setup) -> None:
    from jet_orderhive._json import dumps
    from jet_orderhive.testing import JetSandbox

    sandbox = JetSandbox(seed=1, sleep=time.sleep)
    ids = sandbox.generate_orders(setup.orders, status=setup.status)  # type: ignore[arg-type]
    for index in range(setup.skus):
        sandbox.add_sku(f"SKU-{index:06d}", price=Decimal("10.00"))
    if setup.latency:
        sandbox.latency(setup.latency)
    if setup.per_second is not None:
        sandbox.limit_rate(setup.per_second)
    with sandbox.serve() as url:
        conn.send((url, sandbox.user, sandbox.secret, ids, sandbox.fulfillment_node_id))
        while True:
            command, *_args = conn.recv()
            if command == "counts":
                tally: dict[int, int] = {}
                for request in sandbox.requests:
                    if request.status is not None:
                        tally[request.status] = tally.get(request.status, 0) + 1
                conn.send(tally)
            elif command == "kinds":
                kinds: dict[str, int] = {}
                for request in sandbox.requests:
                    if request.status is not None:
                        kinds[request.kind] = kinds.get(request.kind, 0) + 1
                conn.send(kinds)
            elif command == "cpu":
                conn.send(time.process_time())
            elif command == "payloads":
                conn.send([dumps(sandbox.order(i)).encode() for i in ids])
            elif command == "reset":
                sandbox.clear_requests()
                conn.send(None)
            else:
                return


@contextlib.contextmanager
def served_sandbox(
    orders: int,
    *,
    latency: float = 0.0,
    per_second: float | None = None,
    status: str = "ready",
    skus: int = 0,
) -> Iterator[Served]:
    """Start the sandbox in a child process; yield how to reach it; stop it on exit.

    The sandbox holds ``orders`` generated orders in ``status`` and ``skus`` merchant SKUs
    (``SKU-000000``, ...), answers after ``latency`` seconds and, with ``per_second``, refuses
    what goes over that rate with 429.
    """
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    setup = _Setup(orders=orders, status=status, latency=latency, per_second=per_second, skus=skus)
    process = context.Process(target=_child, args=(child, setup), daemon=True)
    process.start()
    try:
        url, user, secret, ids, node = parent.recv()
        yield Served(
            base_url=url, user=user, secret=secret, order_ids=tuple(ids), node_id=node, conn=parent
        )
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent.send(("stop",))
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
