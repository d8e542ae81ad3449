"""Start and stop a throwaway PostgreSQL server (Debian's package) on a Unix socket."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class Unavailable(Exception):
    """No server can be started here; the message says why."""


def _run(argv: list[str], user: str | None) -> None:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Run a server in a temporary directory; yield its conninfo (add ``dbname=...``)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("psycopg is not installed") from None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise Unavailable("no initdb under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    bindir = Path(found[-1]).parent
    user: str | None = None
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no postgres user") from None
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="jet-orderhive-pg-"))
    if user is not None:
        shutil.chown(root, user)
    data = root / "data"
    options = f"-k {root} -c listen_addresses='' -c max_connections=200 -c fsync=off"
    try:
        try:
            _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"], user)
            start = [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "start"]
            _run([*start, "-l", str(root / "log")], user)
        except (subprocess.CalledProcessError, OSError) as error:
            raise Unavailable(f"the server did not start: {error}") from None
        try:
            yield f"host={root} user=postgres"
        finally:
            with contextlib.suppress(subprocess.CalledProcessError, OSError):
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """Create an empty database on ``server``; return its conninfo."""
    import psycopg

    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{server} dbname={name}"


def drop_database(server: str, name: str) -> None:
    """Drop a database, closing whatever connections it still has."""
    import psycopg

    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
