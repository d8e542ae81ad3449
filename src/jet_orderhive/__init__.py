"""jet_orderhive: sync a Jet.com merchant account with an Orderhive-shaped order store."""

from __future__ import annotations

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
