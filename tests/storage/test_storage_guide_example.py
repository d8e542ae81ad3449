"""The storage guide's example adapter passes the storage kit, so the guide cannot rot."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jet_orderhive.storage import Storage
from jet_orderhive.testing.storage_kit import FakeClock, StorageContract


class TestGuideDictStorage(StorageContract):
    @pytest.fixture
    def storage(self, clock: FakeClock, dict_storage_class: Callable[..., Storage]) -> Storage:
        return dict_storage_class(clock=clock)


def test_example_keeps_everything_as_json_text_in_the_given_mapping(
    dict_storage_class: Callable[..., Storage],
) -> None:
    data: dict[str, str] = {}
    storage = dict_storage_class(data)
    storage.set_state("cursor", "c1")
    storage.quarantine("order", "o1", b"\xff", "bad")
    assert all(isinstance(value, str) for value in data.values())
    assert set(data) == {"default\x1fstate:cursor", "default\x1fquarantine:order\x1fo1"}
