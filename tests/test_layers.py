"""The layering of design §2: imports point downwards only, and `testing` is imported by none."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "jet_orderhive"

# What each layer may import from the package besides itself and the shared private helpers.
ALLOWED: dict[str, set[str]] = {
    "jet": set(),
    "orderhive": set(),
    "mapping": {"jet", "orderhive"},
    "storage": {"orderhive"},
    "sync": {"jet", "orderhive", "mapping", "storage"},
    "cli": {"jet", "orderhive", "mapping", "storage", "sync", "testing"},
    "testing": {"jet", "orderhive", "mapping", "storage", "sync"},
}
SHARED = {"_json", "_clock", "_errors"}


def _layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "jet_orderhive" and len(parts) > 1:
                found.add(parts[1])
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem == "cli")


def _violations(path: Path, layer: str) -> set[str]:
    return _imported_layers(path) - ALLOWED[layer] - SHARED - {layer}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(path: Path) -> None:
    layer = _layer_of(path)
    if layer not in ALLOWED:
        pytest.fail(f"{path.relative_to(PACKAGE)} is in no known layer")
    wrong = _violations(path, layer)
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(wrong)}"


def test_an_upward_import_is_reported(tmp_path: Path) -> None:
    module = tmp_path / "upward.py"
    module.write_text(
        "import jet_orderhive.storage\nfrom jet_orderhive.sync.integration import Integration\n"
    )
    assert _violations(module, "jet") == {"storage", "sync"}
    assert _violations(module, "sync") == set()
