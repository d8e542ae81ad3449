"""The reliability suite prints the figures it measured, for ``docs/reliability.md``."""

from __future__ import annotations

import json

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
