"""The one decision table of status pushes: Jet's snapshot of an order against the host's intent.

The engine never decides by itself whether an acknowledgement, rejection, shipment or cancel
goes to Jet: it hands Jet's side of the order (`OrderSnapshot`) and the host's side
(`OrderIntent`) to `reconcile` (or the replacement a `Mappings` bundle carries as
``status_push``), which lists every push the intent implies with its verdict: owed, waiting (and
why), impossible (and why) or done. "Jet already shows it" is done, so asking twice is harmless.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from jet_orderhive.mapping.status import PushAction
from jet_orderhive.orderhive.sides import OrderIntent, OrderSnapshot

__all__ = ["Decision", "JetView", "PushAsk", "Reconciliation", "Verdict", "decide", "reconcile"]

_NOT_ACKNOWLEDGED = frozenset({"created", "ready"})
_SHIPPABLE = frozenset({"acknowledged", "inprogress"})


class Verdict(enum.Enum):
    """What is owed to Jet for one asked push."""

    SEND = "send"
    """Owed: send it now."""
    DONE = "done"
    """Jet already shows it: nothing is owed, mark it done."""
    WAIT = "wait"
    """Not yet: something must happen first (the reason says what); it stays queued."""
    IMPOSSIBLE = "impossible"
    """Jet's state forbids it for good (the reason says why); it is reported until the host acts."""


@attrs.frozen(kw_only=True)
class JetView:
    """Jet's side of one order: read from Jet just now (``fresh``), or as last stored.

    Attributes:
        status: Jet's order status (``ready``, ``acknowledged``, ``inprogress``, ...).
        acknowledgement_status: how the order was answered (``accepted``, ``rejected - ...``).
        shipment_ids: the ``alt_shipment_id`` of every shipment Jet holds.
        directed_cancel: Jet asks the merchant to cancel units that are still open.
        fresh: read from Jet for this decision. A stored view carries the engine's own
            prediction of the status after its pushes, and its shipments include local ones
            Jet may not have yet, so it never proves a push done.
    """

    status: str
    acknowledgement_status: str | None = None
    shipment_ids: frozenset[str] = frozenset()
    directed_cancel: bool = False
    fresh: bool = True

    @classmethod
    def of(
        cls,
        status: str,
        *,
        acknowledgement_status: str | None = None,
        shipment_ids: Iterable[str] = (),
        directed_cancel: bool = False,
        fresh: bool = True,
    ) -> JetView:
        """A view from plain values (Jet's raw strings)."""
        return cls(
            status=str(status),
            acknowledgement_status=acknowledgement_status,
            shipment_ids=frozenset[str](shipment_ids),
            directed_cancel=directed_cancel,
            fresh=fresh,
        )


@attrs.frozen(kw_only=True)
class PushAsk:
    """One push the host asked for: its kind, and for shipments and cancels the shipment id."""

    action: PushAction
    alt_shipment_id: str | None = None


@attrs.frozen(kw_only=True)
class Decision:
    """A verdict and, for WAIT and IMPOSSIBLE, the reason in words a host can act on."""

    verdict: Verdict
    reason: str | None = None


HELD_FOR_CANCEL = (
    "Jet asks to cancel this order; its acknowledgement is held until the request is answered"
    " with cancel()"
)


def _acknowledge(view: JetView) -> Decision:
    if view.directed_cancel and (view.status == "ready" or not view.fresh):
        return Decision(verdict=Verdict.WAIT, reason=HELD_FOR_CANCEL)
    if view.status == "ready":
        return Decision(verdict=Verdict.SEND)
    if not view.fresh:
        # The stored status is the engine's prediction; only Jet's copy settles it.
        return Decision(verdict=Verdict.SEND)
    if view.status == "created":
        return Decision(verdict=Verdict.WAIT, reason="Jet still holds the order in 'created'")
    answered = view.acknowledgement_status or ""
    if answered.startswith("rejected"):
        return Decision(verdict=Verdict.IMPOSSIBLE, reason=f"Jet shows the order as {answered!r}")
    return Decision(verdict=Verdict.DONE)


def _reject(view: JetView) -> Decision:
    if view.status == "ready" or not view.fresh:
        return Decision(verdict=Verdict.SEND)
    if (view.acknowledgement_status or "").startswith("rejected"):
        return Decision(verdict=Verdict.DONE)
    return Decision(
        verdict=Verdict.IMPOSSIBLE,
        reason=f"the order is already {view.status!r} on Jet; cancel its units with cancel() "
        "instead",
    )


def _shipment(view: JetView, ask: PushAsk) -> Decision:
    if view.fresh and ask.alt_shipment_id and ask.alt_shipment_id in view.shipment_ids:
        return Decision(verdict=Verdict.DONE)
    if view.status in _NOT_ACKNOWLEDGED:
        if view.fresh:
            reason = f"the order is still {view.status!r} on Jet; ack it first"
        else:
            reason = "the order's acknowledgement has not reached Jet yet"
        return Decision(verdict=Verdict.WAIT, reason=reason)
    if view.status in _SHIPPABLE or not view.fresh:
        return Decision(verdict=Verdict.SEND)
    return Decision(
        verdict=Verdict.IMPOSSIBLE, reason=f"the order is already {view.status!r} on Jet"
    )


def decide(view: JetView, ask: PushAsk) -> Decision:
    """Decide whether one ``ask`` is owed to Jet, given what Jet shows of the order.

    ========================  =============================================  ==============
    asked                     Jet shows                                      verdict
    ========================  =============================================  ==============
    acknowledge               ``ready``                                      send
    acknowledge               ``ready``, Jet asks to cancel                  wait
    acknowledge               ``created``                                    wait
    acknowledge               ``rejected - ...``                             impossible
    acknowledge               anything later                                 done
    reject                    ``ready``                                      send
    reject                    ``rejected - ...``                             done
    reject                    anything later                                 impossible
    ship / cancel             its ``alt_shipment_id`` among Jet's shipments  done
    ship / cancel             ``created``, ``ready``                         wait
    ship / cancel             ``acknowledged``, ``inprogress``               send
    ship / cancel             ``complete``                                   impossible
    ========================  =============================================  ==============

    A view that is not ``fresh`` (the stored record, not a read from Jet) never proves a push
    done or impossible: where the table would say so, the push is sent, and Jet's own answer
    (or the re-read before any re-send) settles it.
    """
    if ask.action is PushAction.ACKNOWLEDGE:
        return _acknowledge(view)
    if ask.action is PushAction.REJECT:
        return _reject(view)
    return _shipment(view, ask)


@attrs.frozen(kw_only=True)
class Reconciliation:
    """Every push an order's intent implies, each with its verdict, in the order they go out."""

    verdicts: tuple[tuple[PushAsk, Decision], ...] = ()

    def decision(self, ask: PushAsk) -> Decision | None:
        """The verdict on ``ask``; ``None`` when the intent does not (or no longer) ask it."""
        return next((d for a, d in self.verdicts if a == ask), None)

    def having(self, verdict: Verdict) -> tuple[tuple[PushAsk, Decision], ...]:
        """The asks with this verdict."""
        return tuple((a, d) for a, d in self.verdicts if d.verdict is verdict)

    @property
    def owed(self) -> tuple[PushAsk, ...]:
        """The pushes to send now."""
        return tuple(a for a, _ in self.having(Verdict.SEND))


def asks_of(intent: OrderIntent) -> tuple[PushAsk, ...]:
    """The pushes an intent implies: its answer to the order, then each shipment and cancel.

    A rejection replaces the acknowledgement (an order is answered once); a shipment that
    ships no unit is a cancel.
    """
    asks: list[PushAsk] = []
    if intent.rejection is not None:
        asks.append(PushAsk(action=PushAction.REJECT))
    elif intent.confirmed:
        asks.append(PushAsk(action=PushAction.ACKNOWLEDGE))
    for shipment in intent.shipments:
        action = PushAction.SHIP if shipment.quantity_shipped else PushAction.CANCEL
        asks.append(PushAsk(action=action, alt_shipment_id=shipment.alt_shipment_id))
    return tuple(asks)


def view_of(snapshot: OrderSnapshot, *, fresh: bool) -> JetView:
    """The decision table's view of a snapshot (``fresh``: read from Jet for this decision)."""
    return JetView(
        status=snapshot.status,
        acknowledgement_status=snapshot.acknowledgement_status,
        shipment_ids=snapshot.shipment_ids,
        directed_cancel=snapshot.directed_cancel,
        fresh=fresh,
    )


def reconcile(
    snapshot: OrderSnapshot, intent: OrderIntent, *, fresh: bool = False
) -> Reconciliation:
    """Every push ``intent`` implies, judged against ``snapshot`` by the table of `decide`.

    ``fresh`` says the snapshot was read from Jet just now; a stored one may predate the
    engine's own pushes, so it never proves a push done or impossible (see `decide`).

    Jet's request to cancel holds the acknowledgement until the host answers it; a cancel
    among the asks is that answer, so the acknowledgement then goes first and the cancel
    after it (Jet takes unit cancels only on an acknowledged order).
    """
    asks = asks_of(intent)
    view = view_of(snapshot, fresh=fresh)
    if any(ask.action is PushAction.CANCEL for ask in asks):
        view = attrs.evolve(view, directed_cancel=False)
    return Reconciliation(verdicts=tuple((ask, decide(view, ask)) for ask in asks))
