"""Fixtures for the Jet layer: the location of Jet's published schemas and a tolerant reader."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

# CI clones the repository next to a "shared" folder that holds Jet's published schemas.
SCHEMA_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "jet-seller-schema"

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def read_jet_json(path: Path) -> Any:
    """Read one of Jet's hand-written files: raw control characters in strings and trailing
    commas are tolerated (Jet's own files have both), fractions are read as exact Decimals."""
    text = _TRAILING_COMMA.sub(r"\1", path.read_text(encoding="utf-8"))
    return json.loads(text, strict=False, parse_float=Decimal)


@pytest.fixture
def seller_schema() -> Path:
    if not SCHEMA_ROOT.is_dir():
        pytest.skip(f"Jet's published schemas are not at {SCHEMA_ROOT} (clone shared/ beside)")
    return SCHEMA_ROOT


@pytest.fixture
def jet_json(seller_schema: Path) -> Callable[[str], Any]:
    """Read a file of Jet's schema folder by its relative path."""

    def read(relative: str) -> Any:
        return read_jet_json(seller_schema / relative)

    return read
