"""The throwaway-server fixture skips with its reason where no server can start, and fails
instead under ``JET_ORDERHIVE_REQUIRE_POSTGRES=1``, so CI cannot pass without those tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _run_without_a_server(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_needs_postgres.py").write_text(
        "def test_it(postgres_conninfo):\n    assert postgres_conninfo\n"
    )
    (tmp_path / "conftest.py").write_text(
        "from postgres_server import postgres_conninfo, postgres_server\n"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
        "JET_ORDERHIVE_POSTGRES_BIN": str(tmp_path / "no-postgres-here"),
        **env,
    }
    environment.pop("JET_ORDERHIVE_REQUIRE_POSTGRES", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )


def test_no_server_skips_with_the_reason_and_fails_when_the_tests_are_required(
    tmp_path: Path,
) -> None:
    skipped = _run_without_a_server(tmp_path)
    assert skipped.returncode == 0, skipped.stdout
    assert "1 skipped" in skipped.stdout
    assert "no PostgreSQL server for the tests" in skipped.stdout
    assert "holds no initdb and pg_ctl" in skipped.stdout

    required = _run_without_a_server(tmp_path, JET_ORDERHIVE_REQUIRE_POSTGRES="1")
    assert required.returncode != 0, required.stdout
    assert "skipped" not in required.stdout
    assert "forbids skipping" in required.stdout
