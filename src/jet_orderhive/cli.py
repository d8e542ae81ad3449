"""The ``jet-orderhive`` command: ``demo`` against the built-in sandbox, ``sync`` against Jet.

Exit codes: 0 when everything went through, 1 when some record or push had a problem (the
report lists it), 2 for a usage or configuration error (a missing environment variable, a bad
path, a database that is locked or of a newer version), 3 when the run could not finish
because Jet refused or could not be reached, 130 when interrupted (Ctrl-C). Progress goes to
stderr, and only when stderr is a terminal. With ``--json`` every outcome, errors included,
is one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from jet_orderhive import __version__, _cli_inspect
from jet_orderhive._errors import JetOrderhiveError
from jet_orderhive.jet._urls import DEFAULT_BASE_URL
from jet_orderhive.jet.errors import JetAuthError, JetError
from jet_orderhive.orderhive.models import Shipment, ShipmentLine
from jet_orderhive.storage.errors import StorageError
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.storage.sqlite import SQLiteStorage
from jet_orderhive.sync.errors import PushNotFound
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.progress import ProgressCallback, ProgressEvent
from jet_orderhive.sync.report import PushResult, SyncReport
from jet_orderhive.sync.settings import IntegrationSettings

if TYPE_CHECKING:
    from jet_orderhive.testing.sandbox import JetSandbox

__all__ = ["main"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_JET = 3
EXIT_INTERRUPTED = 130


class _Progress:
    """One self-overwriting status line on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, event: ProgressEvent) -> None:
        total = f"/{event.total}" if event.total else ""
        text = f"{event.step}: {event.done}{total}"
        self.stream.write("\r" + text.ljust(self.width))
        self.width = len(text)
        if event.total and event.done >= event.total:
            self.stream.write("\n")
            self.width = 0
        self.stream.flush()


def _progress(stream: TextIO) -> ProgressCallback | None:
    return _Progress(stream) if stream.isatty() else None


class _Run:
    """What a command has done so far, so an interrupt can say what is kept."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.display = _progress(stream)
        self.last: ProgressEvent | None = None
        self.db: Path | None = None
        self.dry_run = False

    def progress(self, event: ProgressEvent) -> None:
        self.last = event
        if self.display is not None:
            self.display(event)

    def end_progress_line(self) -> None:
        if isinstance(self.display, _Progress) and self.display.width:
            self.stream.write("\n")

    def interrupted(self) -> str:
        where = ""
        if self.last is not None:
            total = f"/{self.last.total}" if self.last.total else ""
            where = f" during {self.last.step} ({self.last.done}{total} done)"
        if self.dry_run:
            kept = "it was a dry run, so nothing was written"
        elif self.db is None:
            kept = "nothing was stored yet"
        else:
            kept = (
                f"the orders stored before it are committed in {self.db}, and the next run "
                "continues from there"
            )
        return f"interrupted{where}; {kept}"


class _JsonErrorsParser(argparse.ArgumentParser):
    """Under ``--json`` a mistyped command is reported as JSON too, not only as usage text."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _UsageError(message)


def _parser(*, json_errors: bool = False) -> argparse.ArgumentParser:
    kind = _JsonErrorsParser if json_errors else argparse.ArgumentParser
    parser = kind(
        prog="jet-orderhive",
        description="Sync a Jet.com merchant account with an Orderhive-shaped order store.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="run a full sync against the built-in Jet sandbox and print the figures"
    )
    demo.add_argument("--db", type=Path, help="SQLite file to create (default: a temp file)")
    demo.add_argument("--orders", type=int, default=40, help="ready orders to start with")
    demo.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    demo.add_argument("--json", action="store_true", help="print the figures as JSON")

    sync = commands.add_parser(
        "sync",
        help="run one sync against Jet (JET_API_USER, JET_API_SECRET, JET_API_BASE_URL)",
        description="Run one sync (run_once) against Jet with the credentials of the environment.",
        epilog=_SYNC_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument(
        "--db",
        type=Path,
        default=Path("jet-orderhive.db"),
        help="SQLite file, created when missing (default: %(default)s)",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="compute, but write nothing: not to Jet, not to the database, no new file",
    )
    sync.add_argument("--json", action="store_true", help="print the outcome as one JSON document")
    _cli_inspect.add_commands(commands)
    return parser


_SYNC_EPILOG = f"""environment:
  JET_API_USER      the Jet API user (required)
  JET_API_SECRET    the Jet API secret (required)
  JET_API_BASE_URL  Jet's API root (default: {DEFAULT_BASE_URL})

exit codes: 0 all went through, 1 a record or push had a problem, 2 usage or configuration
error (a locked database or one of a newer version too), 3 Jet refused the credentials or
could not be reached, 130 interrupted"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in arguments
    run = _Run(sys.stderr)
    try:
        args = _parser(json_errors=as_json).parse_args(arguments)
        if args.command == "demo":
            return _demo(args, run)
        if args.command in _cli_inspect.VIEW_COMMANDS:
            return _cli_inspect.run_view(args, sys.stdout)
        if args.command == "retry":
            return _retry(args, run)
        return _sync(args, run)
    except (_UsageError, _cli_inspect.CliUsageError) as error:
        return _fail(as_json, EXIT_USAGE, {"type": "usage", "message": str(error)})
    except JetError as error:
        # The message names the call and the status; errors never carry the secret or tokens.
        failure: dict[str, object] = {
            "type": type(error).__name__,
            "message": f"the run stopped: {error}",
            "method": error.method,
            "path": error.path,
            "status": error.status,
        }
        if isinstance(error, JetAuthError):
            failure["hint"] = "check JET_API_USER, JET_API_SECRET and JET_API_BASE_URL"
        return _fail(as_json, EXIT_JET, failure)
    except StorageError as error:
        # The database cannot be used as it is (locked by another writer, written by a newer
        # version): the user fixes it, as with a bad path.
        return _fail(as_json, EXIT_USAGE, {"type": type(error).__name__, "message": str(error)})
    except KeyboardInterrupt:
        run.end_progress_line()
        return _fail(
            as_json, EXIT_INTERRUPTED, {"type": "KeyboardInterrupt", "message": run.interrupted()}
        )


def _fail(as_json: bool, code: int, failure: dict[str, object]) -> int:
    """Say why the command ended: one JSON document on stdout with ``--json``, else stderr."""
    if as_json:
        print(json.dumps({"ok": False, "exit_code": code, "error": failure}, indent=2))
        return code
    print(f"jet-orderhive: {failure['message']}", file=sys.stderr)
    if "hint" in failure:
        print(f"jet-orderhive: {failure['hint']}", file=sys.stderr)
    return code


class _UsageError(JetOrderhiveError):
    """A problem the user fixes by changing the command or the environment."""


# -- sync ----------------------------------------------------------------------------------------


def _sync(args: argparse.Namespace, run: _Run) -> int:
    from jet_orderhive.jet.client import JetClient

    try:
        client = JetClient.from_env()
    except ValueError as error:
        raise _UsageError(str(error)) from None
    _check_db_path(args.db)
    run.dry_run = args.dry_run
    settings = IntegrationSettings(dry_run=args.dry_run)
    with client:
        # A refused credential or an unreachable Jet ends here, before any file is made.
        client.authenticate()
        storage = _open_storage(args.db, dry_run=args.dry_run)
        run.db = args.db
        try:
            integration = Integration(client, storage, settings=settings, progress=run.progress)
            report = integration.run_once()
        finally:
            if isinstance(storage, SQLiteStorage):
                storage.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _retry(args: argparse.Namespace, run: _Run) -> int:
    from jet_orderhive.jet.client import JetClient

    try:
        client = JetClient.from_env()
    except ValueError as error:
        raise _UsageError(str(error)) from None
    if not args.db.is_file():
        raise _UsageError(f"--db {args.db}: no database there; run 'jet-orderhive sync' first")
    settings = IntegrationSettings(account=args.account)
    with client:
        client.authenticate()
        storage = SQLiteStorage(args.db)
        run.db = args.db
        with Integration(
            client, storage, settings=settings, progress=run.progress, owns_storage=True
        ) as integration:
            if args.what == "quarantine":
                report = integration.retry_quarantined(args.ids or None)
            elif not args.ids:
                report = integration.retry_failed_pushes()
            else:
                try:
                    report = SyncReport.combine(
                        "retry_push", [integration.retry_push(key) for key in args.ids]
                    )
                except PushNotFound as error:
                    raise _UsageError(str(error)) from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _check_db_path(path: Path) -> None:
    if path.exists() and path.is_dir():
        raise _UsageError(f"--db {path} is a directory; give a file path")
    if not path.parent.exists():
        raise _UsageError(f"--db {path}: the folder {path.parent} does not exist")


def _open_storage(path: Path, *, dry_run: bool) -> SQLiteStorage | MemoryStorage:
    if dry_run and not path.exists():
        # A dry run writes nothing: a database that does not exist yet reads as an empty one.
        return MemoryStorage()
    return SQLiteStorage(path)


# -- demo ----------------------------------------------------------------------------------------


def _demo_db(path: Path | None) -> Path:
    if path is None:
        folder = Path(tempfile.mkdtemp(prefix="jet-orderhive-demo-"))
        return folder / "demo.db"
    if path.exists():
        raise _UsageError(f"--db {path} already exists; the demo starts from an empty file")
    return path


def _sandbox_skus(sandbox: JetSandbox, order_ids: Sequence[str]) -> list[str]:
    skus: dict[str, None] = {}
    for order_id in order_ids:
        items = sandbox.order(order_id)["order_items"]
        assert isinstance(items, list)
        for item in items:
            assert isinstance(item, dict)
            skus[str(item["merchant_sku"])] = None
    return list(skus)


def _first_order_with_units(storage: SQLiteStorage, at_least: int, skip: set[str]) -> str:
    for order in storage.list_orders(channel_statuses=["acknowledged"]):
        units = sum(line.quantity_ordered for line in order.line_items)
        if order.channel_order_id not in skip and units >= at_least:
            return order.channel_order_id
    raise _UsageError("the demo data has no order to ship or cancel; try another --seed")


def _demo(args: argparse.Namespace, run: _Run) -> int:
    from jet_orderhive.testing.sandbox import JetSandbox

    if args.orders < 2:
        raise _UsageError("--orders must be at least 2 (one to ship, one to cancel)")
    db = _demo_db(args.db)
    sandbox = JetSandbox(seed=args.seed)
    first_ids = sandbox.generate_orders(args.orders)
    skus = _sandbox_skus(sandbox, first_ids)
    rng = random.Random(args.seed)
    for sku in skus:
        sandbox.add_sku(sku)
    storage = SQLiteStorage(db)
    run.db = db
    try:
        for sku in skus:
            storage.link_sku(sku)
        client = sandbox.client(rate_limit=None)
        integration = Integration(client, storage, progress=run.progress)
        reports: list[SyncReport] = [integration.import_orders()]
        stock = {sku: rng.randint(0, 50) for sku in skus}
        prices = {sku: Decimal(rng.randint(500, 9999)) / 100 for sku in skus}
        reports.append(integration.push_stock(stock))
        reports.append(integration.push_prices(prices))

        shipped_id = _first_order_with_units(storage, 2, set())
        shipped_order = storage.get_order(shipped_id)
        assert shipped_order is not None
        first_line = shipped_order.line_items[0]
        parcel = Shipment(
            lines=(ShipmentLine(sku=first_line.sku, quantity_shipped=1),),
            courier_name="UPS",
            tracking_number="1Z999AA10123456784",
        )
        reports.append(integration.ship(shipped_id, parcel))
        cancelled_id = _first_order_with_units(storage, 1, {shipped_id})
        reports.append(integration.cancel(cancelled_id))

        sandbox.advance(timedelta(minutes=5))
        new_ids = sandbox.generate_orders(max(1, args.orders // 8))
        second = integration.import_orders()
        reports.append(second)
        figures = {
            "database": str(db),
            "orders_on_jet": len(first_ids) + len(new_ids),
            "orders_stored": len(storage.list_orders()),
            "customers_stored": len(storage.list_customers()),
            "acknowledged_on_jet": sandbox.count("acknowledge"),
            "partially_shipped_order": shipped_id,
            "its_jet_status": sandbox.order_status(shipped_id),
            "cancelled_order": cancelled_id,
            "its_jet_status_after_cancel": sandbox.order_status(cancelled_id),
            "skus_stock_pushed": _skus_sent(reports, "stock"),
            "skus_price_pushed": _skus_sent(reports, "price"),
            "second_run_new_orders": second.counts.created,
            "second_run_requests": second.counts.requests,
        }
    finally:
        storage.close()
    report = SyncReport.combine("demo", reports)
    if args.json:
        print(json.dumps({"figures": figures, "report": report.to_dict()}, indent=2))
    else:
        _print_demo(figures, report, sys.stdout)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _skus_sent(reports: Sequence[SyncReport], kind: str) -> int:
    """Distinct SKUs whose ``kind`` push reached Jet (one request each, or in a bulk file)."""
    return len(
        {
            push.target
            for report in reports
            for push in report.pushes
            if push.kind == kind and push.result is PushResult.SENT
        }
    )


def _print_demo(figures: dict[str, object], report: SyncReport, out: TextIO) -> None:
    width = max(len(key) for key in figures)
    out.write("jet-orderhive demo: a Jet sandbox synced into SQLite\n\n")
    for key, value in figures.items():
        out.write(f"  {key.replace('_', ' '):<{width}}  {value}\n")
    out.write("\n")
    out.write(str(report) + "\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
