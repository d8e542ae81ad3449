"""The async client spares httpcore a failed ``import sniffio`` per request (httpcore#1103)."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from jet_orderhive.jet import AsyncJetClient
from jet_orderhive.jet._asyncio_speedup import remember_missing_sniffio


def test_a_missing_sniffio_is_remembered_so_its_import_fails_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    remember_missing_sniffio()
    assert sys.modules["sniffio"] is None
    with pytest.raises(ImportError):
        import sniffio  # noqa: F401


def test_an_installed_sniffio_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    remember_missing_sniffio()
    assert "sniffio" not in sys.modules
    stand_in = types.ModuleType("sniffio")
    monkeypatch.setitem(sys.modules, "sniffio", stand_in)
    remember_missing_sniffio()
    assert sys.modules["sniffio"] is stand_in


def test_the_async_client_applies_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    AsyncJetClient("user", "secret")
    assert sys.modules["sniffio"] is None
