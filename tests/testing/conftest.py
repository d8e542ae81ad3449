"""Shared fixtures of the sandbox tests; each module brings its own ``sandbox``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from jet_orderhive.testing.sandbox import JetSandbox


@pytest.fixture
def api(sandbox: JetSandbox) -> Iterator[httpx.Client]:
    """A plain httpx client on the module's sandbox, already holding a bearer token."""
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url + "/") as client:
        token = client.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
        client.headers["Authorization"] = f"Bearer {token.json()['id_token']}"
        yield client
