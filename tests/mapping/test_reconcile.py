"""The one decision table of status pushes, and the engine honouring a replacement of it."""

from __future__ import annotations

import attrs
import pytest

from jet_orderhive.mapping import Mappings
from jet_orderhive.mapping.reconcile import Decision, JetView, PushAsk, Verdict, reconcile
from jet_orderhive.mapping.status import PushAction
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
    decision = reconcile(view, ask)
    assert decision.verdict is verdict
    assert (decision.reason is None) is (verdict in (Verdict.SEND, Verdict.DONE))


def test_asking_twice_for_what_jet_shows_is_nothing_owed() -> None:
    after = JetView.of("acknowledged", acknowledgement_status="accepted")
    assert reconcile(after, _ACK) == reconcile(after, _ACK) == Decision(verdict=Verdict.DONE)


def test_the_engine_asks_the_bundles_status_push_and_follows_it() -> None:
    sandbox = JetSandbox(seed=4)
    held, sent = sandbox.generate_orders(2)
    asked: list[tuple[str, PushAction]] = []

    def hold_one(view: JetView, ask: PushAsk) -> Decision:
        asked.append((view.status, ask.action))
        if len(asked) == 1:
            return Decision(verdict=Verdict.WAIT, reason="the warehouse reviews it first")
        return reconcile(view, ask)

    mappings = attrs.evolve(Mappings.default(), status_push=hold_one)
    storage = MemoryStorage()
    report = Integration(sandbox.client(), storage, mappings=mappings).import_orders()

    assert asked == [("ready", PushAction.ACKNOWLEDGE), ("ready", PushAction.ACKNOWLEDGE)]
    assert {sandbox.order_status(held), sandbox.order_status(sent)} == {"ready", "acknowledged"}
    assert any("the warehouse reviews it first" in (p.reason or "") for p in report.pushes)


def test_a_status_push_that_raises_fails_that_push_alone() -> None:
    sandbox = JetSandbox(seed=5)
    (order_id,) = sandbox.generate_orders(1)

    def broken(view: JetView, ask: PushAsk) -> Decision:
        raise RuntimeError("boom")

    mappings = attrs.evolve(Mappings.default(), status_push=broken)
    report = Integration(sandbox.client(), MemoryStorage(), mappings=mappings).import_orders()

    assert sandbox.order_status(order_id) == "ready"
    assert report.counts.created == 1
    (outcome,) = report.pushes
    assert "status_push mapping raised RuntimeError: boom" in (outcome.reason or "")
