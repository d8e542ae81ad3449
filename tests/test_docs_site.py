"""The documentation site stays whole and its checkable claims stay true."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from jet_orderhive import Integration, IntegrationSettings, MemoryStorage
from jet_orderhive.storage.protocol import ListedOrderKeysReader, Storage
from jet_orderhive.testing import JetSandbox

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return []


@pytest.fixture(scope="module")
def nav() -> list[str]:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with mkdocs, the docs extra")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return _nav_pages(config["nav"])


def test_nav_lists_every_page(nav: list[str]) -> None:
    pages = {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md")}
    assert pages - set(nav) == set()


def test_no_page_tells_users_to_call_a_private_module() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    private = re.compile(r"`jet_orderhive(?:\.\w+)*\._\w+")
    told = [
        f"{page.name}: {line.strip()}"
        for page in pages
        for line in page.read_text(encoding="utf-8").splitlines()
        if not line.startswith(":::") and private.search(line)
    ]
    assert told == []


def test_every_nav_entry_is_a_page(nav: list[str]) -> None:
    assert [entry for entry in nav if not (DOCS / entry).is_file()] == []


def test_sync_state_keys_the_engine_page_names_are_the_ones_written() -> None:
    page = (DOCS / "engine.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(import:[a-z_]+)`", page))
    assert named, "docs/engine.md names no sync-state key"
    sandbox = JetSandbox(seed=8)
    sandbox.generate_orders(2)
    storage = MemoryStorage()
    Integration(sandbox.client(), storage).import_orders()
    missing = [key for key in sorted(named) if storage.get_state(key) is None]
    assert missing == []


def test_the_listing_the_changelog_moved_onto_the_order_rows_is_written() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "`import:listed_cancelled` (moved onto the rows)" in changelog
    sandbox = JetSandbox(seed=9)
    order_id = sandbox.generate_orders(1)[0]
    storage = MemoryStorage()
    integration = Integration(sandbox.client(), storage)
    integration.import_orders()
    sandbox.request_directed_cancel(order_id)
    assert not storage.order_keys()[order_id].cancelled
    integration.import_orders()
    assert storage.order_keys()[order_id].cancelled
    assert storage.get_state("import:listed_cancelled") is None


def _settings_table() -> dict[str, str]:
    page = (DOCS / "engine.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| [^\n]*\|$", page, re.MULTILINE)
    return dict(rows)


def test_settings_table_names_every_setting_once() -> None:
    table = _settings_table()
    assert set(table) == {field.name for field in attrs.fields(IntegrationSettings)}


def test_settings_table_gives_the_real_defaults() -> None:
    defaults = IntegrationSettings()
    for name, text in _settings_table().items():
        documented = eval(text, {"timedelta": timedelta})  # noqa: S307 - literals of our docs
        assert documented == getattr(defaults, name), f"docs/engine.md: default of {name}"


def _storage_methods() -> list[str]:
    return [name for name, value in vars(Storage).items() if callable(value) and name[0] != "_"]


def test_storage_guide_lists_every_method_an_adapter_implements() -> None:
    text = (DOCS / "storage.md").read_text(encoding="utf-8")
    table = text.split("\n## Every method\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `(\w+)\(", table, re.M)
    assert listed == _storage_methods()
    assert "Implement every method in the table above" in text
    optional = text.split("\n## Optional methods\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| `(\w+)\(", optional, re.M) == [
        name
        for name, value in vars(ListedOrderKeysReader).items()
        if callable(value) and name[0] != "_"
    ]


def test_storage_guide_and_protocol_state_the_quarantine_bytes_rule() -> None:
    guide = (DOCS / "storage.md").read_text(encoding="utf-8")
    quarantine = guide.split("**Quarantine.**", 1)[1].split("\n\n", 1)[0]
    docstring = Storage.quarantine.__doc__ or ""
    for text in (quarantine, docstring.replace("``", "`")):
        assert "`bytes`" in text
        assert "`TypeError`" in text
        assert "`memoryview`" in text
