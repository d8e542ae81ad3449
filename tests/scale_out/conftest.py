"""A throwaway PostgreSQL server for the scale-out tests, and a fresh database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from pgserver import Unavailable, create_database, drop_database, postgres_server

_REQUIRE = "JET_ORDERHIVE_REQUIRE_POSTGRES"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The server's conninfo; skips (or fails, with ``JET_ORDERHIVE_REQUIRE_POSTGRES=1``)."""
    try:
        with postgres_server() as conninfo:
            yield conninfo
    except Unavailable as error:
        if os.environ.get(_REQUIRE) == "1":
            pytest.fail(f"PostgreSQL is required ({_REQUIRE}=1) but {error}")
        pytest.skip(f"no PostgreSQL server: {error}")


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    """A fresh empty database on the test server; yields its conninfo, drops it afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conninfo = create_database(pg_server, name)
    try:
        yield conninfo
    finally:
        drop_database(pg_server, name)
