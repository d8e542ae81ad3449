"""Jet requests of one engine step in parallel, at most ``width`` at once, results on the caller.

Only the requests run in the pool: whatever the caller does with a result (storage writes,
reports, progress) stays on its own thread, so a storage adapter is never called from two
threads by one step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Generic, TypeVar

__all__ = ["RequestPool"]

_I = TypeVar("_I")
_R = TypeVar("_R")


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
            try:
                return work(item)
            except Exception as error:  # handed back to the calling thread to decide
                return error

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

    def close(self) -> None:
        """Wait for requests still running, then let the workers go."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
