"""Every Python example in docs/ runs as written, so a page cannot promise an API that changed.

The blocks of one page run in order in one namespace, as a reader would paste them. A block
preceded by ``<!-- not run: reason -->`` is skipped with that reason; it is kept for blocks that
are deliberately partial or need a real Jet account. Blocks that read credentials from the
environment run against a served sandbox.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from jet_orderhive.testing import JetSandbox

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)
# The reason stops at the first "-->", so a page's earlier marker never swallows a later one.
_NOT_RUN = re.compile(r"<!--\s*not run:\s*((?:(?!-->).)*?)\s*-->\s*\Z", re.DOTALL)
_SNIPPET = re.compile(r'^--8<-- "([^"]+)"\s*$')


@attrs.frozen(kw_only=True)
class Block:
    """One ```python block of a page, with its skip reason when the page marks it not run."""

    page: str
    index: int
    line: int
    source: str
    not_run: str | None


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for index, match in enumerate(_FENCE.finditer(text)):
        marker = _NOT_RUN.search(text[: match.start()].rstrip())
        source = match.group(1)
        snippet = _SNIPPET.match(source.strip())
        if snippet:
            source = (ROOT / snippet.group(1)).read_text(encoding="utf-8")
        found.append(
            Block(
                page=page.relative_to(DOCS).as_posix(),
                index=index,
                line=text[: match.start()].count("\n") + 1,
                source=source,
                not_run=marker.group(1) if marker else None,
            )
        )
    return found


PAGES = sorted(DOCS.rglob("*.md"))
BLOCKS = [block for page in PAGES for block in _blocks(page)]


@pytest.fixture
def served_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[JetSandbox]:
    """A served sandbox in ``JET_API_*``, run from an empty directory the blocks may write to."""
    sandbox = JetSandbox(seed=7)
    sandbox.generate_orders(3)
    sandbox.add_sku("SKU-1", price=Decimal("10.00"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(DOCS / "examples"))
    with sandbox.serve() as base_url:
        monkeypatch.setenv("JET_API_USER", sandbox.user)
        monkeypatch.setenv("JET_API_SECRET", sandbox.secret)
        monkeypatch.setenv("JET_API_BASE_URL", base_url)
        yield sandbox


async def _run(block: Block, namespace: dict[str, object]) -> None:
    code = compile(
        block.source,
        f"docs/{block.page}:{block.line}",
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
    )
    # A block with top-level `await` / `async with` compiles to a coroutine to be awaited.
    result = eval(code, namespace)  # noqa: S307 - the docs' own examples
    if code.co_flags & inspect.CO_COROUTINE:
        await result


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.page}#{b.index}")
async def test_docs_example_runs(
    block: Block,
    served_account: JetSandbox,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if block.not_run is not None:
        pytest.skip(f"docs/{block.page}:{block.line} is marked not run: {block.not_run}")
    namespace: dict[str, object] = {"__name__": "docs_example"}
    # Earlier blocks of the page first: a later block may use what they defined.
    earlier = [b for b in BLOCKS if b.page == block.page and b.index < block.index]
    if any("DATABASE_URL" in b.source for b in [*earlier, block] if b.not_run is None):
        # A PostgreSQL example: it gets a fresh database on the tests' throwaway server.
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgres_conninfo"))
    for previous in earlier:
        if previous.not_run is None:
            await _run(previous, namespace)
    await _run(block, namespace)


def test_the_docs_have_examples_to_run() -> None:
    runnable = [block for block in BLOCKS if block.not_run is None]
    assert len(runnable) >= 10
    assert {block.page for block in runnable} >= {"index.md", "engine.md", "client.md"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_not_run_marker_gives_a_reason_and_precedes_a_block(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for match in re.finditer(r"<!--\s*not run:(.*?)-->", text, re.DOTALL):
        assert match.group(1).strip(), f"{page.name}: a not-run marker without a reason"
        following = text[match.end() :].lstrip()
        assert following.startswith("```python"), (
            f"{page.name}: a not-run marker is not followed by a python block"
        )


def test_client_page_example_reaches_the_account(served_account: JetSandbox) -> None:
    """The client page's first block really prices and stocks SKU-1 on the account it names."""
    client_block = next(b for b in BLOCKS if b.page == "client.md" and b.index == 0)
    exec(client_block.source, {"__name__": "docs_example"})  # noqa: S102 - the docs' own code
    sku = served_account.sku("SKU-1")
    assert sku["price"] == Decimal("19.99")
    assert sku["inventory_by_fulfillment_node"] == [
        {"fulfillment_node_id": served_account.fulfillment_node_id, "quantity": 5}
    ]
