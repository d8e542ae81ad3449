"""A throwaway PostgreSQL server for the scale-out tests, and a fresh database per test."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_REQUIRE = "JET_ORDERHIVE_REQUIRE_POSTGRES"


def _unavailable(reason: str) -> None:
    if os.environ.get(_REQUIRE) == "1":
        pytest.fail(f"PostgreSQL is required ({_REQUIRE}=1) but {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


def _run(argv: list[str], user: str | None) -> None:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Start a server on a Unix socket in a temporary directory; yield its base conninfo."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed")
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        _unavailable("no initdb under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    bindir = Path(bins[-1]).parent
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no postgres user to run the server")
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="jet-orderhive-pg-"))
    if user is not None:
        shutil.chown(root, user)
    data, sockets = root / "data", root
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"], user)
        options = f"-k {sockets} -c listen_addresses='' -c max_connections=200 -c fsync=off"
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ],
            user,
        )
    except (subprocess.CalledProcessError, OSError) as error:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"the server did not start: {error}")
    try:
        yield f"host={sockets} user=postgres"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """A fresh empty database on the test server; yields its conninfo, drops it afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{pg_server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_server} dbname={name}"
    finally:
        with psycopg.connect(f"{pg_server} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
