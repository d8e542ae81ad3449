"""The logging page names the loggers the library writes to, and the levels it says it uses."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from pathlib import Path

import pytest

from jet_orderhive import Integration, MemoryStorage
from jet_orderhive.testing import JetSandbox

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "logging.md"


def _documented_loggers() -> set[str]:
    section = PAGE.read_text(encoding="utf-8").split("## The loggers", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| ([^|]+)\|", section, re.M)
    return {name for cell in first_cells for name in re.findall(r"`([\w.]+)`", cell)}


def _loggers_in_source() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "jet_orderhive").rglob("*.py"):
        names.update(re.findall(r'getLogger\("([\w.]+)"\)', path.read_text(encoding="utf-8")))
    return names


def test_the_page_names_every_logger_the_library_creates() -> None:
    documented = _documented_loggers()
    assert _loggers_in_source() <= documented
    assert {"httpx", "httpcore"} <= documented


def test_a_faulty_run_logs_only_to_documented_loggers_and_never_at_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = JetSandbox(seed=8)
    ids = sandbox.generate_orders(6)
    sandbox.corrupt_order(ids[0], lambda order: order.update(order_items="not a list"))
    sandbox.fail_next(3, status=503, kind="acknowledge")
    sandbox.throttle(every=5, retry_after=0.01)
    caplog.set_level(logging.DEBUG)
    with sandbox.client(sleep=lambda _s: None) as client:
        integration = Integration(client, MemoryStorage(), sleep=lambda _s: None)
        integration.import_orders()
        integration.push_prices({"UNKNOWN-SKU": Decimal("1.00")})

    library = [r for r in caplog.records if r.name.split(".")[0] in {"jet_orderhive", "httpx"}]
    assert {r.levelno for r in library} >= {logging.DEBUG, logging.INFO, logging.WARNING}
    documented = _documented_loggers()
    assert {r.name for r in library if r.name.startswith("jet_orderhive")} <= documented
    assert [r.getMessage() for r in library if r.levelno >= logging.ERROR] == []
