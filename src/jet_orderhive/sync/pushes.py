"""Order status pushes through the outbox: acknowledge, reject, ship and cancel.

A push is recorded in storage before it is sent and marked done after Jet accepted it. Before a
push that may already have reached Jet is sent again (an earlier attempt failed, or the process
died mid-send), the order is read back from Jet and "already in that state" counts as done, so
no order is acknowledged, rejected, shipped or cancelled twice.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial

import attrs

from jet_orderhive.jet.errors import (
    JetAuthError,
    JetError,
    JetNotFound,
    JetPayloadError,
    JetValidationError,
)
from jet_orderhive.jet.models import Acknowledgement, JetOrder, ShipNotice
from jet_orderhive.mapping.reconcile import Decision, PushAsk, Verdict, decide, view_of
from jet_orderhive.mapping.status import PushAction
from jet_orderhive.storage.records import OutboxEntry, PushStatus
from jet_orderhive.sync import _plan
from jet_orderhive.sync._engine import Engine
from jet_orderhive.sync._plan import PushKind
from jet_orderhive.sync._pool import RequestPool
from jet_orderhive.sync._sides import accepted, snapshot_of, snapshot_or_view
from jet_orderhive.sync.importer import SUPERSEDED, is_refused, refresh_order
from jet_orderhive.sync.report import PushOutcome, PushResult, ReportBuilder

__all__ = ["Acknowledgements", "ask_of", "flush", "supersede"]

log = logging.getLogger("jet_orderhive.sync")


def ask_of(entry: OutboxEntry) -> PushAsk:
    """The push an outbox entry asks for."""
    alt_id = entry.payload.get("alt_shipment_id")
    return PushAsk(
        action=PushAction(entry.kind), alt_shipment_id=alt_id if isinstance(alt_id, str) else None
    )


_SUPERSEDED = SUPERSEDED

_CLAIMED_ELSEWHERE = "another worker holds this push and sends it"


class _Try(enum.Enum):
    """How one attempt at a push ended."""

    SETTLED = "settled"
    """Sent, found done, waiting or given up: nothing more this run."""
    AGAIN = "again"
    """Failed in a way Jet may or may not have applied: re-read and retried in this run."""


def _one_per_order(
    pending: list[tuple[OutboxEntry, bool]],
) -> tuple[list[tuple[OutboxEntry, bool]], list[tuple[OutboxEntry, bool]]]:
    """Split off the first entry of each order, keeping the queue's order; the rest wait."""
    seen: set[str] = set()
    batch: list[tuple[OutboxEntry, bool]] = []
    rest: list[tuple[OutboxEntry, bool]] = []
    for item in pending:
        (batch if item[0].target not in seen else rest).append(item)
        seen.add(item[0].target)
    return batch, rest


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class _Flush:
    def __init__(self, engine: Engine, report: ReportBuilder, fresh: Mapping[str, JetOrder]):
        self.engine = engine
        self.storage = engine.storage
        self.account = engine.account
        self.report = report
        self.fresh = dict(fresh)
        # One owner per flush: two flushes of one Integration (two threads) never share a claim.
        self.owner = uuid.uuid4().hex
        self.ttl = engine.settings.claim_ttl
        self.last_errors: dict[str, str] = {}
        self.held: dict[str, OutboxEntry] = {}
        self.requests: dict[str, Acknowledgement | ShipNotice] = {}
        self.pool: RequestPool[OutboxEntry] = RequestPool(engine.settings.concurrency, "jet-push")
        # Orders whose push only Jet's own copy settles in the view: re-read after the flush.
        self.to_refresh: set[str] = set()

    def outcome(self, entry: OutboxEntry, result: PushResult, reason: str | None = None) -> None:
        self.report.push(
            PushOutcome(kind=entry.kind, target=entry.target, result=result, reason=reason)
        )

    def claim(self, entry: OutboxEntry) -> OutboxEntry | None:
        """Take the entry for this flush; ``None`` if another worker holds or finished it."""
        if self.engine.dry_run:
            return entry
        return self.claim_key(entry.key)

    def claim_key(self, key: str) -> OutboxEntry | None:
        """Take the entry with this key for this flush; ``None`` if it is not due or held."""
        return self.storage.claim(key, self.owner, self.ttl, account=self.account)

    def needs_read(self, entry: OutboxEntry, reread: bool) -> bool:
        """Whether Jet's copy of the order must be read before deciding on this entry.

        An acknowledgement not sent right after its import is checked against Jet first (Jet
        may have asked to cancel the order since), and so is anything an earlier try may have
        sent: "already done" must be recognised, never sent twice. A copy this run read does
        not settle that: another worker's try may have reached Jet after it was read.
        """
        if reread or entry.may_have_been_sent:
            return True
        if entry.target in self.fresh:
            return False
        return entry.kind == PushKind.ACKNOWLEDGE

    def decide(self, entry: OutboxEntry, read: JetOrder | JetError | None) -> _Try | None:
        """Settle the entry from what Jet shows; ``None`` means it is owed and must be sent."""
        engine = self.engine
        order_id = entry.target
        body = entry.payload.get("body")
        if not isinstance(body, Mapping):
            # Written by another program or an older version: it can never be sent, and must
            # not stop the pushes queued after it.
            self.give_up(entry, "the outbox entry has no request body")
            return _Try.SETTLED
        try:
            acknowledges = entry.kind in (PushKind.ACKNOWLEDGE, PushKind.REJECT)
            model = Acknowledgement if acknowledges else ShipNotice
            request: Acknowledgement | ShipNotice = model.from_dict(dict(body))
        except (JetPayloadError, ValueError, TypeError) as error:
            # Built here, before anything is sent: Jet never saw it, so it is not retried.
            self.give_up(entry, f"the outbox entry's request body is not one Jet accepts: {error}")
            return _Try.SETTLED
        if isinstance(read, JetNotFound):
            self.give_up(entry, f"Jet no longer knows the order: {read}")
            return _Try.SETTLED
        if isinstance(read, JetError):
            return self.ambiguous(entry, f"could not re-read the order before sending: {read}")
        if read is not None:
            self.fresh[order_id] = read
        try:
            decision = self.judge(entry)
        except Exception as error:  # a host's status_push may raise anything; this push waits
            self.failed(entry, f"the status_push mapping raised {_reason(error)}")
            return _Try.SETTLED
        if decision is None:
            # The intent no longer asks for it (a rejection replaced the acknowledgement).
            if not engine.dry_run:
                self.storage.mark_failed(
                    entry.key,
                    f"{_SUPERSEDED}the host no longer asks for it",
                    None,
                    owner=self.owner,
                    account=self.account,
                )
            self.outcome(entry, PushResult.SKIPPED, "the host no longer asks for it")
            return _Try.SETTLED
        if decision.verdict is Verdict.IMPOSSIBLE:
            self.give_up(entry, decision.reason or "Jet's order state forbids it")
            return _Try.SETTLED
        if decision.verdict is Verdict.WAIT:
            self.failed(entry, decision.reason or "not yet possible")
            return _Try.SETTLED
        if decision.verdict is Verdict.DONE:
            if not engine.dry_run:
                self.complete(entry)
            self.outcome(entry, PushResult.SKIPPED, "Jet already shows this change")
            return _Try.SETTLED
        if engine.dry_run:
            self.outcome(entry, PushResult.PLANNED)
            return _Try.SETTLED
        self.requests[entry.key] = request
        return None

    def judge(self, entry: OutboxEntry) -> Decision | None:
        """The verdict of ``reconcile`` (the bundle's ``status_push``) on this entry's push.

        Jet's side is the copy read for this flush when there is one, else the stored
        snapshot; the host's side is the stored intent. ``None``: the intent no longer asks.
        """
        order_id = entry.target
        sides = self.storage.get_order_sides(order_id, account=self.account)
        view = None
        if sides is None or sides.snapshot is None or sides.intent is None:
            view = self.storage.get_order(order_id, account=self.account)
        stored = snapshot_or_view(sides, view)
        current = self.fresh.get(order_id)
        snapshot = stored
        if current is not None:
            snapshot = snapshot_of(
                current, listed_cancelled=stored.listed_cancelled, returns=stored.returns
            )
        ask = ask_of(entry)
        if sides is None or sides.intent is None:
            # Stored by a release that kept no intent: the entry itself is what was asked.
            return decide(view_of(snapshot, fresh=current is not None), ask)
        verdicts = self.engine.mappings.status_push(
            snapshot, sides.intent, fresh=current is not None
        )
        return verdicts.decision(ask)

    def sent(
        self, entry: OutboxEntry, error: object, accepted: list[OutboxEntry] | None = None
    ) -> _Try:
        """Record how a send ended; a success goes to ``accepted`` when given, to be recorded
        with others in one unit (`record_accepted`)."""
        if isinstance(error, JetValidationError):
            self.give_up(entry, f"Jet refused it: {error}")
            return _Try.SETTLED
        if isinstance(error, JetNotFound):
            self.give_up(entry, f"Jet no longer knows the order: {error}")
            return _Try.SETTLED
        if isinstance(error, JetError) and not isinstance(error, JetAuthError):
            # The outcome may be unknown (a dropped connection): the next try re-reads first.
            self.fresh.pop(entry.target, None)
            return self.ambiguous(entry, str(error))
        if isinstance(error, BaseException):
            raise error
        if accepted is not None:
            accepted.append(entry)
        else:
            self.record_accepted([entry])
        return _Try.SETTLED

    def record_accepted(self, entries: Sequence[OutboxEntry]) -> None:
        """Mark pushes Jet accepted as done, in one unit of work, and report them sent."""
        if not entries:
            return
        with self.storage.transaction():
            for entry in entries:
                self.complete(entry)
        for entry in entries:
            self.count_sent(entry)
            self.outcome(entry, PushResult.SENT)

    def attempt(self, batch: list[tuple[OutboxEntry, bool]]) -> list[tuple[OutboxEntry, _Try]]:
        """One try at each entry of ``batch`` (at most one per order), I/O in parallel.

        Claims, decisions and storage writes stay on this thread; only Jet's reads and sends
        go to the pool, at most ``concurrency`` at once. Each claim is checked and stretched
        right before its request is handed to a free worker, so a worker that stalled past
        its claim leaves the send to whoever took it over.
        """
        client = self.engine.client
        claimed: list[tuple[OutboxEntry, bool]] = []
        unit: AbstractContextManager[None] = (
            nullcontext() if self.engine.dry_run else self.storage.transaction()
        )
        with unit:  # one commit for the batch's claims, not one each
            taken_now = [(e if reread else self.claim(e), reread) for e, reread in batch]
        for taken, reread in taken_now:
            if taken is not None:
                self.held[taken.key] = taken
                claimed.append((taken, reread))
        to_read = [e for e, reread in claimed if self.needs_read(e, reread)]
        reads = {
            e.key: read for e, read in self.pool.run(to_read, lambda e: client.get_order(e.target))
        }
        results: list[tuple[OutboxEntry, _Try]] = []
        judged: dict[str, JetOrder | JetError] = {}
        for key, read in reads.items():
            if isinstance(read, JetAuthError) or not isinstance(read, JetOrder | JetError):
                raise read  # a refused credential, or a bug: nothing more is sent
            judged[key] = read

        def admit(entry: OutboxEntry) -> bool:
            settled = self.admit(entry, judged.get(entry.key))
            if settled is not None:
                results.append((entry, settled))
            return settled is None

        for entry, error in self.pool.run([e for e, _ in claimed], self.send, admit=admit):
            results.append((entry, self.sent(entry, error)))
        return results

    def admit(
        self, entry: OutboxEntry, read: JetOrder | JetError | None, *, claimed: bool = False
    ) -> _Try | None:
        """Judge a held entry right before its request would start; ``None``: send it now.

        Not all of a batch before the first one goes: a thousand acknowledgements start
        sending at once, and their decisions overlap the requests already in flight. The claim
        is stretched first (unless ``claimed`` just now), so a worker that stalled past it
        leaves the send to its new owner.
        """
        self.engine.keep_alive("push order status")
        if not claimed and not self.storage.renew_claim(
            entry.key, self.owner, self.ttl, account=self.account
        ):
            self.outcome(entry, PushResult.SKIPPED, _CLAIMED_ELSEWHERE)
            return _Try.SETTLED
        return self.decide(entry, read)

    def ambiguous(self, entry: OutboxEntry, reason: str) -> _Try:
        self.last_errors[entry.key] = reason
        return _Try.AGAIN

    def send(self, entry: OutboxEntry) -> None:
        """The request itself: the one part of a push that runs in the pool."""
        client = self.engine.client
        request = self.requests.pop(entry.key)
        if isinstance(request, Acknowledgement):
            client.acknowledge_order(entry.target, request)
        else:
            client.ship_order(entry.target, request)

    def count_sent(self, entry: OutboxEntry) -> None:
        counter = {
            PushKind.ACKNOWLEDGE: "acknowledged",
            PushKind.REJECT: "rejected",
            PushKind.SHIP: "shipped",
            PushKind.CANCEL: "cancelled",
        }.get(PushKind(entry.kind))
        if counter:
            self.report.count(counter)

    def complete(self, entry: OutboxEntry) -> None:
        """Mark the entry done and record in the snapshot what Jet's success answer shows."""
        # What was read of the order predates this push; the next push about it judges anew.
        self.fresh.pop(entry.target, None)
        storage, account = self.storage, self.account
        ask = ask_of(entry)
        with storage.transaction():
            storage.mark_done(entry.key, account=account)
            view = storage.get_order(entry.target, account=account)
            if view is not None:
                sides = storage.get_order_sides(entry.target, account=account)
                before = snapshot_or_view(sides, view)
                after = accepted(before, entry.kind, ask.alt_shipment_id)
                if after != before:
                    storage.upsert_order(
                        attrs.evolve(view, channel_status=after.status),
                        snapshot=after,
                        account=account,
                    )
        if entry.kind in (PushKind.CANCEL, PushKind.REJECT):
            # Whether a cancel answered a directed cancel only Jet's copy shows.
            self.to_refresh.add(entry.target)

    def failed(self, entry: OutboxEntry, reason: str) -> None:
        engine = self.engine
        when = _plan.retry_at(engine.now(), entry.attempts, engine.settings)
        if when is None:
            self.give_up(entry, f"{reason} (gave up after {entry.attempts + 1} attempts)")
            return
        log.warning("push %s failed, retrying at %s: %s", entry.key, when.isoformat(), reason)
        if not engine.dry_run:
            self.storage.mark_failed(
                entry.key, reason, when, owner=self.owner, account=self.account
            )
        self.outcome(entry, PushResult.FAILED, f"{reason}; retried at {when.isoformat()}")

    def give_up(self, entry: OutboxEntry, reason: str) -> None:
        log.warning("push %s failed for good: %s", entry.key, reason)
        if not self.engine.dry_run:
            with self.storage.transaction():
                recorded = self.storage.mark_failed(
                    entry.key, reason, None, owner=self.owner, account=self.account
                )
            if recorded and entry.kind != PushKind.ACKNOWLEDGE:
                # The view shows a change Jet never took; re-read, it leaves the units out,
                # so the host can ship or cancel them again.
                self.to_refresh.add(entry.target)
        self.outcome(entry, PushResult.FAILED, reason)

    def run(
        self, entries: list[OutboxEntry], retry: Sequence[OutboxEntry] = (), *, settled: int = 0
    ) -> None:
        """Try every entry; retry the ambiguous ones in this run after a short, growing wait.

        ``retry``: entries this flush holds whose first try already ended ambiguous; they join
        the second round. ``settled``: pushes this step settled before, so its progress goes on
        counting from there.
        """
        engine = self.engine
        settings = engine.settings
        pending: list[tuple[OutboxEntry, bool]] = [(entry, False) for entry in entries]
        total = settled + len(entries) + len(retry)
        done = settled
        try:
            for round_ in range(settings.push_attempts_per_run):
                if round_:
                    engine.sleep((settings.push_backoff * 2 ** (round_ - 1)).total_seconds())
                again: list[tuple[OutboxEntry, bool]] = []
                if not round_:
                    again.extend((entry, True) for entry in retry)
                while pending:
                    # One push per order at a time: an order's ship waits for its ack.
                    batch, pending = _one_per_order(pending)
                    for entry, outcome in self.attempt(batch):
                        if outcome is _Try.AGAIN:
                            again.append((entry, True))
                            continue
                        self.held.pop(entry.key, None)
                        done += 1
                        engine.tick("push order status", done, total)
                pending = again
                if not pending:
                    break
            for entry, _ in pending:
                # Still unknown after this run's tries: scheduled, re-read before the next send.
                self.failed(entry, self.last_errors.get(entry.key, "no answer from Jet"))
                self.held.pop(entry.key, None)
        except BaseException:
            self.release()
            raise
        finally:
            self.pool.close()
        for order_id in sorted(self.to_refresh):
            refresh_order(engine, self.report, order_id)
        self.to_refresh.clear()

    def release(self) -> None:
        """The run ended on an error (a refused credential, a lost lease): what this flush
        holds is due again at once, re-read before any send, instead of waiting out its claim.

        Sends still in flight finish first: releasing their claims sooner would let another
        worker re-read Jet before they land and send them again.
        """
        self.pool.close()
        if self.engine.dry_run:
            return
        for entry in self.held.values():
            current = self.storage.get_push(entry.key, account=self.account)
            if current is None or current.claimed_by != self.owner:
                continue  # settled in this batch already (done, failed or given up)
            self.storage.mark_failed(
                entry.key,
                self.last_errors.get(entry.key, "the run ended before it was sent"),
                self.engine.now(),
                owner=self.owner,
                account=self.account,
            )
        self.held.clear()

    def report_refused(
        self, kinds: Collection[str] | None, targets: Collection[str] | None
    ) -> None:
        """Every push given up for good stays a problem, run after run, until the host acts."""
        for entry in self.storage.pushes(status=PushStatus.FAILED, account=self.account):
            if not is_refused(entry):
                continue
            if targets is not None and entry.target not in targets:
                continue
            if kinds is not None and entry.kind not in kinds:
                continue
            self.report.problem(
                "push",
                entry.target,
                f"{entry.kind} {entry.key} is not sent: {entry.last_error}; "
                "confirm, ship or cancel the order again once the cause is fixed",
            )


class Acknowledgements:
    """The import's acknowledgements, sent as the units of work storing their orders commit.

    The outbox side of `importer.Acknowledger`: a lane of the import's request pool, ahead of
    its detail reads, so an order is answered while the rest are still being fetched. Entries
    are claimed a few at a time in one unit of work (no more than can be sent at once, so a
    crash leaves at most a pool's width claimed and not yet sent, beside those in flight), each is
    judged right before its request is queued, as in any flush (one that is not due, or that
    another worker holds, is left to the outbox), and the ones Jet accepted are marked done
    together, a pool's width of them at a time or whatever is in once the lane has nothing
    left to send. A send whose outcome is unknown is retried when the pass settles.
    """

    def __init__(self, engine: Engine, report: ReportBuilder) -> None:
        self.flush = _Flush(engine, report, {})
        self.width = engine.settings.concurrency
        self.queue: deque[str] = deque()
        self.claimed: deque[OutboxEntry] = deque()
        self.accepted: list[OutboxEntry] = []
        self.again: list[OutboxEntry] = []
        self.seen: set[str] = set()
        self.running = 0
        self.settled = 0
        self.claimed_at = engine.now()

    def committed(self, keys: Sequence[str], order: JetOrder) -> None:
        self.flush.fresh[order.merchant_order_id] = order
        self.seen.update(keys)
        self.queue.extend(keys)

    def next(self) -> tuple[OutboxEntry, Callable[[], object]] | None:
        flush = self.flush
        while True:
            if not self.claimed:
                if not self.queue:
                    return None
                self.claim_some()
                continue
            entry = self.claimed.popleft()
            if flush.needs_read(entry, False):
                # An earlier try may have reached Jet after this import read the order.
                reason = "an earlier try may have reached Jet; the order is read again first"
                self.ended(entry, flush.ambiguous(entry, reason))
                continue
            # Claimed with others, it may have waited for a slot: a claim a third of its
            # lifetime old is checked and stretched again, as a flush does before each send.
            recent = flush.engine.now() - self.claimed_at < flush.ttl / 3
            settled = flush.admit(entry, None, claimed=recent)
            if settled is None:
                self.running += 1
                return entry, partial(flush.send, entry)
            self.ended(entry, settled)

    def claim_some(self) -> None:
        """Claim up to a pool's width of the queued entries, in one unit of work."""
        flush = self.flush
        keys = [self.queue.popleft() for _ in range(min(self.width, len(self.queue)))]
        self.claimed_at = flush.engine.now()
        with flush.storage.transaction():
            taken = [flush.claim_key(key) for key in keys]
        for entry in taken:
            if entry is not None:
                flush.held[entry.key] = entry
                self.claimed.append(entry)

    def done(self, token: OutboxEntry, result: object) -> None:
        self.running -= 1
        self.ended(token, self.flush.sent(token, result, self.accepted))
        idle = not (self.running or self.claimed or self.queue)
        if len(self.accepted) >= self.width or idle:
            self.record_accepted()

    def record_accepted(self) -> None:
        accepted, self.accepted = self.accepted, []
        self.flush.record_accepted(accepted)
        for entry in accepted:
            self.flush.held.pop(entry.key, None)

    def ended(self, entry: OutboxEntry, outcome: _Try) -> None:
        if outcome is _Try.AGAIN:
            self.again.append(entry)
            return
        if entry not in self.accepted:
            self.flush.held.pop(entry.key, None)
        self.settled += 1
        self.flush.engine.tick("push order status", self.settled, None)

    def halt(self, error: BaseException) -> None:
        # Claimed and unsent: made due again by `release`.
        self.queue.clear()

    def settle(self, fresh: Mapping[str, JetOrder]) -> None:
        flush = self.flush
        engine = flush.engine
        self.record_accepted()
        if not engine.settings.push_order_status:
            flush.report.note("push_order_status is off: no order status was sent to Jet")
            return
        due = engine.storage.due(engine.now(), account=engine.account)
        entries = [e for e in due if e.kind == PushKind.ACKNOWLEDGE and e.key not in self.seen]
        self.seen.clear()  # a pass's own: what it handled is done, waiting or held by now
        for entry in entries:
            if entry.target in fresh:
                flush.fresh.setdefault(entry.target, fresh[entry.target])
        retry, self.again = self.again, []
        flush.run(entries, retry, settled=self.settled)
        self.settled += len(entries) + len(retry)
        flush.report_refused({PushKind.ACKNOWLEDGE}, None)

    def release(self) -> None:
        self.queue.clear()
        self.claimed.clear()
        try:
            self.record_accepted()  # Jet took them: done is the truth, whatever stopped the run
        finally:
            self.flush.release()


def supersede(engine: Engine, order_id: str, *, keep: str, owed: Collection[str] = ()) -> None:
    """Retire the order's given-up pushes (and the ``owed`` ones): the host asked anew.

    A retired push is no longer reported as a problem. ``keep`` is the push being asked for,
    which a repeat of the same change sends again instead.
    """
    storage, account = engine.storage, engine.account
    for status in (PushStatus.FAILED, PushStatus.PENDING):
        for entry in storage.pushes(status=status, account=account):
            if entry.target != order_id or entry.key == keep:
                continue
            given_up = entry.status is PushStatus.FAILED and entry.next_attempt_at is None
            retired = (entry.last_error or "").startswith(_SUPERSEDED)
            if (given_up or entry.key in owed) and not retired:
                # A push another worker is sending right now is left to it: Jet's answer
                # (and the re-read before any re-send) settles which change stands.
                storage.mark_failed(
                    entry.key,
                    f"{_SUPERSEDED}the host asked for another change of the order",
                    None,
                    owner=uuid.uuid4().hex,
                    account=account,
                )


def flush(
    engine: Engine,
    report: ReportBuilder,
    *,
    fresh: Mapping[str, JetOrder] | None = None,
    keys: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    targets: Collection[str] | None = None,
) -> None:
    """Send the due outbox entries (only ``keys`` / ``kinds`` when given) into ``report``.

    Each entry is claimed first, so workers flushing one storage at once never send a push
    twice. A push given up for good is reported as a problem (for ``targets``, or all).
    """
    if not engine.settings.push_order_status:
        report.note("push_order_status is off: no order status was sent to Jet")
        return
    entries = engine.storage.due(engine.now(), account=engine.account)
    if keys is not None:
        entries = [entry for entry in entries if entry.key in keys]
    if kinds is not None:
        entries = [entry for entry in entries if entry.kind in kinds]
    runner = _Flush(engine, report, fresh or {})
    runner.run(entries)
    runner.report_refused(kinds, targets)
