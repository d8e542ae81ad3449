"""Every public name is in the API reference: each name in a public ``__all__`` is rendered by a
``:::`` directive of ``docs/reference/``, itself or as a member of a module the page renders."""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"

PUBLIC_MODULES = [
    "jet_orderhive",
    "jet_orderhive.json",
    "jet_orderhive.jet",
    "jet_orderhive.orderhive",
    "jet_orderhive.mapping",
    "jet_orderhive.storage",
    "jet_orderhive.sync",
    "jet_orderhive.testing",
    "jet_orderhive.testing.storage_kit",
]


def _directives() -> list[str]:
    return [
        path
        for page in sorted(REFERENCE.glob("*.md"))
        for path in re.findall(r"^::: ([\w.]+)\s*$", page.read_text(encoding="utf-8"), re.M)
    ]


def _resolve(path: str) -> object:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise LookupError(path)


def _rendered() -> list[object]:
    return [_resolve(path) for path in _directives()]


def _is_rendered(name: str, value: object, rendered: list[object]) -> bool:
    for target in rendered:
        if target is value:
            return True
        if isinstance(target, types.ModuleType):
            members = getattr(target, "__all__", None) or [n for n in vars(target) if n[0] != "_"]
            if name in members and getattr(target, name, None) is value:
                return True
    return False


def test_every_reference_directive_names_an_importable_object() -> None:
    unresolved = []
    for path in _directives():
        try:
            _resolve(path)
        except (LookupError, AttributeError):
            unresolved.append(path)
    assert unresolved == []


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_in_the_reference(module_name: str) -> None:
    module = importlib.import_module(module_name)
    rendered = _rendered()
    missing = [
        name for name in module.__all__ if not _is_rendered(name, getattr(module, name), rendered)
    ]
    assert missing == [], f"{module_name} exports names no page of docs/reference/ renders"
