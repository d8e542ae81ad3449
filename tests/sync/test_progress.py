"""Progress events name real steps only, and the notebook display draws each step in place."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sync_helpers import Clock

from jet_orderhive.orderhive.models import Shipment, ShipmentLine
from jet_orderhive.storage.memory import MemoryStorage
from jet_orderhive.sync.integration import Integration
from jet_orderhive.sync.progress import STEPS, NotebookProgress, ProgressEvent
from jet_orderhive.testing.sandbox import JetSandbox


def _steps_of_a_full_run(sandbox: JetSandbox, clock: Clock) -> list[str]:
    seen: list[str] = []
    order_id = sandbox.add_order(
        sandbox.factory.order(quantities={"SKU-A": 2}, placed_at=clock.now - timedelta(hours=2))
    )
    sandbox.add_sku("SKU-A")
    integration = Integration(
        sandbox.client(sleep=lambda _s: None),
        MemoryStorage(clock=clock),
        progress=lambda event: seen.append(event.step),
        clock=clock,
        sleep=lambda _s: None,
    )
    integration.import_orders()
    integration.ship(
        order_id,
        Shipment(
            lines=(ShipmentLine(sku="SKU-A", quantity_shipped=2),),
            courier_name="UPS",
            tracking_number="1Z0000000001",
        ),
    )
    sandbox.add_return(order_id, {"SKU-A": 1})
    integration.run_once(stock={"SKU-A": 3}, prices={"SKU-A": Decimal("4.50")})
    return list(dict.fromkeys(seen))


def test_every_step_a_run_emits_is_a_documented_step_and_back(
    sandbox: JetSandbox, clock: Clock
) -> None:
    assert set(_steps_of_a_full_run(sandbox, clock)) == set(STEPS)


def test_the_event_docstring_names_only_steps_that_are_emitted(
    sandbox: JetSandbox, clock: Clock
) -> None:
    doc = ProgressEvent.__doc__ or ""
    named = set(re.findall(r'``"([a-z ]+)"``', doc))
    assert named, "the step attribute gives examples"
    assert named <= set(_steps_of_a_full_run(sandbox, clock))


def test_notebook_progress_draws_one_bar_per_step_and_throttles_redraws() -> None:
    progress = NotebookProgress(interval=3600)
    assert "waiting" in progress._repr_html_()
    drawn: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            drawn.append(NotebookProgress._repr_html_(obj))  # type: ignore[arg-type]

    progress._handle = Handle()
    for done in range(1, 101):
        progress(ProgressEvent(step="import orders", done=done, total=100))
    progress(ProgressEvent(step="push <stock>", done=1, total=None))

    # The first event of a step, its last one, and nothing in between within the interval.
    assert len(drawn) == 3
    assert '<progress value="100" max="100"></progress>' in drawn[-1]
    assert "push &lt;stock&gt;" in drawn[-1]
    assert repr(progress) == "import orders: 100/100; push <stock>: 1"
