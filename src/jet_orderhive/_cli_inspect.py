"""The command line's ``status``, ``pushes``, ``quarantine``, ``orders`` and ``retry`` commands.

The four views read the database only (no Jet credentials needed, nothing written); ``retry``
talks to Jet like ``sync`` does. Each prints a table, or with ``--json`` one JSON document.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from jet_orderhive._errors import JetOrderhiveError
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync import inspect
from jet_orderhive.sync.inspect import PushState
from jet_orderhive.sync.settings import IntegrationSettings

__all__ = ["VIEW_COMMANDS", "CliUsageError", "add_commands", "run_view"]

VIEW_COMMANDS = frozenset({"status", "pushes", "quarantine", "orders"})

_DEFAULT_STATES = (PushState.PENDING, PushState.RETRYING, PushState.GIVEN_UP)


class CliUsageError(JetOrderhiveError):
    """A command the user must change; the caller turns it into exit code 2."""


def _when(text: str) -> datetime:
    """A date or datetime from the command line; one without a zone is read as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date or datetime (2026-01-31 or 2026-01-31T08:00+00:00)"
        ) from None
    return value if value.utcoffset() is not None else value.replace(tzinfo=UTC)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _db_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("jet-orderhive.db"),
        help="the SQLite file sync writes (default: %(default)s)",
    )
    parser.add_argument(
        "--account",
        default=IntegrationSettings().account,
        help="the merchant account to look at (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the inspect and retry commands on the ``jet-orderhive`` parser."""
    status = commands.add_parser(
        "status",
        help="figures of the database: orders per Jet status, pushes per state, quarantine",
        description="Count what the database holds; reads only, no Jet credentials needed.",
    )
    _db_options(status)

    pushes = commands.add_parser(
        "pushes",
        help="list status pushes (default: pending, retrying and given up)",
        description="List the outbox's status pushes; reads only, no Jet credentials needed.",
    )
    _db_options(pushes)
    pushes.add_argument(
        "--state",
        action="append",
        choices=[state.value for state in PushState],
        help="only pushes in this state (repeatable; default: pending, retrying, given_up)",
    )

    quarantine = commands.add_parser(
        "quarantine",
        help="list quarantined records and why",
        description="List quarantined records (never their payloads); reads only.",
    )
    _db_options(quarantine)
    quarantine.add_argument("--kind", help="only records of this kind (e.g. order)")

    orders = commands.add_parser(
        "orders",
        help="list stored orders, one page at a time, filtered",
        description=(
            "List stored orders by Jet order id (no addresses or emails); reads only. "
            "Pass the printed next-after id as --after to read the next page."
        ),
    )
    _db_options(orders)
    orders.add_argument(
        "--status", action="append", help="only orders in this Jet status (repeatable)"
    )
    orders.add_argument("--placed-from", type=_when, help="only orders placed at or after this")
    orders.add_argument("--placed-before", type=_when, help="only orders placed before this")
    owes = orders.add_mutually_exclusive_group()
    owes.add_argument(
        "--owes-action",
        dest="owes_action",
        action="store_const",
        const=True,
        help="only orders the host owes an action (directed cancel, refused push, unanswered)",
    )
    owes.add_argument(
        "--no-owes-action",
        dest="owes_action",
        action="store_const",
        const=False,
        help="only orders that owe nothing",
    )
    orders.add_argument("--after", help="start after this Jet order id (the last page's end)")
    orders.add_argument(
        "--limit", type=_positive, default=50, help="orders per page (default: %(default)s)"
    )

    retry = commands.add_parser(
        "retry",
        help="send failed pushes again, or fetch quarantined orders again (needs JET_API_*)",
        description=(
            "Retry against Jet with the credentials of the environment (as sync does): "
            "'retry pushes [KEY ...]' makes the pushes due now and sends them (every failed "
            "one without keys); 'retry quarantine [ORDER_ID ...]' fetches quarantined orders "
            "again (every one without ids)."
        ),
        epilog=_RETRY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _db_options(retry)
    retry.add_argument("what", choices=["pushes", "quarantine"], help="what to retry")
    retry.add_argument("ids", nargs="*", help="push keys or Jet order ids (default: all)")


_RETRY_EPILOG = """environment:
  JET_API_USER      the Jet API user (required)
  JET_API_SECRET    the Jet API secret (required)
  JET_API_BASE_URL  Jet's API root (default: Jet's production API)

exit codes: 0 all went through, 1 a push or record still has a problem, 2 usage or
configuration error (an unknown push key, no database), 3 Jet refused or could not be reached"""


def _open_existing(path: Path) -> SQLiteStorage:
    if not path.is_file():
        raise CliUsageError(
            f"--db {path}: no database there; run 'jet-orderhive sync' first or give --db"
        )
    return SQLiteStorage(path)


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def run_view(args: argparse.Namespace, out: TextIO) -> int:
    """Run one of the read-only commands; returns the exit code (always 0)."""
    storage = _open_existing(args.db)
    try:
        show: Callable[[], int] = {
            "status": lambda: _status(storage, args, out),
            "pushes": lambda: _pushes(storage, args, out),
            "quarantine": lambda: _quarantine(storage, args, out),
            "orders": lambda: _orders(storage, args, out),
        }[args.command]
        return show()
    finally:
        storage.close()


def _status(storage: SQLiteStorage, args: argparse.Namespace, out: TextIO) -> int:
    view = inspect.status_view(storage, args.account)
    if args.json:
        out.write(json.dumps(view.to_dict(), indent=2) + "\n")
        return 0
    out.write(f"account {view.account} in {args.db}\n")
    orders = ", ".join(f"{k} {v}" for k, v in view.orders_by_jet_status.items()) or "none"
    out.write(f"  orders by Jet status: {orders}\n")
    pushes = ", ".join(f"{k.value} {v}" for k, v in view.pushes_by_state.items() if v) or "none"
    out.write(f"  status pushes: {pushes}\n")
    out.write(f"  next push attempt: {_text(view.next_push_at)}\n")
    out.write(f"  quarantined records: {view.quarantined}\n")
    out.write(f"  linked SKUs: {view.linked_skus}\n")
    return 0


def _pushes(storage: SQLiteStorage, args: argparse.Namespace, out: TextIO) -> int:
    states = tuple(PushState(s) for s in args.state) if args.state else _DEFAULT_STATES
    views = inspect.push_views(storage, args.account, *states)
    if args.json:
        document = {"pushes": [view.to_dict() for view in views]}
        out.write(json.dumps(document, indent=2) + "\n")
        return 0
    if not views:
        out.write(f"no status push is {', '.join(s.value for s in states)}\n")
        return 0
    rows = [("KEY", "KIND", "ORDER", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR")]
    rows += [
        (
            v.key,
            v.kind,
            v.target,
            v.state.value,
            str(v.attempts),
            _text(v.next_attempt_at),
            _text(v.last_error),
        )
        for v in views
    ]
    _table(rows, out)
    return 0


def _quarantine(storage: SQLiteStorage, args: argparse.Namespace, out: TextIO) -> int:
    views = inspect.quarantine_views(storage, args.account, args.kind)
    if args.json:
        out.write(json.dumps({"quarantined": [v.to_dict() for v in views]}, indent=2) + "\n")
        return 0
    if not views:
        out.write("nothing is quarantined\n")
        return 0
    rows = [("KIND", "ID", "TIMES SEEN", "LAST SEEN", "BYTES", "REASON")]
    rows += [
        (
            v.kind,
            v.external_id,
            str(v.times_seen),
            _text(v.last_seen),
            str(v.payload_bytes),
            v.reason,
        )
        for v in views
    ]
    _table(rows, out)
    return 0


def _orders(storage: SQLiteStorage, args: argparse.Namespace, out: TextIO) -> int:
    page = inspect.order_page(
        storage,
        args.account,
        jet_statuses=args.status,
        placed_from=args.placed_from,
        placed_before=args.placed_before,
        owes_action=args.owes_action,
        after=args.after,
        limit=args.limit,
    )
    if args.json:
        document = {
            "orders": [view.to_dict() for view in page.orders],
            "next_after": page.next_after,
        }
        out.write(json.dumps(document, indent=2) + "\n")
        return 0
    if not page.orders:
        out.write("no stored order matches\n")
    else:
        rows = [("JET ORDER ID", "JET STATUS", "STATUS", "PLACED", "TOTAL", "OPEN", "OWES")]
        for view in page.orders:
            summary = view.to_dict()
            rows.append(
                (
                    summary["jet_order_id"],
                    summary["jet_status"],
                    summary["order_status"],
                    summary["placed_at"],
                    f"{summary['grand_total']} {summary['currency']}",
                    str(summary["units_open"]),
                    ", ".join(summary["owes"]) or "-",
                )
            )
        _table(rows, out)
    if page.next_after is not None:
        out.write(f"more: --after {page.next_after}\n")
    return 0
