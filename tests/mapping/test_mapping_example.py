"""The override example in docs/mapping.md runs and does what the page says."""

from __future__ import annotations

import runpy
from pathlib import Path

import attrs

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "override_mapping.py"


def test_override_example_changes_only_the_customer() -> None:
    namespace = runpy.run_path(str(EXAMPLE))
    before, after = namespace["main"]()
    assert before is not None
    assert after is not None
    assert (before.first_name, before.last_name) == ("Mary", "Ann Smith")
    assert (after.first_name, after.last_name) == ("Mary Ann", "Smith")
    assert attrs.evolve(after, first_name=before.first_name, last_name=before.last_name) == before


def test_docs_page_includes_the_example() -> None:
    page = (EXAMPLE.parents[1] / "docs" / "mapping.md").read_text(encoding="utf-8")
    assert "examples/override_mapping.py" in page


def test_docs_page_shows_the_example_as_it_is() -> None:
    page = (EXAMPLE.parents[1] / "docs" / "mapping.md").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8") in page
