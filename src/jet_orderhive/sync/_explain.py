"""What every report adds when its call ends: the outbox left behind, and why nothing was done.

A report that only says "nothing" leaves the user guessing whether the step is broken, switched
off or simply had no work; each step's idle report names the reason instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from jet_orderhive.storage.protocol import Storage
from jet_orderhive.storage.records import PushStatus
from jet_orderhive.sync.report import ReportBuilder

if TYPE_CHECKING:
    from jet_orderhive.sync._engine import Engine

__all__ = ["annotate", "outbox_backlog"]


def outbox_backlog(storage: Storage, account: str) -> tuple[int, datetime | None]:
    """How many status pushes still wait (pending, or failed and retried), and the next attempt.

    Pushes given up for good are not counted: they never become due again, and the flush
    reports each one as a problem until the host acts.
    """
    waiting = [
        entry
        for status in (PushStatus.PENDING, PushStatus.FAILED)
        for entry in storage.pushes(status=status, account=account)
        if entry.next_attempt_at is not None
    ]
    times = [entry.next_attempt_at for entry in waiting if entry.next_attempt_at is not None]
    return len(waiting), min(times, default=None)


def annotate(engine: Engine, builder: ReportBuilder) -> None:
    """Add the outbox figures, and the reason a call that did nothing did nothing."""
    pending, next_at = outbox_backlog(engine.storage, engine.account)
    builder.outbox(pending, next_at)
    if builder.idle():
        reason = _idle_reason(engine, builder, pending, next_at)
        if reason is not None:
            builder.note(reason)


def _idle_reason(
    engine: Engine, builder: ReportBuilder, pending: int, next_at: datetime | None
) -> str | None:
    storage, account, operation = engine.storage, engine.account, builder.operation
    if operation == "import_orders":
        unchanged = builder.counted("unchanged")
        if unchanged:
            return f"Jet listed no new or changed order; {unchanged} stored order(s) are as listed"
        return "Jet listed no order to import, and no stored order is open"
    if operation == "flush_pushes":
        if next_at is None:
            return "no status push was due: the outbox holds none that waits to be sent"
        return (
            f"no status push was due: {pending} wait(s) for a later attempt, the earliest at "
            f"{next_at.isoformat()}"
        )
    if operation == "import_returns":
        return "Jet listed no return that is not recorded already"
    if operation == "sync_archived_products":
        linked = storage.linked_skus(account=account)
        if not linked:
            return (
                "no SKU is linked, so none was checked on Jet: auto-archive checks only linked "
                "SKUs; link the ones you sell with storage.link_sku(sku)"
            )
        active = sum(1 for entry in linked if not entry.archived)
        if not active:
            return f"all {len(linked)} linked SKU(s) are marked archived already; none was checked"
        return f"{active} linked SKU(s) were checked on Jet; none is archived or gone"
    if operation == "push_stock":
        return "no stock level was given, so none was sent"
    if operation == "push_prices":
        return "no price was given, so none was sent"
    return None
