"""Test helpers for users and for this package: the Jet sandbox, factories, the storage kit."""

from __future__ import annotations

from jet_orderhive.testing.factories import FakeBuyer, OrderFactory, make_order
from jet_orderhive.testing.sandbox import DroppedConnection, JetSandbox, SandboxRequest

__all__ = [
    "DroppedConnection",
    "FakeBuyer",
    "JetSandbox",
    "OrderFactory",
    "SandboxRequest",
    "make_order",
]
