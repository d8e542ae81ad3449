"""The README's examples run as written, so the first thing a user copies works."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from jet_orderhive import Integration, MemoryStorage, Shipment, ShipmentLine
from jet_orderhive.testing import JetSandbox

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_has_the_two_commands_first() -> None:
    first_block = README.read_text(encoding="utf-8").split("```")[1]
    assert first_block.split() == [
        "sh", "make", "demo", "#", "syncs", "the", "built-in", "Jet", "sandbox", "into", "a",
        "SQLite", "file", "and", "prints", "what", "happened",
        "make", "test", "#", "lint,", "type", "check,", "tests", "and", "the", "documentation",
        "build",
    ]  # fmt: skip


def test_quickstart_runs_against_a_served_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sandbox = JetSandbox(seed=3)
    sandbox.generate_orders(4)
    sandbox.add_sku("SKU-1", price=None)
    monkeypatch.chdir(tmp_path)
    with sandbox.serve() as base_url:
        monkeypatch.setenv("JET_API_USER", sandbox.user)
        monkeypatch.setenv("JET_API_SECRET", sandbox.secret)
        monkeypatch.setenv("JET_API_BASE_URL", base_url)
        namespace: dict[str, object] = {}
        exec(_python_blocks()[0], namespace)  # noqa: S102 - the README's own code
    assert (tmp_path / "jet.sqlite").exists()
    assert sandbox.count("acknowledge") == 4
    sku = sandbox.sku("SKU-1")
    assert sku["price"] == Decimal("19.99")
    assert sku["inventory_by_fulfillment_node"] == [
        {"fulfillment_node_id": sandbox.fulfillment_node_id, "quantity": 12}
    ]


def test_sandbox_example_runs() -> None:
    exec(_python_blocks()[1], {})  # noqa: S102 - the README's own code


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert f"\n## {title}\n" in text, f"the README has no section {title!r}"
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_says_what_the_library_does_not_do() -> None:
    section = _section("What it does not do").lower()
    for subject in ("product creation", "refunds", "return completion", "scheduler", "polls"):
        assert subject in section
    assert "15 minutes" in section, "what polling means for how often to run"


def test_a_full_run_creates_no_product_archives_nothing_on_jet_and_completes_no_return() -> None:
    sandbox = JetSandbox(seed=12)
    sandbox.generate_orders(4)
    storage = MemoryStorage()
    with sandbox.client() as client:
        integration = Integration(client, storage)
        integration.import_orders()
        order = storage.list_orders()[0]
        line = order.line_items[0]
        integration.ship(
            order.channel_order_id,
            Shipment(
                lines=[ShipmentLine(sku=line.sku, quantity_shipped=line.quantity_ordered)],
                courier_name="UPS",
                tracking_number="1Z0000000012",
            ),
        )
        sandbox.add_return(order.channel_order_id, {line.sku: 1})
        sandbox.archive_sku(line.sku)
        integration.run_once(stock={line.sku: 0}, prices={line.sku: Decimal("3.00")})
        integration.import_returns()

    kinds = {request.kind for request in sandbox.requests}
    assert {"return_list", "return_detail", "sku"} <= kinds, "returns and archive were checked"
    assert not kinds & {"product", "archive", "return_complete", "refund"}
