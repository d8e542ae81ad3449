"""Spare the async client a failed ``import sniffio`` on every request.

httpcore asks ``sniffio`` which event loop runs each time it makes a lock, event or semaphore
(several per request), importing it inside the function and treating ``ImportError`` as
asyncio. Since anyio 4.11 stopped depending on ``sniffio`` it is often absent, and Python does
not remember a failed import: each call searches every ``sys.path`` entry again, which made the
async client 1.5-2.5x slower than the threaded one (encode/httpcore#1103).

Marking the missing module as missing in ``sys.modules`` makes that import fail at once, with
the same ``ImportError`` (``importlib.util.find_spec`` still answers None). Nothing changes
when ``sniffio`` is installed. The one cost: a ``sniffio`` installed into a running process
cannot be imported until it restarts.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["remember_missing_sniffio"]


def remember_missing_sniffio() -> None:
    """Record ``sniffio`` as not installed, if it is not, so importing it fails fast."""
    if "sniffio" in sys.modules:
        return
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]
