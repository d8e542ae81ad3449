"""Import orders and customers from Jet: the initial sync and every later run.

Each order is stored in one unit of work (customer, order, quarantine release and the outbox
entry of its acknowledgement), and acknowledged only after that unit committed; see
``docs/engine.md`` for the guarantees this gives and the crash windows it covers.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeAlias

import attrs

from jet_orderhive import _json
from jet_orderhive.jet import OrderFetch
from jet_orderhive.jet.enums import AckStatus
from jet_orderhive.jet.errors import JetAuthError, JetError, JetNotFound, JetPayloadError
from jet_orderhive.jet.models import JetOrder
from jet_orderhive.mapping.reconcile import PushAsk, Verdict
from jet_orderhive.mapping.status import PushAction
from jet_orderhive.orderhive.enums import OrderStatus
from jet_orderhive.orderhive.models import Customer, SalesOrder
from jet_orderhive.storage.errors import StorageBusyError
from jet_orderhive.storage.protocol import listed_order_keys
from jet_orderhive.storage.records import (
    OrderIntent,
    OrderKey,
    OrderSnapshot,
    OutboxEntry,
    PushStatus,
    UpsertResult,
)
from jet_orderhive.sync import _plan
from jet_orderhive.sync._engine import Engine, LeaseLost
from jet_orderhive.sync._links import link_order_skus
from jet_orderhive.sync._listing import read_listings
from jet_orderhive.sync._plan import ImportPlan, ListQuery, PushKind
from jet_orderhive.sync._pool import Lane, RequestPool
from jet_orderhive.sync._sides import (
    derive,
    intent_of,
    legacy_intent,
    snapshot_of,
    snapshot_or_view,
)
from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder

__all__ = ["Acknowledger", "import_ids", "import_orders", "owed_entries", "refresh_order"]

log = logging.getLogger("jet_orderhive.sync")

#: Orders in a row whose fetch raised before the import stops fetching for this run.
_UNREACHABLE_AFTER = 3
#: Orders stored per unit of work during an import: one commit (an fsync in SQLite) for each
#: group instead of each order. Their acknowledgements go out once the group committed, so
#: every one follows its own order's commit; a crash loses at most the groups fetched but not
#: yet committed, which the next run imports again.
_GROUP = 50

_STATE_WINDOW = "import:window_start"
#: The last open order, by id, that a run re-read though no list showed it (see `within_budget`).
_STATE_VERIFIED_UPTO = "import:verified_upto"
_STATE_INITIAL_DONE = "import:initial_sync_done"
_STATE_OUTSIDE = "import:outside_window"


SUPERSEDED = "superseded: "
"""Prefix of the reason a push is given up with once the host asked for something else."""


def is_refused(entry: OutboxEntry) -> bool:
    """Whether a push was given up for good (and not because the host asked for another)."""
    return (
        entry.status is PushStatus.FAILED
        and entry.next_attempt_at is None
        and not (entry.last_error or "").startswith(SUPERSEDED)
    )


def owed_entries(
    engine: Engine,
    view: SalesOrder,
    snapshot: OrderSnapshot,
    intent: OrderIntent,
    *,
    fresh: bool,
) -> tuple[list[tuple[str, PushKind, dict[str, _json.JsonValue]]], list[str]]:
    """The outbox entries the intent owes Jet now, and the reasons of those that wait.

    Decided by the bundle's ``status_push`` (`reconcile`) on the snapshot (``fresh``: read
    from Jet just now); each entry carries the request body built from the host view. An
    entry whose key was enqueued before is left to the outbox (enqueuing it again changes
    nothing).
    """
    verdicts = engine.mappings.status_push(snapshot, intent, fresh=fresh)
    entries: list[tuple[str, PushKind, dict[str, _json.JsonValue]]] = []
    waiting: list[str] = []
    for ask, decision in verdicts.verdicts:
        if decision.verdict is Verdict.WAIT and decision.reason:
            waiting.append(decision.reason)
        if decision.verdict is not Verdict.SEND:
            continue
        entry = _entry_for(engine, view, intent, ask)
        if entry is not None:
            entries.append(entry)
    return entries, waiting


def _entry_for(
    engine: Engine, view: SalesOrder, intent: OrderIntent, ask: PushAsk
) -> tuple[str, PushKind, dict[str, _json.JsonValue]] | None:
    """The outbox entry of an owed answer to the order; shipments and cancels are the commands'.

    ``ship`` and ``cancel`` enqueue their push with the intent, in one unit of work, built
    from the order as it was before; so an owed one is in the outbox already.
    """
    order_id = view.channel_order_id
    if ask.action is PushAction.ACKNOWLEDGE:
        body = engine.acknowledgement(view).to_dict()
        return _plan.ack_key(order_id), PushKind.ACKNOWLEDGE, {"body": body}
    if ask.action is PushAction.REJECT and intent.rejection is not None:
        body = engine.rejection(view, AckStatus(intent.rejection)).to_dict()
        return _plan.reject_key(order_id), PushKind.REJECT, {"body": body}
    return None


def import_ids(
    engine: Engine, report: ReportBuilder, order_ids: Sequence[str]
) -> tuple[dict[str, JetOrder], set[str]]:
    """Fetch, map and store these orders as an import does; their fresh copies and the ids
    left out as placed before the window (and not ``ready``)."""
    run = _Run(engine, report)
    outside = run.fetch_and_store(ImportPlan(retry=tuple(order_ids)), run.window_start(), {})
    return run.fresh, outside


def refresh_order(engine: Engine, report: ReportBuilder, order_id: str) -> None:
    """Read one stored order from Jet and store it again: its snapshot, and the view anew.

    For a push whose effect only Jet's copy shows: whether a cancel answered a directed
    cancel, or the units of a push Jet refused for good, which the host may then ship or
    cancel again. A failed read is left to the next import.
    """
    try:
        fetched = engine.client.fetch_order(order_id)
    except (JetAuthError, LeaseLost):
        raise
    except JetError:
        return
    if fetched.order is None:
        return
    run = _Run(engine, report)
    run.import_one(fetched.order, fetched.raw or b"")


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


_Written: TypeAlias = tuple[UpsertResult | None, UpsertResult, bool, Sequence[str]]
"""What one order's write did: the customer's upsert, the order's, whether it was released
from quarantine, and the keys of the acknowledgements to send once it committed."""


@attrs.frozen
class _Staged:
    """One order ready to be written: the records and the pushes it owes."""

    raw: bytes
    customer: Customer | None
    view: SalesOrder
    snapshot: OrderSnapshot
    intent: OrderIntent | None
    entries: Sequence[tuple[str, PushKind, dict[str, _json.JsonValue]]]


class Acknowledger(Lane[Any], Protocol):
    """Sends an import's acknowledgements as the units of work that stored their orders commit.

    A lane of the import's request pool, ahead of its detail reads (the outbox's side of it is
    in `pushes`): a unit hands its orders' entries over once it committed, and the lane claims
    and sends each while the fetches go on.
    """

    def committed(self, keys: Sequence[str], order: JetOrder) -> None:
        """Queue the outbox entries ``keys`` of ``order`` (as just fetched): its unit committed."""
        ...

    def settle(self, fresh: Mapping[str, JetOrder]) -> None:
        """After a pass: the other due acknowledgements, then retries of the uncertain sends.

        ``fresh``: the orders the pass read from Jet, so their entries need no re-read.
        """
        ...

    def release(self) -> None:
        """The run stopped on an error: what is claimed and unsent is due again at once."""
        ...


class _Fetches:
    """An import's detail reads as a lane of its request pool; results stored a group at a time.

    Results are taken in the order of the ids (as Jet listed them), whatever order the answers
    arrive in, and at most two fetches per request slot run ahead of the oldest one not yet
    answered, so memory stays bounded behind a slow answer. A failure that looks like it hits
    every request (throttling past the client's budget, a dropped network) may be one unlucky
    order, so the order is reported and the rest are fetched; only `_UNREACHABLE_AFTER` such
    failures in a row stop the fetching.
    """

    def __init__(
        self,
        run: _Run,
        ids: Sequence[str],
        start: datetime,
        stored: Mapping[str, ListQuery],
    ) -> None:
        self.run = run
        self.ids = ids
        self.issued = 0
        self.taken = 0
        self.window = 2 * run.settings.concurrency
        self.answers: dict[int, object] = {}
        self.start = start
        self.stored = stored
        self.outside: set[str] = set()
        self.group: list[tuple[JetOrder, bytes]] = []
        self.streak = 0
        self.halted = False

    def next(self) -> tuple[int, Callable[[], object]] | None:
        index = self.issued
        if index >= len(self.ids) or index - self.taken >= self.window:
            return None
        self.issued += 1
        return index, partial(self.run.engine.client.fetch_order, self.ids[index])

    def done(self, token: int, result: object) -> None:
        self.answers[token] = result
        while self.taken in self.answers:
            index = self.taken
            self.taken += 1
            self.take(self.ids[index], self.answers.pop(index))
            if self.halted:
                continue  # stored by the caller when the error allows it, never acknowledged
            last = self.taken >= len(self.ids)
            if self.group and (len(self.group) >= _GROUP or last):
                self.run.import_group(self.group)
                self.group = []
            self.run.engine.tick("import orders", self.taken, len(self.ids))

    def take(self, order_id: str, result: object) -> None:
        if isinstance(result, JetAuthError):
            raise result
        if isinstance(result, OrderFetch):
            self.streak = 0
            fetched = result
        elif isinstance(result, JetError):
            self.streak += 1
            fetched = OrderFetch(order_id=order_id, error=result)
        elif isinstance(result, BaseException):
            raise result  # a bug, or the host's client raising something else
        else:  # a client whose fetch_order returns something else
            fetched = OrderFetch(order_id=order_id, error=JetPayloadError("no order came back"))
        kept = self.run.fetched(fetched, self.start, self.stored, self.outside)
        if kept is not None:
            self.group.append(kept)
        left = len(self.ids) - self.issued
        if isinstance(result, JetError) and self.streak >= _UNREACHABLE_AFTER and left:
            self.run.report.problem(
                "jet",
                "orders",
                f"Jet failed {self.streak} order fetches in a row ({result}); the other "
                f"{left} order(s) are fetched on the next run",
            )
            self.run.unfetched.update(self.ids[self.issued :])
            self.ids = self.ids[: self.issued]

    def halt(self, error: BaseException) -> None:
        self.halted = True


class _Run:
    """One ``import_orders`` call: reads lists, fetches, maps and stores order by order."""

    def __init__(
        self, engine: Engine, report: ReportBuilder, acks: Acknowledger | None = None
    ) -> None:
        self.engine = engine
        self.acks = acks
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
        self.listed: dict[str, ListQuery] = {}
        #: Statuses of the stored orders `known` is not complete for (``None``: it holds every
        #: stored order): later runs read the keys of the listed orders only.
        self.known_statuses: tuple[str, ...] | None = None

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

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> dict[str, JetOrder]:
        engine = self.engine
        initial = self.storage.get_state(_STATE_INITIAL_DONE, account=self.engine.account) is None
        start = self.window_start()
        listed = self.read_lists()
        self.listed = listed
        outside = self.outside_window()
        plan, stored = self.plan(listed, outside, initial=initial)
        log.info(
            "import: %d listed, %d new, %d changed, %d missing, %d quarantined to retry",
            len(listed),
            len(plan.new),
            len(plan.changed),
            len(plan.missing),
            len(plan.retry),
        )
        self.report.count("unchanged", len(plan.unchanged))
        self.catch_up(i for i in plan.unchanged if stored[i].status == "ready")
        self.acknowledge_listed_ready(listed)
        newly_outside = self.fetch_and_store(plan, start, stored)
        if not engine.dry_run:
            # Only ids still listed are kept: the others can never be fetched by accident again.
            keep = {i: status for i, status in outside.items() if i in listed}
            keep.update({i: listed[i].status for i in newly_outside if i in listed})
            self.storage.set_state(
                _STATE_OUTSIDE, json.dumps(keep, sort_keys=True), account=self.engine.account
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

    def plan(
        self, listed: Mapping[str, ListQuery], outside: Mapping[str, str], *, initial: bool
    ) -> tuple[ImportPlan, dict[str, ListQuery]]:
        """What this run fetches, and the stored keys it needs: of every listed order, and of
        each unlisted one it re-reads.

        The initial sync reads every stored key (any listed order may be stored, in any
        status). Later runs read only the keys of what Jet lists, with the count of the open
        orders no list shows and the next ``refresh_budget`` of them in turn, so an idle run
        costs the lists and the budget however many orders are stored.
        """
        account = self.engine.account
        budget = self.settings.refresh_budget
        after = self.storage.get_state(_STATE_VERIFIED_UPTO, account=account) or ""
        if initial:
            keys: Mapping[str, OrderKey] = self.storage.order_keys(account=account)
            turn: Mapping[str, OrderKey] = {}
        else:
            self.known_statuses = _plan.OPEN_STATUSES
            answer = listed_order_keys(
                self.storage,
                listed,
                channel_statuses=_plan.OPEN_STATUSES,
                after=after,
                limit=budget,
                account=account,
            )
            keys, turn = answer.keys, answer.turn
        # A store holds a handful of distinct keys among many orders: one query for each.
        queries: dict[tuple[str, bool], ListQuery] = {}
        stored: dict[str, ListQuery] = {}
        for order_id, key in itertools.chain(keys.items(), turn.items()):
            pair = (key.status, key.cancelled)
            query = queries.get(pair)
            if query is None:
                query = queries[pair] = ListQuery(status=key.status, cancelled=key.cancelled)
            stored[order_id] = query
        self.known.update(stored)
        plan = _plan.plan_import(
            listed=listed,
            stored=stored,
            initial=initial,
            new_statuses=_plan.new_order_statuses(self.settings),
            quarantined={e.external_id for e in self.storage.quarantined("order", account=account)},
            ignored={
                i for i, status in outside.items() if i in listed and listed[i].status == status
            },
        )
        if initial:
            # Every unlisted open order is at hand: take the budget's turn of them here.
            unlisted = len(plan.missing)
            chosen = _plan.budget_turn(plan.missing, after, budget)
        else:
            unlisted = answer.unlisted
            chosen = list(turn)
        return attrs.evolve(plan, missing=self.within_budget(unlisted, chosen)), stored

    def ready_pass(self) -> dict[str, JetOrder]:
        """List ``ready`` again and import what is new: acknowledgements made room in the list."""
        self.fresh, self.created = {}, 0
        ids = self.engine.client.list_order_ids("ready", cancelled=False)
        new = tuple(i for i in ids if i not in self.known and i not in self.attempted)
        if new and self.known_statuses is not None:
            # `known` holds the stored orders the run listed, not every open one stored.
            stored = listed_order_keys(
                self.storage, new, channel_statuses=self.known_statuses, account=self.engine.account
            ).keys
            new = tuple(i for i in new if i not in stored)
        self.listed.update(dict.fromkeys(new, ListQuery(status="ready", cancelled=False)))
        if new:
            plan = ImportPlan(new=new)
            self.fetch_and_store(plan, self.window_start(), {})
        return self.fresh

    def within_budget(self, unlisted: int, turn: Sequence[str]) -> tuple[str, ...]:
        """The open stored orders no list shows that this run re-reads, in turns.

        Jet lists at most 1,000 ids per status, so a merchant with more open orders has some in
        no list. Each run re-reads at most ``refresh_budget`` of them, taking up after the one
        the previous run ended with, so every such order is verified in turn and a run costs
        the lists plus the budget, not one read per stored order. ``unlisted`` counts them;
        ``turn`` is the budget's share in turn order (all of them when they fit the budget).
        """
        budget = self.settings.refresh_budget
        if unlisted <= budget:
            return tuple(sorted(turn))
        if not budget:
            self.report.note(
                f"{unlisted} open order(s) appear in no Jet list (past its 1,000-id cap); "
                "none is re-read (refresh_budget=0)"
            )
            return ()
        chosen = tuple(turn[:budget])
        if chosen and not self.engine.dry_run:
            self.storage.set_state(_STATE_VERIFIED_UPTO, chosen[-1], account=self.engine.account)
        self.report.note(
            f"{unlisted} open order(s) appear in no Jet list (past its 1,000-id cap); "
            f"{len(chosen)} were re-read this run, the others in turn on later runs"
        )
        return chosen

    def read_lists(self) -> dict[str, ListQuery]:
        """Every list of the run, read concurrently (``concurrency`` at a time), merged in order."""
        queries = _plan.list_queries(self.settings)
        return _plan.merge_listings(read_listings(self.engine, queries))

    def fetch_and_store(
        self,
        plan: ImportPlan,
        start: datetime,
        stored: Mapping[str, ListQuery],
    ) -> set[str]:
        """Fetch the plan's orders and store them a group at a time, acknowledging each group
        as soon as it committed; returns the ids placed before ``start`` (not imported).

        Detail reads and acknowledgements share one pool of ``concurrency`` requests, the
        acknowledgements first: a committed order's answer does not wait for the rest of the
        fetches. A refused credential stops the run once the requests in flight ended; what
        was fetched by then is stored (its acknowledgements wait for the next run).
        """
        ids = plan.to_fetch
        self.attempted.update(ids)
        fetches = _Fetches(self, ids, start, stored)
        lanes: list[Lane[Any]] = [fetches]
        if self.acks is not None:
            lanes.insert(0, self.acks)
        pool: RequestPool[object] = RequestPool(self.settings.concurrency, "jet-import")
        try:
            pool.serve(lanes)
        except JetAuthError:
            self.import_group(fetches.group, hand_over=False)
            raise
        finally:
            pool.close()
        return fetches.outside

    def fetched(
        self,
        fetched: OrderFetch,
        start: datetime,
        stored: Mapping[str, ListQuery],
        outside: set[str],
    ) -> tuple[JetOrder, bytes] | None:
        """Count and check one fetch; the order and its bytes when it is to be stored."""
        self.report.count("fetched")
        order_id = fetched.order_id
        if fetched.error is not None:
            self.fetch_failed(order_id, fetched.error, fetched.raw)
            return None
        jet_order, raw = fetched.order, fetched.raw or b""
        if jet_order is None:  # a client that returns neither an order nor an error
            self.fetch_failed(order_id, JetPayloadError("no order came back"), raw)
            return None
        self.fresh[order_id] = jet_order
        # A ready order needs the merchant's answer, so it comes in whatever its date says.
        ready = str(jet_order.status) == "ready"
        if order_id not in stored and not ready and jet_order.order_placed_date < start:
            outside.add(order_id)
            return None
        return jet_order, raw

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
        """Map and store one order in a unit of work of its own."""
        staged = self.stage(jet_order, raw)
        if staged is not None:
            self.write_alone(staged)

    def import_group(
        self, orders: Sequence[tuple[JetOrder, bytes]], *, hand_over: bool = True
    ) -> None:
        """Map and store several orders in one unit of work, to pay for one commit.

        With ``hand_over``, each order's acknowledgement goes to the acknowledgements' lane
        once the unit committed, never before. A unit that fails (one record the storage
        refuses) is rolled back whole and its orders are stored again one by one, so the
        refused one is quarantined alone and the others go on.
        """
        staged = [s for s in (self.stage(order, raw) for order, raw in orders) if s is not None]
        if len(staged) <= 1:
            for one in staged:
                self.write_alone(one, hand_over=hand_over)
            return
        try:
            with self.storage.transaction():
                results = [self.write(one, hand_over=hand_over) for one in staged]
        except (LeaseLost, StorageBusyError):
            raise
        except Exception:
            for one in staged:
                self.write_alone(one, hand_over=hand_over)
            return
        for one, result in zip(staged, results, strict=True):
            self.record(one, result)

    def stage(self, jet_order: JetOrder, raw: bytes) -> _Staged | None:
        """Everything about storing ``jet_order`` that is decided before writing it.

        None when nothing is to be written: the mapping failed (the order is quarantined) or
        this is a dry run (it is counted).
        """
        engine = self.engine
        order_id = jet_order.merchant_order_id
        try:
            mapped = engine.map_order(jet_order)
            customer = engine.map_customer(jet_order)
        except Exception as error:  # a user's mapping may raise anything; the batch goes on
            self.to_quarantine(order_id, raw, f"mapping failed: {_reason(error)}")
            return None
        sides = self.storage.get_order_sides(order_id, account=engine.account)
        where = self.listed.get(order_id)
        before = None if sides is None else sides.snapshot
        snapshot = snapshot_of(
            jet_order,
            listed_cancelled=where.cancelled
            if where is not None
            else bool(before and before.listed_cancelled),
            returns=None if before is None else before.returns,
        )
        if sides is None:
            intent = self.first_intent(jet_order, mapped)
        elif sides.intent is None:
            intent = legacy_intent(self.storage.get_order(order_id, account=engine.account))
        else:
            intent = sides.intent
        view = derive(mapped, snapshot, intent, self.refused(order_id, snapshot, intent))
        if view.directed_cancel:
            # Jet keeps its flag after the ask is answered; the mapping knows whether it is open.
            self.report.directed_cancel(order_id)
        entries, waiting = self.owed(view, snapshot, intent, fresh=True)
        if sides is None:
            for reason in waiting:
                self.report.note(f"order {order_id} is not acknowledged: {reason}")
        if engine.dry_run:
            self.count_dry(view, entries)
            return None
        return _Staged(
            raw=raw,
            customer=customer,
            view=view,
            snapshot=snapshot,
            intent=intent if sides is None or sides.intent is None else None,
            entries=entries,
        )

    def write_alone(self, staged: _Staged, *, hand_over: bool = False) -> None:
        """Write one staged order in its own unit; a refusal quarantines it."""
        try:
            result = self.write(staged, hand_over=hand_over)
        except (LeaseLost, StorageBusyError):
            raise
        except Exception as error:  # one record the storage refuses must not stop the batch
            order_id = staged.view.channel_order_id
            self.to_quarantine(order_id, staged.raw, f"storage refused the order: {_reason(error)}")
            return
        self.record(staged, result)

    def record(self, staged: _Staged, results: _Written) -> None:
        """Count what a committed write did, and hand its claimed pushes over to be sent."""
        customer_result, result, released, acks = results
        order_id = staged.view.channel_order_id
        if acks and self.acks is not None:
            self.acks.committed(acks, self.fresh[order_id])
        self.known.add(order_id)
        self.stored_now.add(order_id)
        if released:
            self.report.count("released")
        if result is UpsertResult.CREATED:
            self.created += 1
        if customer_result is UpsertResult.CREATED:
            self.report.count("customers_created")
        elif customer_result is UpsertResult.UPDATED:
            self.report.count("customers_updated")
        self.report.count(result.value)

    def refused(self, order_id: str, snapshot: OrderSnapshot, intent: OrderIntent) -> set[str]:
        """The asked shipments and cancels Jet does not hold and refused for good."""
        refused: set[str] = set()
        for shipment in intent.shipments:
            alt_id = shipment.alt_shipment_id
            if not alt_id or alt_id in snapshot.shipment_ids:
                continue
            key = (_plan.ship_key if shipment.quantity_shipped else _plan.cancel_key)(
                order_id, alt_id
            )
            entry = self.storage.get_push(key, account=self.engine.account)
            if entry is not None and is_refused(entry):
                refused.add(alt_id)
        return refused

    def first_intent(self, jet_order: JetOrder, mapped: SalesOrder) -> OrderIntent:
        """What ``confirm_on_import`` asks for a newly imported order: its acknowledgement.

        A ``ready`` order the mapping confirmed is acknowledged now; a ``created`` one (imported
        with ``import_created`` to reserve stock) once Jet releases it to ``ready``.
        """
        status = str(jet_order.status)
        confirmed = self.settings.confirm_on_import and (
            status == "created"
            or (status == "ready" and mapped.order_status is OrderStatus.CONFIRMED)
        )
        return OrderIntent(confirmed=confirmed)

    def owed(
        self, view: SalesOrder, snapshot: OrderSnapshot, intent: OrderIntent, *, fresh: bool
    ) -> tuple[list[tuple[str, PushKind, dict[str, _json.JsonValue]]], list[str]]:
        """The entries to enqueue with the order (none while status pushes are off)."""
        if not self.settings.push_order_status:
            return [], []
        try:
            return owed_entries(self.engine, view, snapshot, intent, fresh=fresh)
        except Exception as error:  # a host's status_push or request mapping may raise
            self.report.problem(
                "order",
                view.channel_order_id,
                f"the order was stored, but deciding its pushes raised {type(error).__name__}: "
                f"{_reason(error)}; the next run decides again",
            )
            return [], []

    def write(self, staged: _Staged, *, hand_over: bool = False) -> _Written:
        """Customer, order, quarantine release and the owed pushes, in one unit of work (or in
        the one already open around it); with ``hand_over``, the acknowledgements to send."""
        storage, account = self.storage, self.engine.account
        view = staged.view
        order_id = view.channel_order_id
        with storage.transaction():
            customer_result = None
            if staged.customer is not None:
                customer_result = storage.upsert_customer(staged.customer, account=account)
            result = storage.upsert_order(
                view, snapshot=staged.snapshot, intent=staged.intent, account=account
            )
            link_order_skus(self.engine, view)
            released = storage.release("order", order_id, account=account)
            for key, kind, payload in staged.entries:
                storage.enqueue(key, kind=kind, target=order_id, payload=payload, account=account)
        acks = [key for key, kind, _ in staged.entries if kind == PushKind.ACKNOWLEDGE]
        return customer_result, result, released, acks if hand_over else []

    def catch_up(self, unchanged_ready: Iterable[str]) -> None:
        """Queue what a stored ``ready`` order's intent owes but the outbox never got.

        Such an order was imported while status pushes were off; it is not fetched again
        while Jet lists it unchanged, so its acknowledgement would never be sent. The flush
        re-reads it on Jet before sending, so a cancel asked for since is respected.
        """
        if not self.settings.push_order_status:
            return
        storage, account = self.storage, self.engine.account
        for order_id in unchanged_ready:
            if storage.get_push(_plan.ack_key(order_id), account=account) is not None:
                continue
            if storage.get_push(_plan.reject_key(order_id), account=account) is not None:
                continue
            view = storage.get_order(order_id, account=account)
            if view is None:
                continue
            sides = storage.get_order_sides(order_id, account=account)
            snapshot = snapshot_or_view(sides, view)
            intent = intent_of(sides, view)
            entries, _ = self.owed(view, snapshot, intent, fresh=False)
            if self.engine.dry_run:
                for _key, kind, _payload in entries:
                    self.report.push(
                        PushOutcome(kind=kind, target=order_id, result=PushResult.PLANNED)
                    )
                continue
            for key, kind, payload in entries:
                storage.enqueue(key, kind=kind, target=order_id, payload=payload, account=account)

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

    def count_dry(
        self, mapped: SalesOrder, entries: Sequence[tuple[str, PushKind, object]]
    ) -> None:
        order_id = mapped.channel_order_id
        for _key, kind, _payload in entries:
            self.report.push(PushOutcome(kind=kind, target=order_id, result=PushResult.PLANNED))
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


def import_orders(engine: Engine, report: ReportBuilder, acks: Acknowledger | None) -> None:
    """Run one import into ``report``; ``acks`` sends the acknowledgements (none in a dry run).

    Each pass's acknowledgements are sent as their orders commit, and the pass ends with them
    settled (`Acknowledger.settle`). While a pass created orders, ``ready`` is listed again:
    Jet shows at most 1,000 ids per list, so a backlog drains in one run, pass by pass.
    """
    run = _Run(engine, report, acks)
    settings = engine.settings
    try:
        fresh = run.run()
        if acks is not None:
            acks.settle(fresh)
        drains = settings.push_order_status and settings.confirm_on_import and not engine.dry_run
        passes, drained = 1, 0
        while drains and run.created and passes < settings.max_ready_passes:
            fresh = run.ready_pass()
            if acks is not None:
                acks.settle(fresh)
            passes += 1
            drained += run.created
    except BaseException:
        if acks is not None:
            acks.release()
        raise
    if drained:
        report.note(
            f"ready was listed {passes} times while a backlog drained: {drained} order(s) came "
            "in after earlier acknowledgements made room in Jet's list"
        )
