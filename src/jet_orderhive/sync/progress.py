"""Progress events the engine emits while it works, for progress bars and notebooks."""

from __future__ import annotations

import html
import importlib
import logging
import time
from collections.abc import Callable
from typing import Protocol, TypeAlias

import attrs

__all__ = ["STEPS", "NotebookProgress", "ProgressCallback", "ProgressEvent", "emit"]

STEPS: tuple[str, ...] = (
    "list orders",
    "import orders",
    "push order status",
    "import returns",
    "check archived products",
    "push stock",
    "push prices",
)
"""Every step name a :class:`ProgressEvent` carries, in the order ``run_once`` goes through them.

``push stock`` and ``push prices`` count per-SKU requests; a batch sent as one bulk file emits
no events while Jet processes it.
"""

log = logging.getLogger("jet_orderhive.sync")


@attrs.frozen(kw_only=True)
class ProgressEvent:
    """One step of a run advanced: ``done`` of ``total`` items (``total`` is ``None`` if unknown).

    Attributes:
        step: what is being done: one of :data:`STEPS`, e.g. ``"list orders"``,
            ``"import orders"`` (fetch, map and store each order), ``"push stock"``.
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


class _DisplayHandle(Protocol):
    def update(self, obj: object) -> None: ...


class NotebookProgress:
    """A progress display for Jupyter: one HTML bar per step, redrawn in place as work goes on.

    Pass it as ``Integration(..., progress=NotebookProgress())``. It needs IPython, which every
    Jupyter kernel has, and nothing else; outside a notebook IPython prints the text form. It
    redraws at most every ``interval`` seconds (and when a step starts or ends), so a run of
    thousands of orders does not flood the notebook with updates.
    """

    def __init__(self, *, interval: float = 0.2) -> None:
        try:
            ipython_display = importlib.import_module("IPython.display")
        except ImportError as error:  # pragma: no cover - IPython is in every Jupyter kernel
            raise ImportError(
                "NotebookProgress needs IPython (any Jupyter kernel has it); "
                "pass another progress callback outside a notebook"
            ) from error
        display: Callable[..., _DisplayHandle | None] = ipython_display.display
        self.interval = interval
        self.steps: dict[str, tuple[int, int | None]] = {}
        self._drawn_at = float("-inf")
        self._handle = display(self, display_id=True)

    def __call__(self, event: ProgressEvent) -> None:
        new_step = event.step not in self.steps
        self.steps[event.step] = (event.done, event.total)
        finished = event.total is not None and event.done >= event.total
        now = time.monotonic()
        if new_step or finished or now - self._drawn_at >= self.interval:
            self._drawn_at = now
            if self._handle is not None:
                self._handle.update(self)

    def __repr__(self) -> str:
        if not self.steps:
            return "waiting for the first step"
        return "; ".join(
            f"{step}: {done}" + (f"/{total}" if total is not None else "")
            for step, (done, total) in self.steps.items()
        )

    def _repr_html_(self) -> str:
        if not self.steps:
            return "<div><em>waiting for the first step</em></div>"
        rows = []
        for step, (done, total) in self.steps.items():
            shown = f"{done}/{total}" if total is not None else str(done)
            bar = (
                f'<progress value="{min(done, total)}" max="{total}"></progress>'
                if total
                else "<progress></progress>"
            )
            rows.append(
                f"<tr><td>{html.escape(step)}</td><td>{bar}</td>"
                f'<td style="text-align:right">{shown}</td></tr>'
            )
        return f"<table>{''.join(rows)}</table>"
