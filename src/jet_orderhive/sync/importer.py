"""Import orders and customers from Jet: the initial sync and every later run.

Each order is stored in one unit of work (customer, order, quarantine release and the outbox
entry of its acknowledgement), and acknowledged only after that unit committed; see
``docs/engine.md`` for the guarantees this gives and the crash windows it covers.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from jet_orderhive import _json
from jet_orderhive.jet import OrderFetch
from jet_orderhive.jet.errors import JetAuthError, JetError, JetNotFound, JetPayloadError
from jet_orderhive.jet.models import JetOrder
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import Customer, SalesOrder
from jet_orderhive.storage.errors import StorageBusyError
from jet_orderhive.storage.records import PushStatus, UpsertResult
from jet_orderhive.sync import _plan
from jet_orderhive.sync._engine import Engine, LeaseLost
from jet_orderhive.sync._listing import read_listings
from jet_orderhive.sync._plan import ImportPlan, ListQuery, PushKind
from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder
from jet_orderhive.sync.returns import apply_returns, returns_state_name

__all__ = ["import_orders", "request_refresh", "stored_listing"]

log = logging.getLogger("jet_orderhive.sync")

#: Orders in a row whose fetch raised before the import stops fetching for this run.
_UNREACHABLE_AFTER = 3

_STATE_WINDOW = "import:window_start"
#: The last open order, by id, that a run re-read though no list showed it (see `within_budget`).
_STATE_VERIFIED_UPTO = "import:verified_upto"
_STATE_INITIAL_DONE = "import:initial_sync_done"
_STATE_OUTSIDE = "import:outside_window"
#: Stored orders last seen in an ``isCancelled=true`` list when they were fetched and stored.
_STATE_LISTED_CANCELLED = "import:listed_cancelled"
#: Stored orders the next import fetches whatever the lists say (see `request_refresh`).
_STATE_REFRESH = "import:refresh"


def stored_listing(order: SalesOrder) -> ListQuery:
    """The Jet list a stored order should be in, judged from the stored record alone.

    Jet's ``isCancelled=true`` lists hold rejected and wholly cancelled orders and those with a
    directed cancel, so a stored order flagged that way is expected there. Only a fallback for
    a database without observed lists: an answered directed cancel is no longer flagged on the
    record while Jet still lists the order as cancelled.
    """
    lines = order.line_items
    all_cancelled = bool(lines) and all(
        line.quantity_shipped == 0 and line.quantity_open == 0 for line in lines
    )
    cancelled = (
        order.directed_cancel or order.order_status is OrderStatus.CANCELLED or all_cancelled
    )
    return ListQuery(status=order.channel_status, cancelled=cancelled)


def request_refresh(engine: Engine, order_id: str) -> None:
    """Have the next import fetch this stored order again, whatever the lists say.

    For a push whose effect on Jet the stored record only approximates: a cancel may answer a
    directed cancel, and a push Jet refused for good leaves units recorded locally that Jet
    never saw. Either way only Jet's own copy puts the record right.
    """
    key = _STATE_REFRESH
    text = engine.storage.get_state(key, account=engine.account)
    wanted = set(json.loads(text)) if text else set()
    if order_id not in wanted:
        wanted.add(order_id)
        engine.storage.set_state(key, json.dumps(sorted(wanted)), account=engine.account)


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


_GOT_VALUE = re.compile(r",? got .*$", re.DOTALL)


def _unparsed(error: JetPayloadError) -> str:
    """The parse failure for the report: field paths and expectations, never payload values.

    Jet's field errors quote the offending value ("got the number 5551234"), which may be a
    buyer's phone or name; the report is printed and logged, so it names the fields only. The
    quarantine entry keeps the full message next to the raw payload.
    """
    fields = [_GOT_VALUE.sub("", line) for line in error.errors]
    detail = "; ".join(fields) if fields else "the body is not a JSON object of an order"
    return f"Jet's order payload does not parse: {detail}"


class _Run:
    """One ``import_orders`` call: reads lists, fetches, maps and stores order by order."""

    def __init__(self, engine: Engine, report: ReportBuilder) -> None:
        self.engine = engine
        self.storage = engine.storage
        self.settings = engine.settings
        self.report = report
        self.now = engine.now()
        self.fresh: dict[str, JetOrder] = {}
        self.dry_customers: set[str] = set()
        self.stored_now: set[str] = set()
        self.unfetched: set[str] = set()
        self.known: set[str] = set()
        self.attempted: set[str] = set()
        self.created = 0

    # -- state ---------------------------------------------------------------------------------

    def window_start(self) -> datetime:
        key = _STATE_WINDOW
        text = self.storage.get_state(key, account=self.engine.account)
        if text is not None:
            return datetime.fromisoformat(text)
        start = self.now - timedelta(days=self.settings.initial_sync_days)
        if not self.engine.dry_run:
            self.storage.set_state(key, start.isoformat(), account=self.engine.account)
        return start

    def outside_window(self) -> dict[str, str]:
        """Listed orders left out as placed before the window, with the list they were in.

        Only a verdict for that list: once Jet lists the order under another status, it is
        looked at again. (An older database kept bare ids; those are looked at once more.)
        """
        text = self.storage.get_state(_STATE_OUTSIDE, account=self.engine.account)
        value = json.loads(text) if text else {}
        return value if isinstance(value, dict) else {}

    def listed_cancelled(self, stored: Mapping[str, str]) -> set[str]:
        """Stored orders Jet listed with ``isCancelled=true`` when they were last stored.

        Observed rather than predicted: Jet keeps an order in that list while its
        ``jet_request_directed_cancel`` is set, even after the named units are cancelled and
        the record no longer shows a directed cancel. Without a record yet (a database written
        before it was kept), the stored orders predict it.
        """
        text = self.storage.get_state(_STATE_LISTED_CANCELLED, account=self.engine.account)
        if text is not None:
            return set(json.loads(text))
        return {
            order.channel_order_id
            for order_id in stored
            if (order := self.storage.get_order(order_id, account=self.engine.account)) is not None
            and stored_listing(order).cancelled
        }

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> dict[str, JetOrder]:
        engine = self.engine
        initial = self.storage.get_state(_STATE_INITIAL_DONE, account=self.engine.account) is None
        start = self.window_start()
        listed = self.read_lists()
        statuses = None if initial else _plan.OPEN_STATUSES
        # Keys only: an incremental run must not load every open record to compare lists.
        keys = self.storage.order_statuses(channel_statuses=statuses, account=engine.account)
        seen_cancelled = self.listed_cancelled(keys)
        stored = {
            order_id: ListQuery(status=status, cancelled=order_id in seen_cancelled)
            for order_id, status in keys.items()
        }
        self.known.update(keys)
        outside = self.outside_window()
        refresh_text = self.storage.get_state(_STATE_REFRESH, account=self.engine.account)
        refresh = set(json.loads(refresh_text)) if refresh_text else set()
        plan = _plan.plan_import(
            listed=listed,
            stored=stored,
            initial=initial,
            new_statuses=_plan.new_order_statuses(self.settings),
            quarantined={
                e.external_id
                for e in self.storage.quarantined("order", account=self.engine.account)
            },
            ignored={
                i for i, status in outside.items() if i in listed and listed[i].status == status
            },
            refresh=refresh,
        )
        plan = attrs.evolve(plan, missing=self.within_budget(plan.missing))
        log.info(
            "import: %d listed, %d new, %d changed, %d missing, %d quarantined to retry",
            len(listed),
            len(plan.new),
            len(plan.changed),
            len(plan.missing),
            len(plan.retry),
        )
        self.report.count("unchanged", len(plan.unchanged))
        self.catch_up_acknowledgements(i for i in plan.unchanged if stored[i].status == "ready")
        self.acknowledge_listed_ready(listed)
        blocked = self.orders_with_pending_status_pushes()
        newly_outside = self.fetch_and_store(plan, start, stored, blocked)
        if not engine.dry_run:
            # Only ids still listed are kept: the others can never be fetched by accident again.
            keep = {i: status for i, status in outside.items() if i in listed}
            keep.update({i: listed[i].status for i in newly_outside if i in listed})
            self.storage.set_state(
                _STATE_OUTSIDE, json.dumps(keep, sort_keys=True), account=self.engine.account
            )
            # Only a stored record updates what was seen of it: an order whose fetch failed
            # keeps its old entry, so the next run still sees the list differ and retries.
            kept = (seen_cancelled & set(stored)) - self.stored_now
            now_seen = {i for i in self.stored_now if i in listed and listed[i].cancelled}
            seen = kept | now_seen
            self.storage.set_state(
                _STATE_LISTED_CANCELLED, json.dumps(sorted(seen)), account=self.engine.account
            )
            if refresh:
                # Kept until the order is stored again (a blocked or failed fetch retries).
                left = (refresh & set(stored)) - self.stored_now
                self.storage.set_state(
                    _STATE_REFRESH, json.dumps(sorted(left)), account=self.engine.account
                )
            # Later runs list only new orders; an open order the initial sync could not fetch
            # would never come in, so the initial sync is repeated until every fetch succeeded.
            if initial and not self.unfetched:
                self.storage.set_state(
                    _STATE_INITIAL_DONE, self.now.isoformat(), account=self.engine.account
                )
        if initial:
            self.report.note(
                f"initial sync: orders placed on or after {start.isoformat()} were considered"
            )
            if self.unfetched:
                self.report.note(
                    f"initial sync: {len(self.unfetched)} order(s) could not be fetched; the next "
                    "run repeats the initial sync for them"
                )
        if newly_outside:
            self.report.note(
                f"{len(newly_outside)} listed order(s) were placed before {start.isoformat()} "
                "and are not imported"
            )
        return self.fresh

    def ready_pass(self) -> dict[str, JetOrder]:
        """List ``ready`` again and import what is new: acknowledgements made room in the list."""
        self.fresh, self.created = {}, 0
        ids = self.engine.client.list_order_ids("ready", cancelled=False)
        new = tuple(i for i in ids if i not in self.known and i not in self.attempted)
        if new:
            plan = ImportPlan(new=new)
            self.fetch_and_store(plan, self.window_start(), {}, set())
        return self.fresh

    def within_budget(self, missing: Sequence[str]) -> tuple[str, ...]:
        """The open stored orders no list shows that this run re-reads, in turns.

        Jet lists at most 1,000 ids per status, so a merchant with more open orders has some in
        no list. Each run re-reads at most ``refresh_budget`` of them, taking up after the one
        the previous run ended with, so every such order is verified in turn and a run costs
        the lists plus the budget, not one read per stored order.
        """
        budget = self.settings.refresh_budget
        ordered = sorted(missing)
        if len(ordered) <= budget:
            return tuple(ordered)
        account = self.engine.account
        after = self.storage.get_state(_STATE_VERIFIED_UPTO, account=account) or ""
        start = bisect.bisect_right(ordered, after)
        chosen = (ordered[start:] + ordered[:start])[:budget]
        if chosen and not self.engine.dry_run:
            self.storage.set_state(_STATE_VERIFIED_UPTO, chosen[-1], account=account)
        self.report.note(
            f"{len(ordered)} open order(s) appear in no Jet list (past its 1,000-id cap); "
            f"{len(chosen)} were re-read this run, the others in turn on later runs"
        )
        return tuple(chosen)

    def read_lists(self) -> dict[str, ListQuery]:
        """Every list of the run, read concurrently (``concurrency`` at a time), merged in order."""
        queries = _plan.list_queries(self.settings)
        return _plan.merge_listings(read_listings(self.engine, queries))

    def orders_with_pending_status_pushes(self) -> set[str]:
        """Orders whose local ship or cancel has not reached Jet yet: their record stays as is.

        Jet does not show the change until the push is sent, so a refresh would undo it locally.
        """
        kinds = {PushKind.SHIP, PushKind.CANCEL, PushKind.REJECT}
        return {
            entry.target
            for status in (PushStatus.PENDING, PushStatus.FAILED)
            for entry in self.storage.pushes(status=status, account=self.engine.account)
            if entry.kind in kinds and entry.next_attempt_at is not None
        }

    def fetch_and_store(
        self,
        plan: ImportPlan,
        start: datetime,
        stored: Mapping[str, ListQuery],
        blocked: set[str],
    ) -> set[str]:
        ids = plan.to_fetch
        self.attempted.update(ids)
        outside: set[str] = set()
        for index, fetched in enumerate(self.fetch_each(ids), start=1):
            self.engine.tick("import orders", index, len(ids))
            self.report.count("fetched")
            order_id = fetched.order_id
            if fetched.error is not None:
                self.fetch_failed(order_id, fetched.error, fetched.raw)
                continue
            jet_order, raw = fetched.order, fetched.raw or b""
            if jet_order is None:  # a client that yields neither an order nor an error
                self.fetch_failed(order_id, JetPayloadError("no order came back"), raw)
                continue
            self.fresh[order_id] = jet_order
            # A ready order needs the merchant's answer, so it comes in whatever its date says.
            ready = str(jet_order.status) == "ready"
            if order_id not in stored and not ready and jet_order.order_placed_date < start:
                outside.add(order_id)
                continue
            if order_id in blocked:
                self.report.note(
                    f"order {order_id} has a status push waiting to be sent; it is refreshed "
                    "after the push is done"
                )
                continue
            self.import_one(jet_order, raw)
        return outside

    def fetch_each(self, ids: Sequence[str]) -> Iterator[OrderFetch]:
        """One result per id; a fetch that gave up on one order fails that order alone.

        The client raises when a failure looks like it hits every request (throttling past its
        budget, a dropped network). That may be one unlucky order, so the order is reported and
        the rest are fetched; only `_UNREACHABLE_AFTER` such failures in a row stop the fetching.
        """
        client = self.engine.client
        remaining = list(ids)
        streak = 0
        while remaining:
            consumed = 0
            try:
                for fetched in client.fetch_orders(
                    remaining, concurrency=self.settings.concurrency
                ):
                    consumed += 1
                    streak = 0
                    yield fetched
                return
            except JetAuthError:
                raise
            except JetError as error:
                streak += 1
                yield OrderFetch(order_id=remaining[consumed], error=error)
                remaining = remaining[consumed + 1 :]
                if streak >= _UNREACHABLE_AFTER and remaining:
                    self.report.problem(
                        "jet",
                        "orders",
                        f"Jet failed {streak} order fetches in a row ({error}); the other "
                        f"{len(remaining)} order(s) are fetched on the next run",
                    )
                    self.unfetched.update(remaining)
                    return

    def fetch_failed(self, order_id: str, error: JetError, raw: bytes | None) -> None:
        if isinstance(error, JetPayloadError) and raw is not None:
            self.to_quarantine(
                order_id, raw, f"Jet's order payload does not parse: {error}", _unparsed(error)
            )
        elif isinstance(error, JetNotFound):
            self.report.problem("order", order_id, f"Jet no longer serves this order: {error}")
        else:
            self.unfetched.add(order_id)
            self.report.problem(
                "order", order_id, f"could not fetch the order; the next run tries again: {error}"
            )

    def to_quarantine(
        self, order_id: str, raw: bytes, reason: str, shown: str | None = None
    ) -> None:
        """Quarantine with the full ``reason``; the report gets ``shown`` when given."""
        self.report.count("quarantined")
        self.report.problem("order", order_id, shown if shown is not None else reason)
        # The reason may quote a payload value, so it stays below INFO (buyer data rule).
        log.warning("order %s quarantined; the entry keeps the payload and the reason", order_id)
        log.debug("order %s quarantined: %s", order_id, reason)
        if not self.engine.dry_run:
            self.storage.quarantine("order", order_id, raw, reason, account=self.engine.account)

    def import_one(self, jet_order: JetOrder, raw: bytes) -> None:
        engine = self.engine
        order_id = jet_order.merchant_order_id
        try:
            mapped = engine.map_order(jet_order)
            customer = engine.map_customer(jet_order)
        except Exception as error:  # a user's mapping may raise anything; the batch goes on
            self.to_quarantine(order_id, raw, f"mapping failed: {_reason(error)}")
            return
        returned = self.storage.get_state(returns_state_name(order_id), account=self.engine.account)
        if returned:
            # Jet's order carries no returns; keep what import_returns recorded for it.
            mapped = apply_returns(mapped, json.loads(returned))
        if mapped.directed_cancel:
            # Jet keeps its flag after the ask is answered; the mapping knows whether it is open.
            self.report.directed_cancel(order_id)
        ack = self.acknowledgement_for(jet_order, mapped)
        if engine.dry_run:
            self.count_dry(mapped, ack)
            return
        try:
            customer_result, result = self.store(order_id, customer, mapped, ack)
        except (LeaseLost, StorageBusyError):
            raise
        except Exception as error:  # one record the storage refuses must not stop the batch
            self.to_quarantine(order_id, raw, f"storage refused the order: {_reason(error)}")
            return
        self.known.add(order_id)
        if result is UpsertResult.CREATED:
            self.created += 1
        if customer_result is UpsertResult.CREATED:
            self.report.count("customers_created")
        elif customer_result is UpsertResult.UPDATED:
            self.report.count("customers_updated")
        self.report.count(result.value)

    def store(
        self,
        order_id: str,
        customer: Customer | None,
        mapped: SalesOrder,
        ack: dict[str, _json.JsonValue] | None,
    ) -> tuple[UpsertResult | None, UpsertResult]:
        """Customer, order, quarantine release and the acknowledgement, in one unit of work."""
        storage, account = self.storage, self.engine.account
        with storage.transaction():
            customer_result = None
            if customer is not None:
                customer_result = storage.upsert_customer(customer, account=account)
            result = storage.upsert_order(mapped, account=account)
            released = storage.release("order", order_id, account=account)
            if ack is not None:
                storage.enqueue(
                    _plan.ack_key(order_id),
                    kind=PushKind.ACKNOWLEDGE,
                    target=order_id,
                    payload={"body": ack},
                    account=account,
                )
        self.stored_now.add(order_id)
        if released:
            self.report.count("released")
        return customer_result, result

    def catch_up_acknowledgements(self, unchanged_ready: Iterable[str]) -> None:
        """Queue the acknowledgement of a stored ``ready`` order that never got one.

        Such an order was imported while status pushes (or confirm on import) were off; it is
        not fetched again while Jet lists it unchanged, so it would never be acknowledged. The
        flush re-reads it on Jet before sending, so a cancel asked for since is respected.
        """
        settings = self.settings
        if not (settings.push_order_status and settings.confirm_on_import):
            return
        storage, account = self.storage, self.engine.account
        for order_id in unchanged_ready:
            key = _plan.ack_key(order_id)
            if storage.get_push(key, account=account) is not None:
                continue
            order = storage.get_order(order_id, account=account)
            if (
                order is None
                or order.channel_status != "ready"
                or order.order_status is not OrderStatus.CONFIRMED
                or order.directed_cancel
            ):
                continue
            if self.engine.dry_run:
                self.report.push(
                    PushOutcome(
                        kind=PushKind.ACKNOWLEDGE, target=order_id, result=PushResult.PLANNED
                    )
                )
                continue
            body = self.engine.acknowledgement(order).to_dict()
            self.storage.enqueue(
                key,
                kind=PushKind.ACKNOWLEDGE,
                target=order_id,
                payload={"body": body},
                account=self.engine.account,
            )

    def acknowledge_listed_ready(self, listed: Mapping[str, ListQuery]) -> None:
        """Make a scheduled acknowledgement due now while Jet still lists its order ``ready``.

        The listing is a fresh reading that the answer is still owed, so the order does not
        wait out the retry schedule of an earlier failure. Orders Jet lists as cancelled are
        left alone: their acknowledgement waits for the host's answer to the cancel request.
        """
        if self.engine.dry_run or not self.settings.push_order_status:
            return
        storage, account = self.storage, self.engine.account
        for entry in storage.pushes(status=PushStatus.FAILED, account=account):
            where = listed.get(entry.target)
            due_later = entry.next_attempt_at is not None and entry.next_attempt_at > self.now
            if (
                entry.kind == PushKind.ACKNOWLEDGE
                and due_later
                and where is not None
                and where.status == "ready"
                and not where.cancelled
            ):
                storage.reschedule(entry.key, self.now, account=account)

    def acknowledgement_for(
        self, jet_order: JetOrder, mapped: SalesOrder
    ) -> dict[str, _json.JsonValue] | None:
        """The acknowledgement body to enqueue for a freshly imported order, if it gets one."""
        settings = self.settings
        if not (settings.push_order_status and settings.confirm_on_import):
            return None
        if str(jet_order.status) != "ready" or mapped.order_status is not OrderStatus.CONFIRMED:
            return None
        if jet_order.jet_request_directed_cancel:
            # Jet asks to cancel: accepting it would contradict that, so the host decides.
            self.report.note(
                f"order {jet_order.merchant_order_id} is not acknowledged: Jet requested its "
                "cancellation; call cancel() to reject it"
            )
            return None
        return self.engine.acknowledgement(mapped).to_dict()

    def count_dry(self, mapped: SalesOrder, ack: object) -> None:
        order_id = mapped.channel_order_id
        if ack is not None:
            self.report.push(
                PushOutcome(kind=PushKind.ACKNOWLEDGE, target=order_id, result=PushResult.PLANNED)
            )
        existing = self.storage.get_order(order_id, account=self.engine.account)
        if existing is None:
            self.report.count("created")
        elif existing == mapped:
            self.report.count("unchanged")
        else:
            self.report.count("updated")
        email = mapped.customer_email
        if (
            email
            and email not in self.dry_customers
            and self.storage.get_customer(email, account=self.engine.account) is None
        ):
            self.dry_customers.add(email)
            self.report.count("customers_created")
        if (
            self.storage.get_quarantined(
                "order", mapped.channel_order_id, account=self.engine.account
            )
            is not None
        ):
            self.report.count("released")


def import_orders(
    engine: Engine,
    report: ReportBuilder,
    acknowledge: Callable[[Mapping[str, JetOrder]], None],
) -> None:
    """Run one import into ``report``, handing each pass's fetched orders to ``acknowledge``.

    While a pass created orders and their acknowledgements go out, ``ready`` is listed again:
    Jet shows at most 1,000 ids per list, so a backlog drains in one run, pass by pass.
    """
    run = _Run(engine, report)
    acknowledge(run.run())
    settings = engine.settings
    drains = settings.push_order_status and settings.confirm_on_import and not engine.dry_run
    passes, drained = 1, 0
    while drains and run.created and passes < settings.max_ready_passes:
        acknowledge(run.ready_pass())
        passes += 1
        drained += run.created
    if drained:
        report.note(
            f"ready was listed {passes} times while a backlog drained: {drained} order(s) came "
            "in after earlier acknowledgements made room in Jet's list"
        )
