"""The reliability suite prints the figures it measured, for ``docs/reliability.md``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reliability_helpers import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name}: {json.dumps(FIGURES[name], sort_keys=True)}")
    cache = terminalreporter.config.cache
    if cache is not None:
        cache.set("reliability/figures", FIGURES)


HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this suite with ``ResourceWarning`` as an error: nothing may be left to the GC.

    Unraisable exceptions are errors for the whole suite already (``pyproject.toml``).
    """
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("error::ResourceWarning"))
