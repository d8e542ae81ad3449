"""`RequestPool.serve`: lanes of requests on a bounded pool, their answers on the calling thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from jet_orderhive.sync._pool import RequestPool


class _Lane:
    """Hands out ``count`` requests; each blocks until ``gate`` opens, then returns its number."""

    def __init__(
        self,
        count: int,
        gate: threading.Event,
        fail_on: int | None = None,
        refuse_at: int | None = None,
    ) -> None:
        self.left = list(range(count))
        self.refuse_at = refuse_at
        self.gate = gate
        self.fail_on = fail_on
        self.started: list[int] = []
        self.ended: list[int] = []
        self.halted: BaseException | None = None
        self.threads: set[int] = set()
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def next(self) -> tuple[int, Callable[[], object]] | None:
        self.threads.add(threading.get_ident())
        if not self.left:
            return None
        if self.left[0] == self.refuse_at:
            raise RuntimeError(f"request {self.refuse_at} cannot be sent")
        number = self.left.pop(0)

        def work() -> object:
            with self.lock:
                self.started.append(number)
                self.running += 1
                self.peak = max(self.peak, self.running)
            self.gate.wait(timeout=5)
            with self.lock:
                self.running -= 1
            return number

        return number, work

    def done(self, token: int, result: object) -> None:
        self.threads.add(threading.get_ident())
        assert result == token
        self.ended.append(token)
        if token == self.fail_on:
            raise RuntimeError(f"request {token} ended badly")

    def halt(self, error: BaseException) -> None:
        self.halted = error


def test_every_request_runs_once_within_the_width_and_ends_on_the_calling_thread() -> None:
    gate = threading.Event()
    gate.set()
    lane = _Lane(40, gate)
    pool: RequestPool[object] = RequestPool(4, "test")
    try:
        pool.serve([lane])
    finally:
        pool.close()
    assert sorted(lane.started) == list(range(40))
    assert sorted(lane.ended) == list(range(40))
    assert lane.peak <= 4
    assert lane.threads == {threading.get_ident()}
    assert lane.halted is None


def test_after_a_lane_fails_the_queued_requests_are_never_sent() -> None:
    """Four requests run (held until the gate opens) and three wait queued when the lane fails
    to make the eighth: the queued ones are dropped unsent, the four running end and are
    handled, and the error propagates."""
    gate = threading.Event()
    lane = _Lane(20, gate, refuse_at=7)
    pool: RequestPool[object] = RequestPool(4, "test")
    release = threading.Timer(0.2, gate.set)
    release.start()
    try:
        with pytest.raises(RuntimeError, match="request 7 cannot be sent"):
            pool.serve([lane])
    finally:
        release.cancel()
        gate.set()
        pool.close()
    assert isinstance(lane.halted, RuntimeError)
    assert sorted(lane.started) == [0, 1, 2, 3], "a queued request was sent after the failure"
    assert sorted(lane.ended) == [0, 1, 2, 3], "a request that ran was not handled"
    assert lane.left == list(range(7, 20))


def test_an_error_handling_an_answer_stops_the_pool_and_propagates() -> None:
    gate = threading.Event()
    gate.set()
    lane = _Lane(30, gate, fail_on=2)
    pool: RequestPool[object] = RequestPool(3, "test")
    try:
        with pytest.raises(RuntimeError, match="request 2 ended badly"):
            pool.serve([lane])
    finally:
        pool.close()
    assert isinstance(lane.halted, RuntimeError)
    assert sorted(lane.ended) == sorted(lane.started), "a request that ran was not handled"
    assert len(lane.left) > 15, "it went on taking requests after the failure"


def test_an_earlier_lane_gets_each_free_slot_first() -> None:
    gate = threading.Event()
    gate.set()
    first, second = _Lane(6, gate), _Lane(6, gate)
    pool: RequestPool[object] = RequestPool(1, "test")
    pool.serve([first, second])
    assert first.ended == list(range(6))
    assert second.ended == list(range(6))
    assert first.threads == second.threads == {threading.get_ident()}
