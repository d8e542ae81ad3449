"""The storage guide's example adapter passes the storage kit, so the guide cannot rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from jet_orderhive.storage import Storage
from jet_orderhive.testing.storage_kit import FakeClock, StorageContract

_EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "dict_storage.py"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_examples_dict_storage", _EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_example = _load_example()


class TestGuideDictStorage(StorageContract):
    @pytest.fixture
    def storage(self, clock: FakeClock) -> Storage:
        adapter: Storage = _example.DictStorage(clock=clock)
        return adapter


def test_example_keeps_everything_as_json_text_in_the_given_mapping() -> None:
    data: dict[str, str] = {}
    storage = _example.DictStorage(data)
    storage.set_state("cursor", "c1")
    storage.quarantine("order", "o1", b"\xff", "bad")
    assert all(isinstance(value, str) for value in data.values())
    assert set(data) == {"state:cursor", "quarantine:order\x1fo1"}
