"""Tokens, 401s and secrecy of the sandbox's credentials."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from jet_orderhive.testing import JetSandbox

NOW = datetime(2020, 3, 2, 12, 0, tzinfo=UTC)
DENIED = {"Message": "Authorization has been denied for this request."}


@pytest.fixture
def sandbox() -> JetSandbox:
    return JetSandbox(secret="s3cret-value-for-tests", seed=3, clock=lambda: NOW)


@pytest.fixture
def http(sandbox: JetSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url + "/") as client:
        yield client


def login(http: httpx.Client, sandbox: JetSandbox) -> str:
    response = http.post("token", json={"user": sandbox.user, "pass": sandbox.secret})
    assert response.status_code == 200
    return str(response.json()["id_token"])


def test_token_response_has_jets_shape(sandbox: JetSandbox, http: httpx.Client) -> None:
    response = http.post("Token", json={"user": sandbox.user, "pass": sandbox.secret})

    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_on"] == "2020-03-02T22:00:00Z"
    assert len(body["id_token"]) >= 32


@pytest.mark.parametrize(
    "credentials",
    [
        {"user": "sandbox-user", "pass": "wrong"},
        {"user": "someone", "pass": "s3cret-value-for-tests"},
    ],
)
def test_bad_credentials_are_400(http: httpx.Client, credentials: dict[str, str]) -> None:
    response = http.post("token", json=credentials)

    assert response.status_code == 400
    assert response.json() == {"errors": ["Invalid user or password"]}


def test_token_body_with_unknown_key_is_400(sandbox: JetSandbox, http: httpx.Client) -> None:
    response = http.post("token", json={"user": sandbox.user, "pass": sandbox.secret, "x": 1})

    assert response.status_code == 400
    assert response.json()["errors"] == ["x: unknown field (Jet accepts only documented fields)"]


def test_missing_token_is_401_with_aspnet_body(http: httpx.Client) -> None:
    response = http.get("orders/ready")

    assert response.status_code == 401
    assert response.json() == DENIED


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_both_bearer_spellings_are_accepted(
    sandbox: JetSandbox, http: httpx.Client, scheme: str
) -> None:
    token = login(http, sandbox)

    response = http.get("authcheck", headers={"Authorization": f"{scheme} {token}"})

    assert response.status_code == 200
    assert response.json() == "This message is authorized."


def test_unknown_token_is_401(http: httpx.Client) -> None:
    response = http.get("authcheck", headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401


def test_token_expires_after_its_lifetime(sandbox: JetSandbox, http: httpx.Client) -> None:
    token = login(http, sandbox)
    headers = {"Authorization": f"Bearer {token}"}
    sandbox.advance(timedelta(hours=9, minutes=59))
    assert http.get("authcheck", headers=headers).status_code == 200

    sandbox.advance(timedelta(minutes=1))

    assert http.get("authcheck", headers=headers).status_code == 401


def test_expire_tokens_invalidates_every_token_now(sandbox: JetSandbox, http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {login(http, sandbox)}"}

    sandbox.expire_tokens()

    assert http.get("orders/ready", headers=headers).json() == DENIED
    fresh = {"Authorization": f"Bearer {login(http, sandbox)}"}
    assert http.get("orders/ready", headers=fresh).status_code == 200


def test_repr_hides_the_secret(sandbox: JetSandbox) -> None:
    assert sandbox.secret not in repr(sandbox)
    assert "sandbox-user" in repr(sandbox)


def test_default_secret_is_generated_and_unique() -> None:
    first, second = JetSandbox(), JetSandbox()

    assert len(first.secret) >= 20
    assert first.secret != second.secret


def test_request_log_never_holds_the_secret_or_a_token(
    sandbox: JetSandbox, http: httpx.Client
) -> None:
    token = login(http, sandbox)
    http.get("orders/ready", headers={"Authorization": f"Bearer {token}"})
    http.post("token", json={"user": sandbox.user, "pass": "wrong"})

    logged = repr(sandbox.requests)

    assert sandbox.secret not in logged
    assert token not in logged
    assert [r.kind for r in sandbox.requests] == ["token", "order_list", "token"]
    assert sandbox.requests[0].body is None
    assert [r.status for r in sandbox.requests] == [200, 200, 400]
