"""Jet requests of one engine step in parallel, at most ``width`` at once, results on the caller.

Only the requests run in the pool: whatever the caller does with a result (storage writes,
reports, progress) stays on its own thread, so a storage adapter is never called from two
threads by one step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["Lane", "RequestPool"]

_I = TypeVar("_I")
_R = TypeVar("_R")
_T = TypeVar("_T")


def _outcome(work: Callable[[], _R]) -> _R | Exception:
    """What ``work`` returned, or the exception it raised, handed back to the calling thread."""
    try:
        return work()
    except Exception as error:  # the caller (or the lane) decides
        return error


class Lane(Protocol[_T]):
    """One source of requests for `RequestPool.serve`; every method runs on the calling thread.

    A lane hands out requests while it has some ready, and is told how each one ended; what it
    does with an answer (a commit, say) may give it, or another lane, more to send.
    """

    def next(self) -> tuple[_T, Callable[[], object]] | None:
        """The next request to send (a token for it, and the call), or ``None`` for now; it
        starts as soon as a worker is free (at most one round of requests later)."""
        ...

    def done(self, token: _T, result: object) -> None:
        """Handle how a request ended: what its call returned, or the exception it raised."""
        ...

    def halt(self, error: BaseException) -> None:
        """The pool starts nothing more (``error`` stopped it); requests running still end."""
        ...


class RequestPool(Generic[_I]):
    """Runs ``work(item)`` for many items, ``width`` at a time; inline when the width is one."""

    def __init__(self, width: int, name: str) -> None:
        self.width = width
        self._name = name
        self._executor: ThreadPoolExecutor | None = None

    def run(
        self,
        items: Sequence[_I],
        work: Callable[[_I], _R],
        *,
        admit: Callable[[_I], bool] | None = None,
    ) -> Iterator[tuple[_I, _R | Exception]]:
        """Yield ``(item, result or the exception it raised)`` as each request ends.

        ``admit`` runs on the calling thread right before an item's request starts (a free
        worker is waiting for it); an item it refuses is skipped.
        """

        def call(item: _I) -> _R | Exception:
            return _outcome(partial(work, item))

        if self.width == 1 or len(items) <= 1:
            for item in items:
                if admit is None or admit(item):
                    yield item, call(item)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.width, thread_name_prefix=self._name)
        running: dict[Future[_R | Exception], _I] = {}
        queue = iter(items)
        while True:
            for item in queue:
                if admit is None or admit(item):
                    running[self._executor.submit(call, item)] = item
                if len(running) >= self.width:
                    break
            if not running:
                return
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield running.pop(future), future.result()

    def serve(self, lanes: Sequence[Lane[Any]]) -> None:
        """Run the lanes' requests, ``width`` at once, until no lane has any and none runs.

        Up to ``width`` more requests wait queued behind the running ones, so the workers go on
        while this thread handles an answer (a commit, say); each is taken from the first lane
        with one ready, so an earlier lane has the priority. When a lane raises (deciding what
        to send, or handling an answer), nothing more starts: the queued requests are dropped
        unsent, every lane is halted, the requests running end and are handled by their lanes
        (a send that went out is recorded), and then the first error propagates.
        """
        if self.width == 1:
            self._serve_inline(lanes)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.width, thread_name_prefix=self._name)
        executor = self._executor
        running: dict[Future[object], tuple[Lane[Any], object]] = {}
        failure: BaseException | None = None

        def stop(error: BaseException) -> None:
            nonlocal failure
            if failure is None:
                failure = error
                for future in [f for f in running if f.cancel()]:
                    del running[future]  # queued, never started: nothing was sent
                for lane in lanes:
                    lane.halt(error)

        while True:
            if failure is None:
                try:
                    while len(running) < 2 * self.width:
                        started = False
                        for lane in lanes:
                            ready = lane.next()
                            if ready is not None:
                                token, work = ready
                                running[executor.submit(_outcome, work)] = (lane, token)
                                started = True
                                break
                        if not started:
                            break
                except Exception as error:
                    stop(error)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                lane, token = running.pop(future)
                try:
                    lane.done(token, future.result())
                except Exception as error:
                    stop(error)
        if failure is not None:
            raise failure

    @staticmethod
    def _serve_inline(lanes: Sequence[Lane[Any]]) -> None:
        """`serve` one request at a time on the calling thread (a width of one)."""
        try:
            while True:
                for lane in lanes:
                    ready = lane.next()
                    if ready is not None:
                        break
                else:
                    return
                token, work = ready
                lane.done(token, _outcome(work))
        except Exception as error:
            for each in lanes:
                each.halt(error)
            raise

    def close(self) -> None:
        """Wait for requests still running, then let the workers go."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
