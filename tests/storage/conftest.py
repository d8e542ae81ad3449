"""Shared fixtures for the storage tests: the guide's example adapter, loaded from docs/."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from jet_orderhive.storage import Storage

_EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "dict_storage.py"
_MODULE = "docs_examples_dict_storage"


def load_dict_storage() -> Callable[..., Storage]:
    """Import ``docs/examples/dict_storage.py`` by path and return its ``DictStorage`` class."""
    if _MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(_MODULE, _EXAMPLE)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE] = module
        spec.loader.exec_module(module)
    factory: Callable[..., Storage] = sys.modules[_MODULE].DictStorage
    return factory


@pytest.fixture(scope="session")
def dict_storage_class() -> Callable[..., Storage]:
    """The guide's example adapter class."""
    return load_dict_storage()
