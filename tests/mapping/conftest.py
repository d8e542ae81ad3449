"""Fixtures for the mapping tests: the known Jet order and a context with a fixed clock."""

from __future__ import annotations

import pytest
from mapping_data import NOW, known_order_data

from jet_orderhive.jet import JetOrder
from jet_orderhive.mapping import MappingContext


@pytest.fixture
def known_order() -> JetOrder:
    return JetOrder.from_dict(known_order_data())


@pytest.fixture
def ctx() -> MappingContext:
    return MappingContext(clock=lambda: NOW)
