"""Errors the engine raises for a call the host can correct."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jet_orderhive._errors import JetOrderhiveError

if TYPE_CHECKING:
    from jet_orderhive.sync.report import SyncReport

__all__ = ["OrderNotStored", "PushNotFound", "SyncProblemsError"]


class OrderNotStored(JetOrderhiveError, KeyError):
    """``confirm``, ``ship`` or ``cancel`` named an order that storage does not hold.

    It is also a ``KeyError``. Import the order first, or check the Jet order id.
    """

    def __str__(self) -> str:
        return (
            f"order {self.args[0]} is not in storage; run import_orders() first "
            "(or check the Jet order id)"
        )


class SyncProblemsError(JetOrderhiveError):
    """Raised by `SyncReport.raise_for_problems` for a report that is not ``ok``.

    ``report`` is the whole report: its ``problems`` say what failed and what to do. The
    message names the operation, the figures of the headline and the first problems.
    """

    def __init__(self, report: SyncReport) -> None:
        self.report = report
        shown = "; ".join(f"[{p.kind} {p.ref}] {p.reason}" for p in report.problems[:3])
        more = len(report.problems) - 3
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(
            f"{report.operation}: {report.summary()}" + (f": {shown}" if shown else "")
        )


class PushNotFound(JetOrderhiveError, KeyError):
    """A push key given to ``retry_push`` is not in the outbox; it is also a ``KeyError``."""

    def __str__(self) -> str:
        return (
            f"no push with key {self.args[0]!r} is in the outbox; list them with "
            "pending_pushes() / failed_pushes() (CLI: jet-orderhive pushes)"
        )
