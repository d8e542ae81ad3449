"""Every example runs as shipped: each script in ``examples/`` in a subprocess, and the
quickstart notebook through a real Jupyter kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOK = EXAMPLES / "quickstart.ipynb"
# examples/scale_out/ starts worker processes and has its own test.
OWN_TESTS = {"scale_out"}


def _entry_points() -> list[Path]:
    """``examples/*.py``, and each subfolder's ``__main__.py`` (run as ``python examples/x``)."""
    scripts = sorted(EXAMPLES.glob("*.py"))
    folders = sorted(
        path
        for path in EXAMPLES.iterdir()
        if path.is_dir() and path.name not in OWN_TESTS and (path / "__main__.py").is_file()
    )
    return [*scripts, *folders]


def test_the_examples_are_found() -> None:
    names = {path.name for path in _entry_points()}
    assert {"first_app.py", "override_mapping.py"} <= names
    assert not names & OWN_TESTS


@pytest.mark.parametrize("entry", _entry_points(), ids=lambda path: path.name)
def test_example_runs_to_completion(entry: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", str(entry)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def _outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def test_the_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert _outputs(notebook) == []
    assert all(
        cell.get("execution_count") is None for cell in notebook.cells if cell.cell_type == "code"
    )


def test_the_quickstart_notebook_runs_and_shows_report_table_chart_and_progress() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # Generous limits: the kernel starts slowly on a loaded machine; a cell takes a second.
    client = NotebookClient(
        notebook,
        timeout=300,
        startup_timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": EXAMPLES}},
    )
    client.execute()

    outputs = _outputs(notebook)
    assert [o for o in outputs if o.output_type == "error"] == []
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    report = [h for h in html if "SyncReport import_orders" in h]
    assert report, "the import report renders as HTML"
    assert any("<progress" in h and "import orders" in h for h in html), "progress bars"
    assert any("<table" in h and "jet_order_id" in h for h in html), "the orders table"
    chart = [h for h in html if "<svg" in h]
    assert chart, "the chart of orders by status"
    for status in ("CONFIRM", "SHIP", "CANCEL"):
        assert f'font-size="13">{status}</text>' in chart[0]
