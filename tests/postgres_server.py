"""A throwaway PostgreSQL server for the tests, started from Debian's ``postgresql`` package.

Interface (kept stable: the storage tests and the scale-out tests build on it):

- fixture ``postgres_server`` (session scope): a running `PostgresServer`. It is started once
  per test session in a new temporary directory and stopped (directory removed) at the end.
- fixture ``postgres_conninfo`` (function scope): the connection string of a fresh, empty
  database on that server, dropped after the test. It connects over the Unix socket.
- `PostgresServer.create_database()` / `drop_database(name)` / `conninfo(name, tcp=...)`
  for tests that need more than one database or a loopback TCP address with a password, and
  `empty_schema(name, schema)`, which empties every table of a schema: far cheaper than a new
  database for suites of many small tests on one database.

When no server can be started (no ``initdb`` on the machine, no unprivileged user to run it,
psycopg not installed) the fixtures skip with the reason. With the environment variable
``JET_ORDERHIVE_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it) a skip becomes a failure, so CI never
passes without having run these tests.

The server runs ``initdb`` / ``pg_ctl`` from ``/usr/lib/postgresql/<version>/bin`` (the newest
version), or ``PATH``, or the directory ``JET_ORDERHIVE_POSTGRES_BIN`` names.
PostgreSQL refuses to run as root, so under root it runs them as the ``postgres`` user (which the
Debian package creates) through ``runuser``, in a directory owned by that user. It listens on a
Unix socket in that directory and on a free 127.0.0.1 port; local (socket) connections are
trusted, TCP ones need the superuser's password (``scram-sha-256``). ``fsync`` is off: the data
is thrown away anyway.

This lives in ``tests/`` rather than in ``jet_orderhive.testing``: it depends on Debian's paths,
on root or the ``postgres`` user and on ``runuser``, which a host's own test setup (a container,
a CI service, a managed database) rarely shares, so it would be a public API that fits few hosts.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "BIN_ENV",
    "REQUIRE_ENV",
    "PostgresServer",
    "ServerUnavailable",
    "postgres_conninfo",
    "postgres_server",
    "start_server",
]

REQUIRE_ENV = "JET_ORDERHIVE_REQUIRE_POSTGRES"
"""Set to ``1`` to turn "no PostgreSQL server could be started" from a skip into a failure."""

BIN_ENV = "JET_ORDERHIVE_POSTGRES_BIN"
"""Names the directory holding ``initdb`` and ``pg_ctl``, instead of looking for them."""

SUPERUSER = "postgres"
_UNPRIVILEGED_USER = "postgres"


class ServerUnavailable(Exception):
    """No throwaway server can be started here; the message says why."""


def _find_bin_dir() -> Path:
    chosen = os.environ.get(BIN_ENV)
    if chosen:
        if not (Path(chosen) / "initdb").is_file() or not (Path(chosen) / "pg_ctl").is_file():
            raise ServerUnavailable(f"{BIN_ENV}={chosen} holds no initdb and pg_ctl")
        return Path(chosen)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    raise ServerUnavailable(
        "no initdb found under /usr/lib/postgresql/*/bin or on PATH; "
        "install Debian's postgresql package (apt-get install -y postgresql)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """A PostgreSQL server in a temporary directory, run by an unprivileged user."""

    def __init__(self, bin_dir: Path, *, user: str | None) -> None:
        self.bin_dir = bin_dir
        self._user = user
        self.password = secrets.token_urlsafe(16)
        self.root = Path(tempfile.mkdtemp(prefix="jet-orderhive-pg-", dir=_temp_parent()))
        self.socket_dir = self.root
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._admin: Any = None
        self._running = False
        if user is not None:
            record = pwd.getpwnam(user)
            os.chown(self.root, record.pw_uid, record.pw_gid)

    # -- processes ---------------------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(
            command,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> None:
        """Create the cluster and start the server; raise `ServerUnavailable` if it fails."""
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if self._user is not None:
            record = pwd.getpwnam(self._user)
            os.chown(pwfile, record.pw_uid, record.pw_gid)
        pwfile.chmod(0o600)
        init = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        )
        pwfile.unlink()
        if init.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {init.stderr.strip()[-2000:]}")
        options = " ".join(
            (
                f"-p {self.port}",
                f"-k {self.socket_dir}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            )
        )
        started = self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-o", options,
            "start",
        )  # fmt: skip
        if started.returncode != 0:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise ServerUnavailable(
                f"pg_ctl start failed: {started.stderr.strip()} {log.strip()[-2000:]}"
            )
        self._running = True

    def stop(self) -> None:
        """Stop the server and remove its directory; safe to call more than once."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._running:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
            self._running = False
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------

    def conninfo(self, dbname: str = "postgres", *, tcp: bool = False) -> str:
        """A libpq connection string for ``dbname``: the Unix socket, or TCP with the password."""
        if tcp:
            return (
                f"host=127.0.0.1 port={self.port} dbname={dbname} user={SUPERUSER} "
                f"password={self.password}"
            )
        return f"host={self.socket_dir} port={self.port} dbname={dbname} user={SUPERUSER}"

    def _admin_connection(self) -> Any:
        if self._admin is None:
            import psycopg

            self._admin = psycopg.connect(self.conninfo(), autocommit=True)
        return self._admin

    def create_database(self) -> str:
        """Create a fresh, empty database and return its name."""
        from psycopg import sql

        name = f"test_{os.getpid()}_{next(self._names)}"
        self._admin_connection().execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
        )
        return name

    def empty_schema(self, dbname: str, schema: str) -> None:
        """Empty every table of ``schema`` in ``dbname`` (identities restart); none: no-op."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s"
                    " AND tablename <> 'schema_version'",
                    (schema,),
                )
            ]
            if tables:
                conn.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                        sql.SQL(", ").join(sql.Identifier(schema, name) for name in tables)
                    )
                )

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection still open to it."""
        from psycopg import sql

        self._admin_connection().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _temp_parent() -> str | None:
    # A Unix socket path must stay under ~100 bytes; a long TMPDIR would break it.
    default = tempfile.gettempdir()
    if len(default) > 40 and os.path.isdir("/tmp"):
        return "/tmp"
    return None


def start_server() -> PostgresServer:
    """Start a throwaway server, or raise `ServerUnavailable` saying why none can run here."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise ServerUnavailable(
            "psycopg is not installed; pip install 'jet-orderhive[postgres]'"
        ) from exc
    bin_dir = _find_bin_dir()
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(_UNPRIVILEGED_USER)
        except KeyError as exc:
            raise ServerUnavailable(
                f"running as root, and there is no {_UNPRIVILEGED_USER!r} user to run "
                "PostgreSQL as (it refuses to run as root)"
            ) from exc
        if shutil.which("runuser") is None:
            raise ServerUnavailable("running as root, and runuser is missing")
        user = _UNPRIVILEGED_USER
    server = PostgresServer(bin_dir, user=user)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def _unavailable(reason: str) -> None:
    message = f"no PostgreSQL server for the tests: {reason}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1 forbids skipping)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running throwaway server for the whole session (skips where none can start)."""
    try:
        server = start_server()
    except (ServerUnavailable, OSError, subprocess.SubprocessError) as exc:
        _unavailable(str(exc))
        raise AssertionError("unreachable") from exc  # pragma: no cover
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_conninfo(postgres_server: PostgresServer) -> Iterator[str]:
    """The connection string of a fresh, empty database, dropped after the test."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.conninfo(name)
    finally:
        with contextlib.suppress(Exception):
            postgres_server.drop_database(name)
