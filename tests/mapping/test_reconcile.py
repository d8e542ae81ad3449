"""The one decision table of status pushes, and the engine honouring a replacement of it."""

from __future__ import annotations

import attrs
import pytest

from jet_orderhive.mapping import Mappings
from jet_orderhive.mapping.reconcile import (
    Decision,
    JetView,
    PushAsk,
    Reconciliation,
    Verdict,
    decide,
    reconcile,
)
from jet_orderhive.mapping.status import PushAction
from jet_orderhive.orderhive.models import Shipment, ShipmentLine
from jet_orderhive.orderhive.sides import OrderIntent, OrderSnapshot
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.testing.sandbox import JetSandbox

_ACK = PushAsk(action=PushAction.ACKNOWLEDGE)
_REJECT = PushAsk(action=PushAction.REJECT)


def _ship(alt_id: str = "S-1") -> PushAsk:
    return PushAsk(action=PushAction.SHIP, alt_shipment_id=alt_id)


@pytest.mark.parametrize(
    ("view", "ask", "verdict"),
    [
        (JetView.of("ready"), _ACK, Verdict.SEND),
        (JetView.of("ready", directed_cancel=True), _ACK, Verdict.WAIT),
        (JetView.of("created"), _ACK, Verdict.WAIT),
        (JetView.of("acknowledged", acknowledgement_status="accepted"), _ACK, Verdict.DONE),
        (
            JetView.of("complete", acknowledgement_status="rejected - other"),
            _ACK,
            Verdict.IMPOSSIBLE,
        ),
        (JetView.of("ready"), _REJECT, Verdict.SEND),
        (JetView.of("complete", acknowledgement_status="rejected - other"), _REJECT, Verdict.DONE),
        (JetView.of("acknowledged"), _REJECT, Verdict.IMPOSSIBLE),
        (JetView.of("inprogress", shipment_ids=["S-1"]), _ship(), Verdict.DONE),
        (JetView.of("inprogress", shipment_ids=["S-0"]), _ship(), Verdict.SEND),
        (JetView.of("acknowledged"), _ship(), Verdict.SEND),
        (JetView.of("ready"), _ship(), Verdict.WAIT),
        (JetView.of("complete"), _ship(), Verdict.IMPOSSIBLE),
        (JetView.of("complete"), PushAsk(action=PushAction.CANCEL), Verdict.IMPOSSIBLE),
        # A stored view is the engine's own prediction: it never proves done or impossible.
        (JetView.of("complete", fresh=False), _ship(), Verdict.SEND),
        (JetView.of("complete", shipment_ids=["S-1"], fresh=False), _ship(), Verdict.SEND),
        (JetView.of("acknowledged", fresh=False), _ACK, Verdict.SEND),
        (JetView.of("acknowledged", fresh=False), _REJECT, Verdict.SEND),
        (JetView.of("acknowledged", directed_cancel=True, fresh=False), _ACK, Verdict.WAIT),
        (JetView.of("ready", fresh=False), _ship(), Verdict.WAIT),
    ],
)
def test_reconcile_rows(view: JetView, ask: PushAsk, verdict: Verdict) -> None:
    decision = decide(view, ask)
    assert decision.verdict is verdict
    assert (decision.reason is None) is (verdict in (Verdict.SEND, Verdict.DONE))


def test_asking_twice_for_what_jet_shows_is_nothing_owed() -> None:
    after = JetView.of("acknowledged", acknowledgement_status="accepted")
    assert decide(after, _ACK) == decide(after, _ACK) == Decision(verdict=Verdict.DONE)


def _shipment(alt_id: str, shipped: int = 1, cancelled: int = 0) -> Shipment:
    line = ShipmentLine(sku="A", quantity_shipped=shipped, quantity_cancelled=cancelled)
    return Shipment(lines=(line,), tracking_number="1Z999", alt_shipment_id=alt_id)


def test_reconcile_derives_every_push_of_the_intent_and_judges_each() -> None:
    intent = OrderIntent(
        confirmed=True,
        shipments=(_shipment("S-1"), _shipment("C-1", shipped=0, cancelled=1)),
    )
    ready = reconcile(OrderSnapshot(status="ready"), intent, fresh=True)
    assert [(a.action, a.alt_shipment_id) for a, _ in ready.verdicts] == [
        (PushAction.ACKNOWLEDGE, None),
        (PushAction.SHIP, "S-1"),
        (PushAction.CANCEL, "C-1"),
    ]
    assert ready.owed == (_ACK,)
    assert {d.reason for _, d in ready.having(Verdict.WAIT)} == {
        "the order is still 'ready' on Jet; ack it first"
    }
    shipped = OrderSnapshot(
        status="inprogress", acknowledgement_status="accepted", shipment_ids={"S-1"}
    )
    later = reconcile(shipped, intent, fresh=True)
    assert later.owed == (PushAsk(action=PushAction.CANCEL, alt_shipment_id="C-1"),)
    assert later.decision(_ACK) == Decision(verdict=Verdict.DONE)
    assert later.decision(_ship("S-1")) == Decision(verdict=Verdict.DONE)
    assert later.decision(_ship("S-9")) is None


def test_a_rejection_replaces_the_acknowledgement_and_nothing_asked_owes_nothing() -> None:
    rejecting = OrderIntent(confirmed=True, rejection="rejected - other")
    verdicts = reconcile(OrderSnapshot(status="ready"), rejecting, fresh=True)
    assert verdicts.owed == (_REJECT,)
    assert verdicts.decision(_ACK) is None
    assert reconcile(OrderSnapshot(status="ready"), OrderIntent()) == Reconciliation()
    # Asking twice changes nothing: the same intent gives the same verdicts.
    assert reconcile(OrderSnapshot(status="ready"), rejecting, fresh=True) == verdicts


def test_a_stored_snapshot_never_proves_a_push_done_or_impossible() -> None:
    intent = OrderIntent(confirmed=True, shipments=(_shipment("S-1"),))
    stale = OrderSnapshot(status="complete", shipment_ids={"S-1"})
    verdicts = reconcile(stale, intent, fresh=False)
    assert verdicts.owed == (_ACK, _ship("S-1"))


def test_the_engine_asks_the_bundles_status_push_and_follows_it() -> None:
    sandbox = JetSandbox(seed=4)
    sandbox.generate_orders(2)
    asked: list[tuple[str, bool]] = []

    def hold_the_first(
        snapshot: OrderSnapshot, intent: OrderIntent, *, fresh: bool = False
    ) -> Reconciliation:
        asked.append((snapshot.status, intent.confirmed))
        if len(asked) == 1:
            wait = Decision(verdict=Verdict.WAIT, reason="the warehouse reviews it first")
            return Reconciliation(verdicts=((_ACK, wait),))
        return reconcile(snapshot, intent, fresh=fresh)

    mappings = attrs.evolve(Mappings.default(), status_push=hold_the_first)
    storage = MemoryStorage()
    report = Integration(sandbox.client(), storage, mappings=mappings).import_orders()

    assert asked[:2] == [("ready", True), ("ready", True)]
    statuses = sorted(sandbox.order_status(o.channel_order_id) for o in storage.list_orders())
    assert statuses == ["acknowledged", "ready"]
    assert any("the warehouse reviews it first" in note for note in report.notes)


def test_a_status_push_that_raises_fails_that_order_alone() -> None:
    sandbox = JetSandbox(seed=5)
    (order_id,) = sandbox.generate_orders(1)

    def broken(snapshot: OrderSnapshot, intent: OrderIntent, *, fresh: bool = False) -> None:
        raise RuntimeError("boom")

    mappings = attrs.evolve(Mappings.default(), status_push=broken)
    report = Integration(sandbox.client(), MemoryStorage(), mappings=mappings).import_orders()

    assert sandbox.order_status(order_id) == "ready"
    assert report.counts.created == 1
    (problem,) = report.problems
    assert "RuntimeError: boom" in problem.reason


def test_a_flush_starts_sending_before_it_has_judged_every_entry() -> None:
    """Each outbox entry is judged right before its request goes out: a batch of 40
    acknowledgements does not wait for all 40 decisions before the first is sent."""
    sandbox = JetSandbox(seed=6)
    sandbox.generate_orders(40)
    sent_when_judged: list[int] = []

    def watching(
        snapshot: OrderSnapshot, intent: OrderIntent, *, fresh: bool = False
    ) -> Reconciliation:
        sent_when_judged.append(sandbox.count("acknowledge"))
        return reconcile(snapshot, intent, fresh=fresh)

    mappings = attrs.evolve(Mappings.default(), status_push=watching)
    report = Integration(sandbox.client(), MemoryStorage(), mappings=mappings).import_orders()

    assert report.counts.acknowledged == 40
    assert len(sent_when_judged) == 80  # once at import (what to enqueue), once at the send
    assert max(sent_when_judged) > 0, "every entry was judged before the first was sent"
