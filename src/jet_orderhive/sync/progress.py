"""Progress events the engine emits while it works, for progress bars and notebooks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeAlias

import attrs

__all__ = ["ProgressCallback", "ProgressEvent", "emit"]

log = logging.getLogger("jet_orderhive.sync")


@attrs.frozen(kw_only=True)
class ProgressEvent:
    """One step of a run advanced: ``done`` of ``total`` items (``total`` is ``None`` if unknown).

    Attributes:
        step: what is being done, e.g. ``"list orders"``, ``"fetch orders"``, ``"push stock"``.
        done: how many items of the step are finished.
        total: how many the step has in all, when known.
    """

    step: str
    done: int
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        """How far the step is, from 0.0 to 1.0, or ``None`` when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback: TypeAlias = Callable[[ProgressEvent], None]
"""Receives progress events; it should be quick. What it raises is logged and ignored."""


def emit(callback: ProgressCallback | None, step: str, done: int, total: int | None) -> None:
    """Send one event to ``callback`` if there is one; its failure never stops the work.

    A progress bar is a display: a closed terminal or a bug in it must not abort a batch
    half-way, after some orders were stored and before their acknowledgements went out.
    """
    if callback is None:
        return
    try:
        callback(ProgressEvent(step=step, done=done, total=total))
    except Exception:
        log.warning("the progress callback raised during %r; the work goes on", step, exc_info=True)
