"""The library's loggers stay quiet unless the host application asks to hear them."""

from __future__ import annotations

import subprocess
import sys


def test_the_library_prints_nothing_when_the_host_configured_no_logging() -> None:
    script = (
        "import logging; import jet_orderhive.jet.client; "
        "logging.getLogger('jet_orderhive.jet').warning('retrying in 1s')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stderr == ""
